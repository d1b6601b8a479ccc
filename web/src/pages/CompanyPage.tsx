// プログラム → 会社: the company area. Left: the 設定 menu with 連携, always open. The overview shows
// each calendar provider's state at a glance. 連携 holds the カレンダー tab with one row per
// calendar provider of the registry (Outlookカレンダー連携, …), whose 管理 opens that provider's
// dialog (its own URL, so the OAuth callbacks can bring the admin straight back to it). What the
// dialog changes shows on its row at once; closing it gives focus back to the row's 管理.
// カレンダーの予定 holds what the company's calendars show: whether a cancelled booking stays.
import { useCallback, useEffect, useState } from 'react';
import { Button, Link, Switch, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate, useParams } from 'react-router';
import { api, type CompanyCalendarStatus } from '../api.ts';
import { OperatorAlarms } from '../components/OperatorAlarm.tsx';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { useProviderText } from '../provider-text.ts';
import { returnFocusTo } from '../route-focus.ts';
import { useSession } from '../session.tsx';
import { useLoad } from '../use-load.ts';
import { CalendarIntegrationDialog, dialogPath } from './CalendarIntegrationDialog.tsx';
import { NotFoundPage } from './NotFoundPage.tsx';
import { usePageTitle } from '../use-title.ts';

const TABS = ['calendar', 'email'] as const;
const INTEGRATIONS_PATH = '/company/settings/integrations/calendar';
const CALENDAR_EVENTS_PATH = '/company/settings/calendar-events';
const manageId = (provider: string) => `manage-${provider}`;

function Sidebar({ view }: { view: 'overview' | 'integrations' | 'calendar-events' }) {
  const { t } = useTranslation();
  // The menu is always open (it has one group); its name takes the keyboard to its first item.
  const toFirstItem = () => document.querySelector<HTMLElement>('#company-settings-menu a')?.focus();
  return (
    <nav aria-label={t('company.menu')} className="sidebar">
      <Button className="sidebar-group" aria-controls="company-settings-menu" onPress={toFirstItem}>
        {t('company.settings')}
      </Button>
      <ul id="company-settings-menu">
        <li>
          <Link href={INTEGRATIONS_PATH} aria-current={view === 'integrations' ? 'page' : undefined}>
            {t('company.integrations')}
          </Link>
        </li>
        <li>
          <Link href={CALENDAR_EVENTS_PATH} aria-current={view === 'calendar-events' ? 'page' : undefined}>
            {t('company.calendarEvents')}
          </Link>
        </li>
      </ul>
    </nav>
  );
}

/** "承認済み · 同期オン": a provider's state in a few words. */
function StateWords({ status }: { status: CompanyCalendarStatus }) {
  const { t } = useTranslation();
  return (
    <>
      {status.provider.companyGrant && status.grant && (
        <>
          <span className={`badge ${status.grant.status === 'granted' ? 'ok' : ''}`}>{t(`calendarDialog.grantState.${status.grant.status}`)}</span>{' '}
        </>
      )}
      <span className={`badge ${status.syncEnabled ? 'ok' : ''}`}>{status.syncEnabled ? t('integrations.syncOn') : t('integrations.syncOff')}</span>
    </>
  );
}

function CalendarRow({ status }: { status: CompanyCalendarStatus }) {
  const { t, labels } = useProviderText();
  const navigate = useNavigate();
  const { provider } = status;
  return (
    <tr data-testid={`calendar-row-${provider.id}`}>
      <th scope="row">{labels(provider).integration}</th>
      <td data-testid={`calendar-row-state-${provider.id}`}>
        <StateWords status={status} />
      </td>
      <td>
        <Button id={manageId(provider.id)} className="button secondary" onPress={() => navigate(dialogPath(provider.id))}>
          {t('integrations.manage')}
        </Button>
      </td>
    </tr>
  );
}

