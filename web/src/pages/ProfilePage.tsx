import { useState } from 'react';
import { Button, Checkbox, Link } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api } from '../api.ts';
import { ConnectOutlookButton } from '../components/ConnectOutlookButton.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatInstant } from '../format.ts';
import { reasonText } from '../reason.ts';
import { useSession } from '../session.tsx';
import { useLoad } from '../use-load.ts';
import { usePageTitle } from '../use-title.ts';

function OutlookTile() {
  const { t, i18n } = useTranslation();
  const { data, error, reload } = useLoad(api.myOutlook, []);
  const [removeEvents, setRemoveEvents] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const disconnect = async () => {
    setBusy(true);
    try {
      await api.disconnectMyOutlook(removeEvents);
      setMessage(t('outlookTile.disconnected'));
      reload();
    } catch (e) {
      setMessage(t('app.error', { message: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="tile" aria-labelledby="outlook-tile-title" data-testid="outlook-tile">
      <h3 id="outlook-tile-title">{t('outlookTile.title')}</h3>
      <p>{t('outlookTile.description')}</p>
      {error ? (
        <ErrorMessage error={error} onRetry={reload} />
      ) : !data ? (
        <Loading />
      ) : (
        <>
          <p data-testid="outlook-status">
            {t('outlookTile.statusLabel')}: <strong>{t(`connection.${data.status}`)}</strong>
            {data.reason && ` (${reasonText(t, data.reason)})`}
          </p>
          {data.username && <p>{t('outlookTile.account', { username: data.username })}</p>}
          {data.connectedAt && <p className="muted">{t('outlookTile.connectedAt', { at: formatInstant(data.connectedAt, i18n.language) })}</p>}
          {!data.companySyncEnabled && data.status !== 'connected' && <p className="muted">{t('outlookTile.syncOff')}</p>}
          {data.status === 'connected' ? (
            <div className="actions">
              <Checkbox isSelected={removeEvents} onChange={setRemoveEvents} className="checkbox">
                <span className="box" aria-hidden="true">
                  {removeEvents ? '✓' : ''}
                </span>
                {t('outlookTile.removeEvents')}
              </Checkbox>
              <Button className="button secondary" isDisabled={busy} onPress={() => void disconnect()}>
                {t('outlookTile.disconnect')}
              </Button>
            </div>
          ) : (
            <ConnectOutlookButton start={api.connectMyOutlook} label={t('outlookTile.connect')} isDisabled={!data.companySyncEnabled} />
          )}
          {message && <p role="status">{message}</p>}
        </>
      )}
    </section>
  );
}

export function ProfilePage({ section }: { section: 'basic' | 'connected-apps' }) {
  const { me } = useSession();
  const { t } = useTranslation();
  usePageTitle(section === 'basic' ? t('profile.title') : `${t('profile.connectedApps')} – ${t('profile.title')}`);
  return (
    <div className="with-sidebar">
      <nav aria-label={t('profile.menu')} className="sidebar">
        <ul>
          <li>
            <Link href="/profile" aria-current={section === 'basic' ? 'page' : undefined}>
              {t('profile.basicInfo')}
            </Link>
          </li>
          <li>
            <Link href="/profile/connected-apps" aria-current={section === 'connected-apps' ? 'page' : undefined}>
              {t('profile.connectedApps')}
            </Link>
          </li>
        </ul>
      </nav>
      <div className="content">
        <h1>{t('profile.title')}</h1>
        {section === 'basic' ? (
          <section aria-labelledby="basic-title">
            <h2 id="basic-title">{t('profile.basicInfo')}</h2>
            <dl className="facts">
              <div>
                <dt>{t('profile.name')}</dt>
                <dd>{me.displayName}</dd>
              </div>
              <div>
                <dt>{t('profile.email')}</dt>
                <dd>{me.email}</dd>
              </div>
              <div>
                <dt>{t('profile.company')}</dt>
                <dd>{me.organisation.name}</dd>
              </div>
              <div>
                <dt>{t('profile.language')}</dt>
                <dd>{t('profile.languageName')}</dd>
              </div>
              <div>
                <dt>{t('profile.timeZone')}</dt>
                <dd>{me.timeZone}</dd>
              </div>
            </dl>
          </section>
        ) : (
          <section aria-labelledby="apps-title">
            <h2 id="apps-title">{t('profile.connectedApps')}</h2>
            <OutlookTile />
          </section>
        )}
      </div>
    </div>
  );
}
