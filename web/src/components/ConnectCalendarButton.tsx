// A provider's connect button ("Outlookカレンダーと接続"): asks the server for the provider's
// sign-in URL and goes there.
import { useState } from 'react';
import { Button } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import type { RedirectResponse } from '../api.ts';

export function ConnectCalendarButton({ start, label, isDisabled = false, className = 'button primary' }: { start: () => Promise<RedirectResponse>; label: string; isDisabled?: boolean; className?: string }) {
  const { t } = useTranslation();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const go = async () => {
    setBusy(true);
    setError(null);
    try {
      const { url } = await start();
      window.location.assign(url);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
      setBusy(false);
    }
  };
  return (
    <>
      <Button className={className} isDisabled={isDisabled || busy} onPress={() => void go()}>
        {label}
      </Button>
      {error && (
        <p role="alert" className="alert error">
          {t('app.error', { message: error })}
        </p>
      )}
    </>
  );
}