/** The company's calendars, kept current by what the dialog reports back. */
function useCompanyCalendars() {
  const loaded = useLoad(api.companyCalendars, []);
  const [latest, setLatest] = useState<Record<string, CompanyCalendarStatus>>({});
  const update = useCallback((status: CompanyCalendarStatus) => setLatest((m) => ({ ...m, [status.provider.id]: status })), []);
  const reload = loaded.reload;
  const refresh = useCallback(() => {
    setLatest({});
    reload();
  }, [reload]);
  const data = loaded.data?.map((s) => latest[s.provider.id] ?? s);
  return { ...loaded, data, update, refresh };
}

function Integrations({ tab, dialogProvider }: { tab: string; dialogProvider: string | undefined }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { search } = useLocation();
  // Back from the provider after the dialog's connect button (?calendar=<provider>&result=…): the
  // source document goes on in the same dialog (カレンダー同期), so it opens again, with the
  // outcome shown inside it.
  const returning = tab === 'calendar' && !dialogProvider ? new URLSearchParams(search).get('calendar') : null;
  useEffect(() => {
    if (returning) navigate(`${dialogPath(returning)}${search}`, { replace: true });
  }, [returning, navigate, search]);
  const calendars = useCompanyCalendars();
  const { refresh } = calendars;
  // Opening or closing the dialog reads every row again (another admin may have changed one).
  useEffect(() => refresh(), [dialogProvider, refresh]);
  const selected = (TABS as readonly string[]).includes(tab) ? tab : 'calendar';
  const close = () => {
    if (dialogProvider) returnFocusTo(manageId(dialogProvider));
    navigate(INTEGRATIONS_PATH);
  };
  return (
    <>
      <h1>{t('integrations.title')}</h1>
      <Tabs selectedKey={selected} onSelectionChange={(key) => navigate(`/company/settings/integrations/${String(key)}`)}>
        <TabList aria-label={t('integrations.tabs')} className="tablist">
          <Tab id="calendar" className="tab">
            {t('integrations.calendarTab')}
          </Tab>
          <Tab id="email" className="tab">
            {t('integrations.emailTab')}
          </Tab>
        </TabList>
        <TabPanel id="calendar" className="tabpanel">
          {calendars.error ? (
            <ErrorMessage error={calendars.error} onRetry={calendars.reload} />
          ) : !calendars.data ? (
            <Loading />
          ) : (
            <>
              <OperatorAlarms statuses={calendars.data} />
              <table className="table integrations-table">
                <thead>
                  <tr>
                    <th scope="col">{t('integrations.integration')}</th>
                    <th scope="col">{t('integrations.status')}</th>
                    <th scope="col">{t('integrations.actions')}</th>
                  </tr>
                </thead>
                <tbody>
                  {calendars.data.map((status) => (
                    <CalendarRow key={status.provider.id} status={status} />
                  ))}
                </tbody>
              </table>
            </>
          )}
        </TabPanel>
        <TabPanel id="email" className="tabpanel">
          <p>{t('integrations.emailText')}</p>
        </TabPanel>
      </Tabs>
      <CalendarIntegrationDialog providerId={dialogProvider} onClose={close} onStatus={calendars.update} />
    </>
  );
}

/**
 * What the company's calendars show. The switch: a cancelled booking removed from every calendar
 * (the default) or kept as "Canceled: …", free, with no reminder; the server applies a change to
 * the calendars already holding events, and the page says so.
 */
