// プログラム → 会社: the company area. Left: the 設定 menu with 連携. 連携 holds the カレンダー tab
// with the Outlookカレンダー連携 row, whose 管理 opens the dialog (its own URL, so the OAuth
// callbacks can bring the admin straight back to it).
import { useEffect, useState } from 'react';
import { Button, Link, Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate, useParams } from 'react-router';
import { api } from '../api.ts';
import { useSession } from '../session.tsx';
import { useLoad } from '../use-load.ts';
import { NotFoundPage } from './NotFoundPage.tsx';
import { OutlookIntegrationDialog } from './OutlookIntegrationDialog.tsx';
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

function Integrations({ tab, dialogOpen }: { tab: string; dialogOpen: boolean }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const { search } = useLocation();
  // Back from Microsoft after the dialog's "Connect" (?outlook=…): the source document goes on in
  // the same dialog (カレンダー同期), so it opens again, with the outcome shown inside it.
  const back = tab === 'calendar' && !dialogOpen && new URLSearchParams(search).has('outlook');
  useEffect(() => {
    if (back) navigate(`/company/settings/integrations/calendar/outlook${search}`, { replace: true });
  }, [back, navigate, search]);
  const status = useLoad(api.companyOutlook, [dialogOpen]);
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
          <table className="table">
            <thead>
              <tr>
                <th scope="col">{t('integrations.integration')}</th>
                <th scope="col">{t('integrations.status')}</th>
                <th scope="col">{t('integrations.actions')}</th>
              </tr>
            </thead>
            <tbody>
              <tr>
                <th scope="row">{t('integrations.outlookRow')}</th>
                <td>
                  {status.data && (
                    <>
                      {t(`outlookDialog.consentState.${status.data.consent.status}`)} · {status.data.syncEnabled ? t('integrations.syncOn') : t('integrations.syncOff')}
                    </>
                  )}
                </td>
                <td>
                  <Button className="button secondary" onPress={() => navigate('/company/settings/integrations/calendar/outlook')}>
                    {t('integrations.manage')}
                  </Button>
                </td>
              </tr>
            </tbody>
          </table>
        </TabPanel>
        <TabPanel id="email" className="tabpanel">
          <p>{t('integrations.emailText')}</p>
        </TabPanel>
      </Tabs>
      <OutlookIntegrationDialog isOpen={dialogOpen} onClose={() => navigate('/company/settings/integrations/calendar')} />
    </>
  );
}

export function CompanyPage({ view }: { view: 'overview' | 'integrations' | 'outlook-dialog' }) {
  const { me } = useSession();
  const { t } = useTranslation();
  const { tab = 'calendar' } = useParams();
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
          <Integrations tab={view === 'outlook-dialog' ? 'calendar' : tab} dialogOpen={view === 'outlook-dialog'} />
        )}
      </div>
    </div>
  );
}
