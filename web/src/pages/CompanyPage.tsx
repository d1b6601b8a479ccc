// プログラム → 会社: the company area. Left: the 設定 menu with 連携. 連携 holds the カレンダー tab
// with one row per calendar provider of the registry (Outlookカレンダー連携, …), whose 管理 opens
// that provider's dialog (its own URL, so the OAuth callbacks can bring the admin straight back to it).
import { useEffect, useState } from 'react';
import { Button, Link, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate, useParams } from 'react-router';
import { api, type CompanyCalendarStatus } from '../api.ts';
import { ErrorMessage, Loading } from '../components/Status.tsx';
import { useProviderText } from '../provider-text.ts';
import { useSession } from '../session.tsx';
import { useLoad } from '../use-load.ts';
import { CalendarIntegrationDialog, dialogPath } from './CalendarIntegrationDialog.tsx';
import { NotFoundPage } from './NotFoundPage.tsx';
import { usePageTitle } from '../use-title.ts';

const TABS = ['calendar', 'email'] as const;

function Sidebar({ view }: { view: 'overview' | 'integrations' }) {
  const { t } = useTranslation();
  const [open, setOpen] = useState(view === 'integrations');
  return (
    <nav aria-label={t('company.menu')} className="sidebar">
      <Button className="sidebar-group" aria-expanded={open} aria-controls="company-settings-menu" onPress={() => setOpen(!open)}>
        <span aria-hidden="true">{open ? '▾' : '▸'}</span> {t('company.settings')}
      </Button>
      {open && (
        <ul id="company-settings-menu">
          <li>
            <Link href="/company/settings/integrations/calendar" aria-current={view === 'integrations' ? 'page' : undefined}>
              {t('company.integrations')}
            </Link>
          </li>
        </ul>
      )}
    </nav>
  );
}

function CalendarRow({ status }: { status: CompanyCalendarStatus }) {
  const { t, labels } = useProviderText();
  const navigate = useNavigate();
  const { provider } = status;
  return (
    <tr data-testid={`calendar-row-${provider.id}`}>
      <th scope="row">{labels(provider).integration}</th>
      <td>
        {provider.companyGrant && status.grant && <>{t(`calendarDialog.grantState.${status.grant.status}`)} · </>}
        {status.syncEnabled ? t('integrations.syncOn') : t('integrations.syncOff')}
      </td>
      <td>
        <Button className="button secondary" onPress={() => navigate(dialogPath(provider.id))}>
          {t('integrations.manage')}
        </Button>
      </td>
    </tr>
  );
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
  const calendars = useLoad(api.companyCalendars, [dialogProvider]);
  const selected = (TABS as readonly string[]).includes(tab) ? tab : 'calendar';
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
            <table className="table">
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
          )}
        </TabPanel>
        <TabPanel id="email" className="tabpanel">
          <p>{t('integrations.emailText')}</p>
        </TabPanel>
      </Tabs>
      <CalendarIntegrationDialog providerId={dialogProvider} onClose={() => navigate('/company/settings/integrations/calendar')} />
    </>
  );
}

export function CompanyPage({ view }: { view: 'overview' | 'integrations' | 'calendar-dialog' }) {
  const { me } = useSession();
  const { t } = useTranslation();
  const { tab = 'calendar', provider } = useParams();
  usePageTitle(view === 'overview' ? t('company.title') : `${t('integrations.title')} – ${t('company.title')}`);
  if (me.role !== 'admin') return <NotFoundPage forbidden />;
  return (
    <div className="with-sidebar">
      <Sidebar view={view === 'overview' ? 'overview' : 'integrations'} />
      <div className="content">
        {view === 'overview' ? (
          <>
            <h1>{t('company.title')}</h1>
            <p>{t('company.overview', { name: me.organisation.name })}</p>
          </>
        ) : (
          <Integrations tab={view === 'calendar-dialog' ? 'calendar' : tab} dialogProvider={view === 'calendar-dialog' ? provider : undefined} />
        )}
      </div>
    </div>
  );
}
