// After an OAuth round trip the server sends the browser back with
// ?calendar=<provider>&result=connected, or result=error&code=…&message=…[&detail=…]; this shows
// what happened, in the user's language and with the provider's name, until closed. A refusal whose
// code the locales know (`refusal.<code>`) is said in a sentence with what to do next; the
// provider's own text (its codes and trace ids, in its language) stays folded away for IT.
import { Button } from 'react-aria-components';
import { useSearchParams } from 'react-router';
import { api, type ProviderDescriptor } from '../api.ts';
import { useProviderText } from '../provider-text.ts';
import { useLoad } from '../use-load.ts';

/** The calendar tab and each provider's dialog: there the dialog shows the notice (the page behind it is inert). */
export const CALENDAR_INTEGRATIONS_PATH = /^\/company\/settings\/integrations\/calendar(\/[^/]+)?\/?$/;

const RESULTS = ['connected', 'error'] as const;
type Result = (typeof RESULTS)[number];
const PARAMS = ['calendar', 'result', 'code', 'message', 'detail'];

/**
 * The notice for the provider named in the URL. `provider`: the one the screen already has (the
 * dialog); without it, the traveler's own calendars say which provider the id is.
 */
export function CalendarNotice({ provider }: { provider?: ProviderDescriptor }) {
  const [params, setParams] = useSearchParams();
  const id = params.get('calendar');
  if (!id || (provider && provider.id !== id)) return null;
  const close = () => {
    const next = new URLSearchParams(params);
    for (const p of PARAMS) next.delete(p);
    setParams(next, { replace: true });
  };
  return provider ? <Notice params={params} provider={provider} onClose={close} /> : <NoticeFor id={id} params={params} onClose={close} />;
}

function NoticeFor({ id, params, onClose }: { id: string; params: URLSearchParams; onClose: () => void }) {
  // An id the traveler's list does not know (a link typed by hand) still gets a notice, unnamed.
  const found = useLoad(() => api.myCalendar(id).then((s) => s.provider, () => null), [id]);
  if (found.data === undefined) return null;
  return <Notice params={params} provider={found.data} onClose={onClose} />;
}

function Notice({ params, provider, onClose }: { params: URLSearchParams; provider: ProviderDescriptor | null; onClose: () => void }) {
  const { t, tp, i18n, labels } = useProviderText();
  const raw = params.get('result') ?? '';
  const result: Result = (RESULTS as readonly string[]).includes(raw) ? (raw as Result) : 'error';
  const code = params.get('code') ?? '';
  const detail = params.get('detail');
  const message = params.get('message') ?? code ?? raw;
  const ok = result === 'connected';
  const names: Record<string, string> = provider ? { ...labels(provider) } : { calendar: t('notice.someCalendar') };
  const known = !ok && /^[\w-]+$/.test(code) && i18n.exists(`refusal.${code}`);
  const text = ok || !known
    ? provider
      ? tp(provider, `notice.${result}`, { message })
      : t(`notice.${result}`, { message, calendar: t('notice.someCalendar') })
    : provider
      ? tp(provider, 'notice.failed', { reason: t(`refusal.${code}`, names) })
      : t('notice.failed', { ...names, reason: t(`refusal.${code}`, names) });
  return (
    <div role={ok ? 'status' : 'alert'} className={`notice ${ok ? 'ok' : 'error'}`} data-testid="calendar-notice">
      <div className="notice-text">
        <p>{text}</p>
        {!ok && (detail || known) && (
          <details className="detail">
            <summary>{t('notice.detail')}</summary>
            <p>
              <code>{code}</code> {detail ?? message}
            </p>
          </details>
        )}
      </div>
      <Button className="button secondary small" onPress={onClose}>
        {t('notice.dismiss')}
      </Button>
    </div>
  );
}
