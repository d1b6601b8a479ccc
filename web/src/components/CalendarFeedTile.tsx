// The private subscription feed's tile under Connected apps ("カレンダーフィード"): turn it on, copy
// or open its address, replace the address, turn it off; and how often calendar apps refresh one.
import { useState } from 'react';
import { Button, Input, Label, Link, TextField } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, type CalendarFeedStatus } from '../api.ts';
import { formatInstant } from '../format.ts';
import { useLoad } from '../use-load.ts';
import { ErrorMessage, Loading } from './Status.tsx';

function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  const { t } = useTranslation();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard refused (an insecure origin): select the text so Ctrl+C works.
      (document.getElementById(id) as HTMLInputElement | null)?.select();
    }
    setCopied(true);
  };
  return (
    <div className="copy-field">
      <TextField isReadOnly value={value} className="field grow">
        <Label>{label}</Label>
        <Input id={id} onFocus={(e) => e.currentTarget.select()} />
      </TextField>
      <Button className="button secondary" aria-label={t('calendarFeed.copyLabel', { label })} onPress={() => void copy()}>
        {t('calendarFeed.copy')}
      </Button>
      <span role="status" className="muted small">
        {copied ? t('calendarFeed.copied') : ''}
      </span>
    </div>
  );
}

export function CalendarFeedTile() {
  const { t, i18n } = useTranslation();
  const { data, error, reload } = useLoad<CalendarFeedStatus>(api.calendarFeed, []);
  const [feed, setFeed] = useState<CalendarFeedStatus | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const current = feed ?? data;

  const act = async (call: () => Promise<CalendarFeedStatus>, done: string) => {
    setBusy(true);
    setMessage(null);
    try {
      setFeed(await call());
      setMessage(done);
    } catch (e) {
      setMessage(t('app.error', { message: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="tile" aria-labelledby="calendar-feed-title" data-testid="calendar-feed-tile">
      <h3 id="calendar-feed-title">{t('calendarFeed.title')}</h3>
      <p>{t('calendarFeed.description')}</p>
      <p className="strong">{t('calendarFeed.refreshTitle')}</p>
      <ul>
        <li>{t('calendarFeed.refreshHours')}</li>
        <li>{t('calendarFeed.refreshThreeHours')}</li>
        <li>{t('calendarFeed.refreshChosen')}</li>
      </ul>
      <p className="note">{t('calendarFeed.liveSync')}</p>
      {error ? <ErrorMessage error={error} onRetry={reload} /> : null}
      {!error && !current && <Loading />}
      {current && !current.enabled && (
        <Button className="button primary" isDisabled={busy} onPress={() => void act(api.enableCalendarFeed, t('calendarFeed.enabled'))}>
          {t('calendarFeed.enable')}
        </Button>
      )}
      {current?.enabled && current.httpsUrl && current.webcalUrl && (
        <>
          <p className="note">{t('calendarFeed.secret')}</p>
          <CopyField id="calendar-feed-https" label={t('calendarFeed.httpsLabel')} value={current.httpsUrl} />
          <p>
            <Link className="button secondary" href={current.webcalUrl}>
              {t('calendarFeed.open')}
            </Link>
          </p>
          {current.createdAt && <p className="muted">{t('calendarFeed.createdAt', { at: formatInstant(current.createdAt, i18n.language) })}</p>}
          <div className="actions">
            <Button className="button secondary" isDisabled={busy} onPress={() => void act(api.enableCalendarFeed, t('calendarFeed.replaced'))}>
              {t('calendarFeed.replace')}
            </Button>
            <Button className="button secondary" isDisabled={busy} onPress={() => void act(api.disableCalendarFeed, t('calendarFeed.disabled'))}>
              {t('calendarFeed.disable')}
            </Button>
          </div>
          <p className="muted small">{t('calendarFeed.replaceNote')}</p>
        </>
      )}
      {message && <p role="status">{message}</p>}
    </section>
  );
}
