// The one table that turns a provider's refusal into a connection state change. Everything else
// (temporary, throttled, not_found, invalid) leaves the connection as it is.
import type { CalendarProviderError, ProviderErrorCode } from '../calendars/contract.ts';
import type { Db } from '../store/database.ts';
import { markLapsed, markRevoked, recordConsent } from '../store/outlook.ts';

type Transition = { status: 'lapsed' | 'revoked'; mark: typeof markLapsed };

const TRANSITIONS: Partial<Record<ProviderErrorCode, Transition>> = {
  // AADSTS700082 (refresh token idle 90 days), AADSTS50173 (sessions revoked), interaction required.
  auth_lost: { status: 'lapsed', mark: markLapsed },
  // AADSTS65001: the organisation's admin consent is missing or was revoked.
  consent_missing: { status: 'revoked', mark: markRevoked },
};

/** Applies the transition for `error`, if any; returns what happened, or undefined. */
export async function applyConnectionError(db: Db, who: { userId: string; organisationId: string }, error: CalendarProviderError, at: Date) {
  const t = TRANSITIONS[error.code];
  if (!t) return undefined;
  const reason = error.providerCode ?? error.code;
  // The stored token cache is dropped with the transition: a refused refresh token is never tried again.
  await t.mark(db, who.userId, reason, at);
  // Consent is the organisation's: the company status says it is gone until an admin consents again.
  if (t.status === 'revoked') await recordConsent(db, who.organisationId, { status: 'revoked', error: reason }, at);
  return { status: t.status, reason };
}
