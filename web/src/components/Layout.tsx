// Every signed-in screen: the top bar (Program menu, language switch, the name icon with My
// profile), the notice left by an OAuth round trip, and the page itself in <main>, which takes
// focus (its <h1>) whenever the route changes.
import type { ReactNode } from 'react';
import { Button, Link, Menu, MenuItem, MenuTrigger, Popover } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useLocation, useNavigate } from 'react-router';
import { api } from '../api.ts';
import { useSession } from '../session.tsx';
import { useRouteFocus } from '../route-focus.ts';
import { useDevTools } from '../use-dev-tools.ts';
import { CALENDAR_INTEGRATIONS_PATH, CalendarNotice } from './CalendarNotice.tsx';

function initials(name: string): string {
  // Japanese names: the family name's first character, as a hanko-style badge.
  if (/[\u3040-\u30ff\u3400-\u9fff]/.test(name)) return name.trim().charAt(0);
  const parts = name.trim().split(/\s+/);
  return parts.length > 1 ? `${parts[0]![0]}${parts[1]![0]}` : name.slice(0, 2);
}

export function Layout({ children }: { children: ReactNode }) {
  const { me, setMe, changeLocale } = useSession();
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  // The development pages are for whoever runs the demo (a company admin), never a traveler's screen.
  const dev = useDevTools() && me.role === 'admin';
  useRouteFocus();

  const logout = async () => {
    await api.logout().catch(() => undefined);
    setMe(null);
    navigate('/login');
  };

  return (
    <>
      <a className="skip-link" href="#main">
        {t('app.skipToContent')}
      </a>
      <header className="topbar">
        <Link href="/" className="brand">
          {t('app.name')}
        </Link>
        <nav aria-label={t('nav.main')} className="topnav">
          <Link href="/" className="navlink">
            {t('nav.home')}
          </Link>
          {me.role === 'admin' && (
            <MenuTrigger>
              <Button className="navlink menu-button">{t('nav.program')}</Button>
              <Popover placement="bottom start" className="popover">
                <Menu className="menu" aria-label={t('nav.program')}>
                  <MenuItem className="menu-item" href="/company">
                    {t('nav.company')}
                  </MenuItem>
                </Menu>
              </Popover>
            </MenuTrigger>
          )}
        </nav>
        <div className="topbar-right">
          <Button className="button link-like" onPress={() => void changeLocale(me.locale === 'ja' ? 'en' : 'ja')}>
            <span lang={me.locale === 'ja' ? 'en' : 'ja'}>{t('nav.switchLanguage')}</span>
          </Button>
          <MenuTrigger>
            <Button className="name-icon">
              <span className="avatar" aria-hidden="true">
                {initials(me.displayName)}
              </span>
              <span className="name">{me.displayName}</span>
            </Button>
            <Popover placement="bottom end" className="popover">
              <Menu className="menu" aria-label={t('nav.accountMenu')} onAction={(key) => (key === 'logout' ? void logout() : undefined)}>
                <MenuItem className="menu-item" id="profile" href="/profile">
                  {t('nav.myProfile')}
                </MenuItem>
                <MenuItem className="menu-item" id="logout">
                  {t('nav.logout')}
                </MenuItem>
              </Menu>
            </Popover>
          </MenuTrigger>
        </div>
      </header>
      {/* On the calendar tab the notice goes to the provider's dialog (the page behind is inert). */}
      {!CALENDAR_INTEGRATIONS_PATH.test(location.pathname) && <CalendarNotice />}
      <main id="main" className="page" tabIndex={-1}>
        {children}
      </main>
      {dev && (
        <footer className="footer">
          <nav aria-label={t('nav.devTools')}>
            <Link href="/dev/outbox">{t('nav.devOutbox')}</Link>
            <Link href="/dev/bookings">{t('nav.devBookings')}</Link>
          </nav>
        </footer>
      )}
    </>
  );
}
