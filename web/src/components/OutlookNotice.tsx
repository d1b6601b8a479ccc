// After an OAuth round trip the server sends the browser back with ?outlook=<code>[&message=…];
// this shows what happened, in the user's language, until closed.
import { Button } from 'react-aria-components';
import { useTranslation } from 'react-i18next';
import { useSearchParams } from 'react-router';

/** The Outlookカレンダー連携 dialog's own URL ends so. */
export const OUTLOOK_DIALOG_SUFFIX = '/calendar/outlook';

const CODES = ['connected', 'consent_granted', 'consent_refused', 'error'] as const;
type Code = (typeof CODES)[number];

export function OutlookNotice() {
  const { t } = useTranslation();
  const [params, setParams] = useSearchParams();
  const raw = params.get('outlook');
  if (!raw) return null;
  const code: Code = (CODES as readonly string[]).includes(raw) ? (raw as Code) : 'error';
  const message = params.get('message') ?? raw;
  const ok = code === 'connected' || code === 'consent_granted';
  const close = () => {
    const next = new URLSearchParams(params);
    next.delete('outlook');
    next.delete('message');
    setParams(next, { replace: true });
  };
  return (
    <div role={ok ? 'status' : 'alert'} className={`notice ${ok ? 'ok' : 'error'}`} data-testid="outlook-notice">
      <p>{t(`notice.${code}`, { message })}</p>
      <Button className="button secondary small" onPress={close}>
        {t('notice.dismiss')}
      </Button>
    </div>
  );
}
