import { Button } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { ApiError, devApi } from '../api.ts';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatInstant } from '../format.ts';
import { useLoad } from '../use-load.ts';
import { usePageTitle } from '../use-title.ts';

export function DevOutboxPage() {
  const { t, i18n } = useTranslation();
  const { data, error, reload } = useLoad(devApi.outbox, []);
  usePageTitle(t('dev.outboxTitle'));
  const file = (f: string) => `/dev/api/outbox/${encodeURIComponent(f)}`;
  return (
    <>
      <h1>{t('dev.outboxTitle')}</h1>
      <p>{t('dev.outboxIntro')}</p>
      <Button className="button secondary" onPress={reload}>
        {t('dev.refresh')}
      </Button>
      {error instanceof ApiError && error.status === 404 ? (
        <p>{t('dev.unavailable')}</p>
      ) : error ? (
        <ErrorMessage error={error} onRetry={reload} />
      ) : !data ? (
        <Loading />
      ) : data.length === 0 ? (
        <p>{t('dev.noEmails')}</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">{t('dev.subject')}</th>
              <th scope="col">{t('dev.to')}</th>
              <th scope="col">{t('dev.date')}</th>
              <th scope="col">{t('dev.files')}</th>
            </tr>
          </thead>
          <tbody>
            {data.map((m) => (
              <tr key={m.file}>
                <th scope="row">{m.subject}</th>
                <td>{m.to}</td>
                <td>{formatInstant(m.date, i18n.language)}</td>
                <td className="files">
                  <a href={file(m.file)} download={m.file}>
                    {t('dev.downloadEml')}
                  </a>
                  {m.attachments.map((a) => (
                    <a key={a.index} href={`${file(m.file)}/attachments/${a.index}`} download={a.filename}>
                      {a.filename}
                    </a>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}
