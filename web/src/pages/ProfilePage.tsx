import { useState } from 'react';
import { Button, Checkbox, Link } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, type MyCalendarStatus } from '../api.ts';
import { CalendarFeedTile } from '../components/CalendarFeedTile.tsx';
import { ConnectCalendarButton } from '../components/ConnectCalendarButton.tsx';
import { PasswordConnectForm } from '../components/PasswordConnectForm.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { formatInstant } from '../format.ts';
import { useProviderText } from '../provider-text.ts';
import { reasonText } from '../reason.ts';
import { useSession } from '../session.tsx';
import { useLoad } from '../use-load.ts';
import { usePageTitle } from '../use-title.ts';

/** One provider's tile under Connected apps ("Outlook"): its state, and connect or disconnect. */
function CalendarTile({ calendar, onChanged }: { calendar: MyCalendarStatus; onChanged: () => void }) {
  const { t, tp, labels, i18n } = useProviderText();
  const { provider } = calendar;
  const [removeEvents, setRemoveEvents] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const titleId = `calendar-tile-title-${provider.id}`;

  const disconnect = async () => {
    setBusy(true);
    try {
      await api.disconnectMyCalendar(provider.id, removeEvents);
      setMessage(tp(provider, 'calendarTile.disconnected'));
      onChanged();
    } catch (e) {
      setMessage(t('app.error', { message: e instanceof Error ? e.message : String(e) }));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="tile" aria-labelledby={titleId} data-testid={`calendar-tile-${provider.id}`}>
      <h3 id={titleId}>{labels(provider).tile}</h3>
      <p>{tp(provider, 'calendarTile.description')}</p>
      <p data-testid={`calendar-status-${provider.id}`}>
        {tp(provider, 'calendarTile.statusLabel')}: <strong>{t(`connection.${calendar.status}`)}</strong>
      </p>
      {calendar.reason && calendar.status !== 'connected' && <p className="reason">{reasonText(t, calendar.reason)}</p>}
      {calendar.username && <p>{tp(provider, 'calendarTile.account', { username: calendar.username })}</p>}
      {calendar.connectedAt && <p className="muted">{tp(provider, 'calendarTile.connectedAt', { at: formatInstant(calendar.connectedAt, i18n.language) })}</p>}
      {!calendar.companySyncEnabled && calendar.status !== 'connected' && <p className="muted">{tp(provider, 'calendarTile.syncOff')}</p>}
      {calendar.managedByCompany ? (
        <p data-testid={`calendar-managed-${provider.id}`}>{tp(provider, 'calendarTile.managedByCompany')}</p>
      ) : calendar.status === 'connected' ? (
        <div className="actions">
          <Checkbox isSelected={removeEvents} onChange={setRemoveEvents} className="checkbox">
            <span className="box" aria-hidden="true">
              {removeEvents ? '✓' : ''}
            </span>
            {tp(provider, 'calendarTile.removeEvents')}
          </Checkbox>
          <Button className="button secondary" isDisabled={busy} onPress={() => void disconnect()}>
            {tp(provider, 'calendarTile.disconnect')}
          </Button>
        </div>
      ) : provider.connectMethod === 'password' ? (
        <PasswordConnectForm provider={provider} isDisabled={!calendar.companySyncEnabled} onConnected={onChanged} />
      ) : (
        <ConnectCalendarButton start={() => api.connectMyCalendar(provider.id, 'tile')} label={labels(provider).connect} isDisabled={!calendar.companySyncEnabled} />
      )}
      {message && <p role="status">{message}</p>}
    </section>
  );
}

/** Every calendar the company offers, one tile each. */
function CalendarTiles() {
  const { data, error, reload } = useLoad(api.myCalendars, []);
  if (error) return <ErrorMessage error={error} onRetry={reload} />;
  if (!data) return <Loading />;
  return (
    <>
      {data.map((calendar) => (
        <CalendarTile key={calendar.provider.id} calendar={calendar} onChanged={reload} />
      ))}
    </>
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
            <CalendarTiles />
            <CalendarFeedTile />
          </section>
        )}
      </div>
    </div>
  );
}
