import { lazy, Suspense, useCallback, useEffect, useState } from 'react';
import { RouterProvider } from 'react-aria-components';
import { Navigate, Route, Routes, useHref, useLocation, useNavigate } from 'react-router';
import { api, SESSION_ENDED, type Locale, type Me } from './api.ts';
import { Layout } from './components/Layout.tsx';
import { Loading } from './components/Status.tsx';
import { applyLocale } from './i18n.ts';
import { HomePage } from './pages/HomePage.tsx';
import { LoginPage } from './pages/LoginPage.tsx';
import { SetPasswordPage } from './pages/SetPasswordPage.tsx';
import { SessionContext } from './session.tsx';

// The log-in and home screens come with the first script; every other screen is a chunk of its
// own, fetched when first opened (the company's screens and the development pages are the largest).
const CompanyPage = lazy(() => import('./pages/CompanyPage.tsx').then((m) => ({ default: m.CompanyPage })));
const DevBookingsPage = lazy(() => import('./pages/DevBookingsPage.tsx').then((m) => ({ default: m.DevBookingsPage })));
const DevOutboxPage = lazy(() => import('./pages/DevOutboxPage.tsx').then((m) => ({ default: m.DevOutboxPage })));
const NotFoundPage = lazy(() => import('./pages/NotFoundPage.tsx').then((m) => ({ default: m.NotFoundPage })));
const ProfilePage = lazy(() => import('./pages/ProfilePage.tsx').then((m) => ({ default: m.ProfilePage })));
const TripPage = lazy(() => import('./pages/TripPage.tsx').then((m) => ({ default: m.TripPage })));

export function App() {
  const navigate = useNavigate();
  const location = useLocation();
  const [me, setMeState] = useState<Me | null | undefined>(undefined);

  const setMe = useCallback((m: Me | null) => {
    if (m) applyLocale(m.locale);
    setMeState(m);
  }, []);

  useEffect(() => {
    api.me().then(setMe, () => setMe(null));
  }, [setMe]);

  useEffect(() => {
    const ended = () => setMe(null);
    window.addEventListener(SESSION_ENDED, ended);
    return () => window.removeEventListener(SESSION_ENDED, ended);
  }, [setMe]);

  const changeLocale = useCallback(
    async (locale: Locale) => {
      applyLocale(locale);
      if (me) setMe(await api.setLocale(locale));
    },
    [me, setMe],
  );

  let body;
  if (me === undefined) {
    body = (
      <main id="main">
        <Loading />
      </main>
    );
  } else if (me === null) {
    const next = location.pathname === '/login' ? '/' : `${location.pathname}${location.search}`;
    body = (
      <Routes>
        <Route path="/login" element={<LoginPage onLogin={setMe} changeLocale={changeLocale} />} />
        <Route path="/invitation" element={<SetPasswordPage purpose="invitation" onLogin={setMe} />} />
        <Route path="/reset-password" element={<SetPasswordPage purpose="reset" onLogin={setMe} />} />
        <Route path="*" element={<Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />} />
      </Routes>
    );
  } else {
    body = (
      <SessionContext.Provider value={{ me, setMe, changeLocale }}>
        <Layout>
          <Suspense fallback={<Loading />}>
          <Routes>
            <Route path="/" element={<HomePage />} />
            <Route path="/login" element={<Navigate to="/" replace />} />
            <Route path="/invitation" element={<SetPasswordPage purpose="invitation" onLogin={setMe} />} />
            <Route path="/reset-password" element={<SetPasswordPage purpose="reset" onLogin={setMe} />} />
            <Route path="/trips/:id" element={<TripPage />} />
            <Route path="/profile" element={<ProfilePage section="basic" />} />
            <Route path="/profile/connected-apps" element={<ProfilePage section="connected-apps" />} />
            <Route path="/company" element={<CompanyPage view="overview" />} />
            <Route path="/company/settings/integrations" element={<Navigate to="/company/settings/integrations/calendar" replace />} />
            <Route path="/company/settings/integrations/:tab" element={<CompanyPage view="integrations" />} />
            <Route path="/company/settings/integrations/calendar/:provider" element={<CompanyPage view="calendar-dialog" />} />
            <Route path="/company/settings/calendar-events" element={<CompanyPage view="calendar-events" />} />
            <Route path="/dev/outbox" element={<DevOutboxPage />} />
            <Route path="/dev/bookings" element={<DevBookingsPage />} />
            <Route path="*" element={<NotFoundPage />} />
          </Routes>
          </Suspense>
        </Layout>
      </SessionContext.Provider>
    );
  }
  return (
    <RouterProvider navigate={navigate} useHref={useHref}>
      {body}
    </RouterProvider>
  );
}
