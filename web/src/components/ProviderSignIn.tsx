// The log-in page's sign-in buttons of the providers whose identity platform signs users in
// (labels from the registry, docs/labels.md). A button is a top-level navigation to the server,
// which sends the browser on to the provider and, once back, logs the user in or returns to
// /login?signIn=<problem>&provider=<id>.
import { useEffect, useState } from 'react';
import { Button } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { api, type SignInProvider } from '../api.ts';

/** The providers offering sign-in, once the server has said which (none until then). */
export function useSignInProviders(): SignInProvider[] {
  const [providers, setProviders] = useState<SignInProvider[]>([]);
  useEffect(() => {
    let live = true;
    api.signInProviders().then((p) => live && setProviders(p), () => undefined);
    return () => {
      live = false;
    };
  }, []);
  return providers;
}

/** `next`: the page the log-in was opened for; the server ends the sign-in there (a path of this site only). */
export function ProviderSignIn({ providers, hint, invitation, next }: { providers: SignInProvider[]; hint?: string; invitation?: string; next?: string }) {
  const { t, i18n } = useTranslation();
  const [busy, setBusy] = useState(false);
  if (providers.length === 0) return null;
  const locale = i18n.language === 'ja' ? 'ja' : 'en';
  const go = (id: string) => {
    setBusy(true);
    const query = new URLSearchParams({ locale, ...(hint ? { hint } : {}), ...(invitation ? { invitation } : {}), ...(next ? { next } : {}) });
    window.location.assign(`/sign-in/${encodeURIComponent(id)}?${query}`);
  };
  return (
    <div className="sign-in-with">
      <p className="muted small or">{t('login.or')}</p>
      {providers.map((p) => (
        <Button key={p.id} className="button sign-in-provider" isDisabled={busy} onPress={() => go(p.id)}>
          {p.labels[locale].button}
        </Button>
      ))}
    </div>
  );
}

/** Why the last sign-in through a provider did not log the user in, as the server named it. */
export const SIGN_IN_PROBLEMS = ['cancelled', 'organization_not_proven', 'user_not_found', 'user_deactivated', 'other_account_linked', 'expired', 'failed', 'throttled', 'invitation_other_account'] as const;
