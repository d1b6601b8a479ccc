import { useState, type FormEvent } from 'react';
import { Button, Form, Input, Label, TextField } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, type Locale, type Me } from '../api.ts';
import { usePageTitle } from '../use-title.ts';
import { useDemo } from '../use-dev-tools.ts';
import { ForgotPassword } from './SetPasswordPage.tsx';
import { ProviderSignIn, SIGN_IN_PROBLEMS, useSignInProviders } from '../components/ProviderSignIn.tsx';

export function LoginPage({ onLogin, changeLocale }: { onLogin: (me: Me) => void; changeLocale: (l: Locale) => Promise<void> }) {
  const { t, i18n } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const demo = useDemo();
  const signInProviders = useSignInProviders();
  const signInProblem = SIGN_IN_PROBLEMS.find((p) => p === params.get('signIn'));
  const lang = i18n.language === 'ja' ? 'ja' : 'en';
  // The provider's name for the sentence; the generic wording until the server has said it.
  const signInName = signInProviders.find((p) => p.id === params.get('provider'))?.labels[lang].name;
  usePageTitle(t('login.title'));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const me = await api.login(email, password);
      onLogin(me);
      const next = params.get('next');
      navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : '/', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError && err.status === 401 ? t('login.failed') : err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };
  const other: Locale = i18n.language === 'ja' ? 'en' : 'ja';

  return (
    <main id="main" className="login">
      <div className="login-card">
        <div className="login-top">
          <p className="brand">{t('app.name')}</p>
          <Button className="button link-like" onPress={() => void changeLocale(other)}>
            <span lang={other}>{t('nav.switchLanguage')}</span>
          </Button>
        </div>
        <h1>{t('login.title')}</h1>
        <p>{t('login.intro')}</p>
        {signInProblem && !error && (
          <p role="alert" className="alert error">
            {signInName ? t(`login.signInProblem.${signInProblem}`, { provider: signInName }) : t(`login.signInProblemGeneric.${signInProblem}`)}
          </p>
        )}
        <Form onSubmit={submit} className="form">
          <TextField name="email" type="email" autoComplete="username" isRequired value={email} onChange={setEmail} className="field">
            <Label>{t('login.email')}</Label>
            <Input />
          </TextField>
          <TextField name="password" type="password" autoComplete="current-password" isRequired value={password} onChange={setPassword} className="field">
            <Label>{t('login.password')}</Label>
            <Input />
          </TextField>
          {error && (
            <p role="alert" className="alert error">
              {error}
            </p>
          )}
          <Button type="submit" className="button primary" isDisabled={busy}>
            {t('login.submit')}
          </Button>
        </Form>
        <ProviderSignIn providers={signInProviders} next={params.get('next') ?? undefined} />
        <ForgotPassword />
        {demo && <p className="muted small">{t('login.demoHint')}</p>}
      </div>
    </main>
  );
}
