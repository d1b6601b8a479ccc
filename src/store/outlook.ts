// The Outlook integration's state: the company's consent and sync switch, each user's connection
// and its (encrypted) token cache, and the one-use OAuth states. Connection status changes only
// through the named transitions below.
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Selectable } from 'kysely';
import type { AccessToken, ConnectedAccount, TokenCacheStore } from '../calendars/contract.ts';
import type { Trip } from '../domain/types.ts';
import type { Db } from './database.ts';
import type { ConnectionStatus, MappingState, OrganisationOutlookTable, OutlookConnectionsTable } from './schema.ts';
import type { SecretBox } from './secret-box.ts';
import { coalesce, perHandle } from './coalesce.ts';
import { parseTravelerTrips, travelerTripsJson } from './trips.ts';

export type OrganisationOutlook = Selectable<OrganisationOutlookTable>;
export type OutlookConnection = Omit<Selectable<OutlookConnectionsTable>, 'token_cache' | 'access_token'>;

export const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

export async function organisationOutlook(db: Db, organisationId: string): Promise<OrganisationOutlook> {
  await db.insertInto('organisation_outlook').values({ organisation_id: organisationId }).onConflict((oc) => oc.column('organisation_id').doNothing()).execute();
  return db.selectFrom('organisation_outlook').selectAll().where('organisation_id', '=', organisationId).executeTakeFirstOrThrow();
}

export async function recordConsent(db: Db, organisationId: string, outcome: { status: 'granted'; tenantId: string } | { status: 'refused' | 'revoked'; error: string; tenantId?: string }, at: Date): Promise<void> {
  await organisationOutlook(db, organisationId);
  await db
    .updateTable('organisation_outlook')
    .set({
      consent_status: outcome.status,
      consent_changed_at: at,
      consent_error: outcome.status === 'granted' ? null : outcome.error,
      ...(outcome.tenantId ? { tenant_id: outcome.tenantId } : {}),
    })
    .where('organisation_id', '=', organisationId)
    .execute();
}

export async function recordAdminConnected(db: Db, organisationId: string, userId: string, at: Date): Promise<void> {
  await db.updateTable('organisation_outlook').set({ connected_by: userId, connected_at: at }).where('organisation_id', '=', organisationId).execute();
}

export async function setSyncEnabled(db: Db, organisationId: string, enabled: boolean, at: Date): Promise<void> {
  await organisationOutlook(db, organisationId);
  await db.updateTable('organisation_outlook').set({ sync_enabled: enabled, sync_changed_at: at }).where('organisation_id', '=', organisationId).execute();
}

export async function setLoginPolicyDays(db: Db, organisationId: string, days: number | null): Promise<void> {
  await organisationOutlook(db, organisationId);
  await db.updateTable('organisation_outlook').set({ login_policy_days: days }).where('organisation_id', '=', organisationId).execute();
}

// ---- connections ----

const connectionColumns = [
  'user_id', 'organisation_id', 'tenant_id', 'object_id', 'home_account_id', 'username', 'status', 'status_reason',
  'status_changed_at', 'connected_at', 'last_refreshed_at', 'last_synced_at', 'last_sync_error', 'reminder_sent_at', 'rediscover',
] as const;

export async function findConnection(db: Db, userId: string): Promise<OutlookConnection | undefined> {
  return db.selectFrom('outlook_connections').select(connectionColumns).where('user_id', '=', userId).executeTakeFirst();
}

/** A row of event_mappings as a reconcile plans with it. */
export interface StoredMapping {
  segmentId: string;
  eventId: string | null;
  contentHash: string;
  transactionId: string;
  state: MappingState;
}

export interface SyncState {
  connection: OutlookConnection;
  consentGranted: boolean;
  syncEnabled: boolean;
  locale: 'ja' | 'en';
  sealedAccessToken: string | null;
  /** The traveler's trips and the events already written, read only when there is work to do (connected, consent, sync on). */
  work?: { trips: Trip[]; mappings: StoredMapping[] };
}

/**
 * Everything a reconcile reads before it plans, in one query: the traveler's connection, the
 * company's consent and sync switch, the traveler's language, the sealed access token, and, when
 * the calendar is to be written, every trip with its segments and the events already written.
 * (Four queries were half a sync worker's round trips to PostgreSQL, each costing CPU at both ends,
 * and four turns of the embedded database's one session; `npm run bench`.)
 */
export function loadSyncState(db: Db, userId: string): Promise<SyncState | undefined> {
  return syncStateLoader(db)(userId);
}

/**
 * Reads that arrive together go as one query (coalesce.ts): a company's reconciles all start when
 * its sync is turned on. The query runs after every call of its group, so each caller reads state
 * at least as recent as at its call (a booking committed before the job started is seen).
 */
