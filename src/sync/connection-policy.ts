// The one table that turns a provider's refusal into a connection's transition. Everything else
// (temporary, throttled, not_found, invalid) leaves the connection as it is.
import type { CalendarProviderError, ProviderErrorCode } from '../calendars/errors.ts';
import { recordGrant } from '../store/company-calendars.ts';
import { transition, type TransitionName } from '../store/calendar-connections.ts';
import type { Db } from '../store/database.ts';

const TRANSITIONS: Partial<Record<ProviderErrorCode, Extract<TransitionName, 'lapsed' | 'revoked'>>> = {
  // The credential was refused (expired after idling, sessions revoked, sign-in required again).
  auth_lost: 'lapsed',
  // The company-wide grant is missing or was revoked.
  consent_missing: 'revoked',
};

/** Applies the transition for `error`, if any; returns what happened, or undefined. */
export async function applyConnectionError(db: Db, connection: { id: string; organisation_id: string; provider: string }, error: CalendarProviderError, at: Date) {
  const name = TRANSITIONS[error.code];
  if (!name) return undefined;
  const reason = error.providerCode ?? error.code;
  await transition(db, connection.id, name, reason, at);
  // The grant is the company's: its status says it is gone until an administrator grants it again.
  if (name === 'revoked') await recordGrant(db, connection.organisation_id, connection.provider, { status: 'revoked', error: reason }, at);
  return { status: name, reason };
}
