import { useEffect, useState, type FormEvent } from 'react';
import { Button, Form, Input, Label, TextField } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useNavigate, useSearchParams } from 'react-router';
import { api, ApiError, type Me } from '../api.ts';
import { usePageTitle } from '../use-title.ts';
import { ProviderSignIn, useSignInProviders } from '../components/ProviderSignIn.tsx';

/** The page a one-use link opens (/invitation?token=…, /reset-password?token=…): set a password, and be logged in. */
export function SetPasswordPage({ purpose, onLogin }: { purpose: 'invitation' | 'reset'; onLogin: (me: Me) => void }) {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [email, setEmail] = useState<string | null>(null);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const signInProviders = useSignInProviders();
  usePageTitle(t(`password.title.${purpose}`));

  useEffect(() => {
    api.passwordLink(token).then((info) => setEmail(info.email), (err: unknown) => setError(err instanceof Error ? err.message : String(err)));
  }, [token]);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      onLogin(await api.usePasswordLink(token, password));
      navigate('/', { replace: true });
    } catch (err) {
      setError(err instanceof ApiError || err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" className="login">
      <div className="login-card">
        <p className="brand">{t('app.name')}</p>
        <h1>{t(`password.title.${purpose}`)}</h1>
        {email && <p>{t('password.intro', { email })}</p>}
        {email && (
          <Form onSubmit={submit} className="form">
            <TextField name="password" type="password" autoComplete="new-password" isRequired minLength={10} value={password} onChange={setPassword} className="field">
              <Label>{t('password.new')}</Label>
              <Input />
            </TextField>
            <Button type="submit" className="button primary" isDisabled={busy}>
              {t('password.submit')}
            </Button>
          </Form>
        )}
        {/* An invited admin may sign in with their account at a provider instead of choosing a password. */}
        {email && purpose === 'invitation' && <ProviderSignIn providers={signInProviders} hint={email} invitation={token} />}
        {error && (
          <p role="alert" className="alert error">
            {error}
          </p>
        )}
      </div>
    </main>
  );
}

/** Asks for a reset link by email (always answered the same, account or not). */
export function ForgotPassword() {
  const { t } = useTranslation();
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api.requestPasswordReset(email);
      setSent(true);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    }
  };
  return (
    <details className="forgot">
      <summary>{t('password.forgot')}</summary>
      <p>{t('password.resetIntro')}</p>
      <Form onSubmit={submit} className="form">
        <TextField name="reset-email" type="email" autoComplete="username" isRequired value={email} onChange={setEmail} className="field">
          <Label>{t('password.resetEmail')}</Label>
          <Input />
        </TextField>
        <Button type="submit" className="button">
          {t('password.sendLink')}
        </Button>
      </Form>
      {sent && <p role="status">{t('password.sent')}</p>}
      {error && (
        <p role="alert" className="alert error">
          {error}
        </p>
      )}
    </details>
  );
}