const syncStateLoader = perHandle((db: Db) =>
  coalesce(async (userIds: string[]) => {
    const states = await loadSyncStates(db, userIds);
    return userIds.map((id) => states.get(id));
  }, { maxGroup: 100 }));

/** loadSyncState for many travelers in one query; travelers with no connection are absent. */
export async function loadSyncStates(db: Db, userIds: readonly string[]): Promise<Map<string, SyncState>> {
  const works = sql<boolean>`(c.status = 'connected' and o.consent_status = 'granted' and o.sync_enabled)`;
  const rows = await db
    .selectFrom('outlook_connections as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .leftJoin('organisation_outlook as o', 'o.organisation_id', 'c.organisation_id')
    .select(connectionColumns.map((column) => `c.${column}` as const))
    .select(['o.consent_status', 'o.sync_enabled', 'u.locale', 'c.access_token'])
    .select([
      sql<string | null>`case when ${works} then ${travelerTripsJson(sql.ref('c.user_id'))} end`.as('trips'),
      sql<string | null>`case when ${works} then (
        select coalesce(json_agg(json_build_object(
          'segmentId', m.segment_id, 'eventId', m.event_id, 'contentHash', m.content_hash, 'transactionId', m.transaction_id, 'state', m.state
        )), '[]')::text
        from event_mappings m where m.user_id = c.user_id
      ) end`.as('mappings'),
    ])
    .where('c.user_id', '=', sql<string>`any(${[...userIds]}::uuid[])`)
    .execute();
  const states = new Map<string, SyncState>();
  for (const row of rows) {
    const { consent_status, sync_enabled, locale, access_token, trips, mappings, ...connection } = row;
    states.set(connection.user_id, {
      connection, consentGranted: consent_status === 'granted', syncEnabled: sync_enabled === true, locale, sealedAccessToken: access_token,
      ...(trips !== null && mappings !== null ? { work: { trips: parseTravelerTrips(trips), mappings: JSON.parse(mappings) as StoredMapping[] } } : {}),
    });
  }
  return states;
}

export async function listConnections(db: Db, organisationId: string): Promise<OutlookConnection[]> {
  return db.selectFrom('outlook_connections').select(connectionColumns).where('organisation_id', '=', organisationId).execute();
}

function sealAccessToken(box: SecretBox, userId: string, token: AccessToken): string {
  return box.seal(JSON.stringify({ token: token.token, expiresAt: token.expiresAt }), `outlook-access-token:${userId}`);
}

/** Opens a sealed access token (loadSyncState); null when there is none or it no longer opens (a retired key). */
function openAccessToken(box: SecretBox, userId: string, sealed: string | null | undefined): AccessToken | null {
  if (!sealed) return null;
  try {
    const value = JSON.parse(box.open(sealed, `outlook-access-token:${userId}`)) as Partial<AccessToken>;
    return typeof value.token === 'string' && typeof value.expiresAt === 'number' ? { token: value.token, expiresAt: value.expiresAt } : null;
  } catch {
    return null;
  }
}

/**
 * The connection's MSAL token cache, sealed with the user id as associated data, and its current
 * access token, sealed apart: any worker uses that token until it expires (a reconcile reads it
 * with its other state, `sealedAccessToken`), so only one of them opens the cache to get the next.
 */
export function tokenCacheStore(db: Db, box: SecretBox, userId: string, now: () => Date = () => new Date(), sealedAccessToken?: string | null): TokenCacheStore {
  const context = `outlook-token-cache:${userId}`;
  return {
    accessToken: openAccessToken(box, userId, sealedAccessToken),
    async saveAccessToken(token: AccessToken) {
      await db
        .updateTable('outlook_connections')
        .set({ access_token: sealAccessToken(box, userId, token) })
        .where('user_id', '=', userId)
        .where('status', '=', 'connected')
        .execute();
    },
    async load() {
      const row = await db.selectFrom('outlook_connections').select('token_cache').where('user_id', '=', userId).executeTakeFirst();
      return row?.token_cache ? box.open(row.token_cache, context) : null;
    },
    async save(serialized: string) {
      // Only a connected account's cache is kept: a lapsed or disconnected one stays empty.
      await db
        .updateTable('outlook_connections')
        .set({ token_cache: box.seal(serialized, context), last_refreshed_at: now() })
        .where('user_id', '=', userId)
        .where('status', '=', 'connected')
        .execute();
    },
  };
}

/** A token cache held in memory: for a code redemption, before we know the account is acceptable. */
export function memoryTokenCache(): TokenCacheStore & { value: string | null } {
  const cache = {
    value: null as string | null,
    load: async () => cache.value,
    save: async (serialized: string) => {
      cache.value = serialized;
    },
  };
  return cache;
}

/** Transition: (re)connected. Keyed by the Microsoft account (tenant id + object id). */
export async function markConnected(db: Db, box: SecretBox, args: { userId: string; organisationId: string; account: ConnectedAccount; tokenCache: string; accessToken?: AccessToken; at: Date }): Promise<void> {
  const { userId, organisationId, account, at } = args;
  const sealed = box.seal(args.tokenCache, `outlook-token-cache:${userId}`);
  // The sign-in's own access token: the backfill that follows uses it (any worker), as later ones do.
  const accessToken = args.accessToken ? sealAccessToken(box, userId, args.accessToken) : null;
  const values = {
    organisation_id: organisationId, tenant_id: account.tenantId, object_id: account.objectId, home_account_id: account.homeAccountId,
    username: account.username, status: 'connected' as const, status_reason: null, status_changed_at: at, token_cache: sealed, access_token: accessToken,
    connected_at: at, last_refreshed_at: at, last_sync_error: null, reminder_sent_at: null, rediscover: true,
  };
  await db.insertInto('outlook_connections').values({ user_id: userId, ...values }).onConflict((oc) => oc.column('user_id').doUpdateSet(values)).execute();
}

async function transition(db: Db, userId: string, status: ConnectionStatus, reason: string | null, at: Date, opts: { dropTokens?: boolean } = {}): Promise<void> {
  await db
    .updateTable('outlook_connections')
    .set({ status, status_reason: reason, status_changed_at: at, ...(opts.dropTokens ? { token_cache: null, access_token: null } : {}) })
    .where('user_id', '=', userId)
    .execute();
}

/** Transition: the tokens no longer work; the user must connect again (the home screen asks). */
export const markLapsed = (db: Db, userId: string, reason: string, at: Date) => transition(db, userId, 'lapsed', reason, at, { dropTokens: true });
/** Transition: the organisation's consent is gone; nothing works until an admin consents again. */
export const markRevoked = (db: Db, userId: string, reason: string, at: Date) => transition(db, userId, 'revoked', reason, at, { dropTokens: true });
/** Transition: the user disconnected. */
export const markDisconnected = (db: Db, userId: string, at: Date) => transition(db, userId, 'disconnected', null, at, { dropTokens: true });

export async function recordSyncOutcome(db: Db, userId: string, at: Date, error: string | null): Promise<void> {
  await db.updateTable('outlook_connections').set({ last_synced_at: at, last_sync_error: error }).where('user_id', '=', userId).execute();
}

// ---- OAuth states ----

export type StatePurpose = 'admin_consent' | 'connect';

export class OAuthStateError extends Error {
  readonly code: 'state_invalid' | 'state_expired' | 'state_used' | 'state_wrong_session';
  constructor(code: OAuthStateError['code'], message: string) {
    super(message);
    this.name = 'OAuthStateError';
    this.code = code;
  }
}

/** A new one-use state; only its hash is stored. */
export async function issueState(db: Db, args: { purpose: StatePurpose; organisationId: string; userId: string; sessionHash: string; codeVerifier?: string; returnTo?: string; ttlMs: number; now: Date }): Promise<string> {
  const state = randomBytes(32).toString('base64url');
  await db
    .insertInto('oauth_states')
    .values({
      state_hash: sha256(state), purpose: args.purpose, organisation_id: args.organisationId, user_id: args.userId,
      session_hash: args.sessionHash, code_verifier: args.codeVerifier ?? null, return_to: args.returnTo ?? null,
      expires_at: new Date(args.now.getTime() + args.ttlMs), used_at: null,
    })
    .execute();
  return state;
}

/**
 * Consumes a state: it must exist, be of this purpose, unexpired, unused and (when `sessionHash`
 * is given) issued to this session. A replay finds it used.
 */
export async function consumeState(db: Db, state: string, purpose: StatePurpose, now: Date, sessionHash?: string) {
  return db.transaction().execute(async (tx) => {
    const row = await tx.selectFrom('oauth_states').selectAll().where('state_hash', '=', sha256(state)).forUpdate().executeTakeFirst();
    if (!row || row.purpose !== purpose) throw new OAuthStateError('state_invalid', 'state: unknown');
    if (row.used_at) throw new OAuthStateError('state_used', 'state: already used');
    if (new Date(row.expires_at) <= now) throw new OAuthStateError('state_expired', 'state: expired');
    if (sessionHash !== undefined && row.session_hash !== sessionHash) throw new OAuthStateError('state_wrong_session', 'state: issued to another session');
    await tx.updateTable('oauth_states').set({ used_at: now }).where('state_hash', '=', row.state_hash).execute();
    return row;
  });
}
