// The one table that turns a provider's refusal into what happens to a connection, and, only on
// evidence about the company, to the company's grant. Everything else (temporary, throttled,
// not_found, invalid) leaves the connection as it is.
import { CalendarProviderError, type ProviderErrorCode } from '../calendars/errors.ts';
import type { CalendarProviders } from '../calendars/registry.ts';
import { companyCalendar, recordGrant } from '../store/company-calendars.ts';
import { credentialStore, listConnections, markCalendarUnavailable, transition, type TransitionName } from '../store/calendar-connections.ts';
import type { Db } from '../store/database.ts';
import type { SecretBox } from '../store/secret-box.ts';

export interface PolicyDeps {
  db: Db;
  providers: CalendarProviders;
  box: SecretBox;
}

/** A company-wide grant takes effect at the provider within minutes; a refusal meanwhile is retried. */
export const GRANT_PROPAGATION_MS = 10 * 60_000;
/** How often a refused-while-propagating connection is tried again. */
export const GRANT_PROPAGATION_RETRY_MS = 60_000;

/** A calendar the provider cannot reach is tried again after this long at first ... */
export const UNAVAILABLE_FIRST_RETRY_MS = 15 * 60_000;
/** ... then after as long as it has been unreachable, at most this long. */
export const UNAVAILABLE_MAX_RETRY_MS = 6 * 3600_000;

/** The prefix of a lapse's reason when the account's organisation's sign-in policy refused it (counted apart for the admin). */
export const COMPANY_POLICY_REASON = 'company_policy';

type Applied =
  | { status: 'lapsed' | 'revoked'; reason: string }
  /** The connection stays; its job runs again after retryAfterMs. */
  | { status: 'retry'; reason: string; retryAfterMs: number };

const LAPSES: Partial<Record<ProviderErrorCode, Extract<TransitionName, 'lapsed'>>> = {
  // The credential was refused (expired after idling, sessions revoked, sign-in required again).
  auth_lost: 'lapsed',
  // This account alone is refused (no mailbox licence, blocked): the company's grant is not in question.
  account_refused: 'lapsed',
  // The account's organisation's policy refuses the credential (multi-factor, sign-in frequency, blocked).
  policy_refused: 'lapsed',
};

interface Connection {
  id: string;
  user_id: string;
  organisation_id: string;
  provider: string;
  unavailable_since?: Date | string | null;
}

/** Applies what `error` means for the connection (and, on evidence, the company's grant); undefined when nothing. */
export async function applyConnectionError(deps: PolicyDeps, connection: Connection, error: CalendarProviderError, at: Date): Promise<Applied | undefined> {
  const { db } = deps;
  const reason = error.providerCode ?? error.code;
  const lapse = LAPSES[error.code];
  if (lapse) {
    const why = error.code === 'policy_refused' ? `${COMPANY_POLICY_REASON} (${reason})` : reason;
    await transition(db, connection.id, lapse, why, at);
    return { status: 'lapsed', reason: why };
  }
  if (error.code === 'calendar_unavailable') {
    const since = await markCalendarUnavailable(db, connection.id, reason, at);
    const unavailableFor = at.getTime() - since.getTime();
    return { status: 'retry', reason, retryAfterMs: Math.min(UNAVAILABLE_MAX_RETRY_MS, Math.max(UNAVAILABLE_FIRST_RETRY_MS, unavailableFor)) };
  }
  if (error.code === 'consent_missing') {
    const company = await companyCalendar(db, connection.organisation_id, connection.provider);
    // A grant given minutes ago may not have reached every server of the provider yet.
    if (company.grant_status === 'granted' && company.grant_changed_at && at.getTime() - new Date(company.grant_changed_at).getTime() < GRANT_PROPAGATION_MS) {
      return { status: 'retry', reason, retryAfterMs: GRANT_PROPAGATION_RETRY_MS };
    }
    await transition(db, connection.id, 'revoked', reason, at);
    if (company.grant_status === 'granted' && (await companyGrantIsGone(deps, connection, company.connected_by, at))) {
      await recordGrant(db, connection.organisation_id, connection.provider, { status: 'revoked', error: reason }, at);
    }
    return { status: 'revoked', reason };
  }
  return undefined;
}

/** Other accounts asked at most, for evidence about the company. */
const WITNESSES = 2;

/**
 * Evidence about the company: another account of it is refused the same way when its credential is
 * refreshed now, the admin's who proved the grant first, else other connected travelers'. One
 * traveler's refusal alone is about that traveler (an account's own consent, say).
 */
async function companyGrantIsGone(deps: PolicyDeps, refused: Connection, adminId: string | null, at: Date): Promise<boolean> {
  if (adminId && adminId === refused.user_id) return true;
  const provider = deps.providers.get(refused.provider);
  if (!provider) return false;
  const others = (await listConnections(deps.db, refused.organisation_id, refused.provider))
    .filter((c) => c.status === 'connected' && c.id !== refused.id)
    .sort((a, b) => Number(b.user_id === adminId) - Number(a.user_id === adminId))
    .slice(0, WITNESSES);
  for (const witness of others) {
    try {
      await provider.keepAlive.refresh({ details: witness.details, credentials: credentialStore(deps.db, deps.box, witness, () => at) });
      // Another account of the company still gets a credential: the company's grant holds.
      return false;
    } catch (error) {
      if (!(error instanceof CalendarProviderError)) throw error;
      if (error.code !== 'consent_missing') continue;
      await transition(deps.db, witness.id, 'revoked', error.providerCode ?? error.code, at);
      return true;
    }
  }
  return false;
}