function CalendarEvents() {
  const { t } = useTranslation();
  const settings = useLoad(api.companySettings, []);
  const [keep, setKeep] = useState<boolean | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState<'kept' | 'removed' | null>(null);
  const [error, setError] = useState<unknown>(null);
  const current = keep ?? settings.data?.keepCancelledEvents;
  const change = async (value: boolean) => {
    setBusy(true);
    setError(null);
    setDone(null);
    try {
      const saved = await api.setCompanySettings({ keepCancelledEvents: value });
      setKeep(saved.keepCancelledEvents);
      setDone(saved.keepCancelledEvents ? 'kept' : 'removed');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <h1>{t('calendarEvents.title')}</h1>
      <p className="lead">{t('calendarEvents.intro')}</p>
      <section aria-labelledby="cancelled-bookings-title" className="overview-section">
        <h2 id="cancelled-bookings-title">{t('calendarEvents.cancelledTitle')}</h2>
        {settings.error ? (
          <ErrorMessage error={settings.error} onRetry={settings.reload} />
        ) : current === undefined ? (
          <Loading />
        ) : (
          <>
            <Switch className="switch" isSelected={current} isDisabled={busy} onChange={(v) => void change(v)} aria-describedby="keep-cancelled-hint">
              <span className="track" aria-hidden="true">
                <span className="thumb" />
              </span>
              {t('calendarEvents.keepSwitch')}
            </Switch>
            <p id="keep-cancelled-hint" className="muted small">{t('calendarEvents.keepHint')}</p>
          </>
        )}
        <p role="status" className={done ? 'alert ok' : 'visually-hidden'} data-testid="keep-cancelled-confirmation">
          {done === 'kept' ? t('calendarEvents.keptDone') : done === 'removed' ? t('calendarEvents.removedDone') : ''}
        </p>
        {error !== null && <ErrorMessage error={error} />}
      </section>
    </>
  );
}

/** The company at a glance: each calendar provider's state, with the way to manage it. */
function Overview() {
  const { me } = useSession();
  const { t, labels } = useProviderText();
  const calendars = useLoad(api.companyCalendars, []);
  return (
    <>
      <h1>{t('company.title')}</h1>
      <p className="lead">{t('company.intro', { name: me.organisation.name })}</p>
      <section aria-labelledby="company-calendars-title" className="overview-section">
        <h2 id="company-calendars-title">{t('company.calendarsTitle')}</h2>
        {calendars.error ? (
          <ErrorMessage error={calendars.error} onRetry={calendars.reload} />
        ) : !calendars.data ? (
          <Loading />
        ) : (
          <>
            <OperatorAlarms statuses={calendars.data} />
            <ul className="cards">
              {calendars.data.map((status) => (
                <li key={status.provider.id} className="card" data-testid={`company-calendar-${status.provider.id}`}>
                  <h3>{labels(status.provider).integration}</h3>
                  <p>
                    <StateWords status={status} />
                  </p>
                  <p className="muted small">{t('calendarDialog.counts', status.counts)}</p>
                  <Link href={dialogPath(status.provider.id)} className="button secondary small" aria-label={t('company.manageLabel', { integration: labels(status.provider).integration })}>
                    {t('integrations.manage')}
                  </Link>
                </li>
              ))}
            </ul>
          </>
        )}
      </section>
      <section aria-labelledby="company-email-title" className="overview-section">
        <h2 id="company-email-title">{t('company.emailTitle')}</h2>
        <p>{t('integrations.emailText')}</p>
      </section>
    </>
  );
}

export function CompanyPage({ view }: { view: 'overview' | 'integrations' | 'calendar-dialog' | 'calendar-events' }) {
  const { me } = useSession();
  const { t } = useTranslation();
  const { tab = 'calendar', provider } = useParams();
  const section = view === 'overview' ? null : view === 'calendar-events' ? t('calendarEvents.title') : t('integrations.title');
  usePageTitle(section ? `${section} – ${t('company.title')}` : t('company.title'));
  if (me.role !== 'admin') return <NotFoundPage forbidden />;
  return (
    <div className="with-sidebar">
      <Sidebar view={view === 'overview' ? 'overview' : view === 'calendar-events' ? 'calendar-events' : 'integrations'} />
      <div className="content">
        {view === 'overview' ? (
          <Overview />
        ) : view === 'calendar-events' ? (
          <CalendarEvents />
        ) : (
          <Integrations tab={view === 'calendar-dialog' ? 'calendar' : tab} dialogProvider={view === 'calendar-dialog' ? provider : undefined} />
        )}
      </div>
    </div>
  );
}
