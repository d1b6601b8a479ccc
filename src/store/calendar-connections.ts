// Users' calendar connections: one per user and provider, with the account's identity, a sealed
// opaque credential (and its current access token, sealed apart), a status with its reason, and
// timestamps. A connection's status changes only through the transitions of TRANSITIONS below.
import { sql, type Selectable } from 'kysely';
import type { AccessToken, ConnectedAccount, CredentialStore } from '../calendars/connection.ts';
import type { Trip } from '../domain/types.ts';
import type { Db, Tx } from './database.ts';
import type { CalendarConnectionsTable, ConnectionStatus, GrantStatus, MappingState } from './schema.ts';
import type { SecretBox } from './secret-box.ts';
import { coalesce, perHandle } from './coalesce.ts';
import { parseTravelerTrips, travelerTripsJson } from './trips.ts';

type Row = Omit<Selectable<CalendarConnectionsTable>, 'credential' | 'access_token' | 'account_details'>;

export interface CalendarConnection extends Row {
  /** What the provider needs to reach the account (ConnectedAccount.details). */
  details: Record<string, string>;
}

const connectionColumns = [
  'id', 'user_id', 'organisation_id', 'provider', 'account_key', 'account_name', 'account_organization', 'status', 'status_reason',
  'status_changed_at', 'connected_at', 'last_refreshed_at', 'last_synced_at', 'last_sync_error', 'reminder_sent_at', 'rediscover', 'unavailable_since',
] as const;

function toConnection<R extends Row & { account_details: string }>(row: R): CalendarConnection & Omit<R, 'account_details'> {
  const { account_details, ...rest } = row;
  return { ...rest, details: JSON.parse(account_details) as Record<string, string> };
}

const selectConnections = (db: Db | Tx) => db.selectFrom('calendar_connections').select([...connectionColumns, 'account_details']);

export async function findConnection(db: Db | Tx, userId: string, provider: string): Promise<CalendarConnection | undefined> {
  const row = await selectConnections(db).where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();
  return row && toConnection(row);
}

export async function findConnectionById(db: Db | Tx, connectionId: string): Promise<CalendarConnection | undefined> {
  const row = await selectConnections(db).where('id', '=', connectionId).executeTakeFirst();
  return row && toConnection(row);
}

/** A user's connections, of every provider. */
export async function userConnections(db: Db | Tx, userId: string): Promise<CalendarConnection[]> {
  return (await selectConnections(db).where('user_id', '=', userId).orderBy('provider').execute()).map(toConnection);
}

/** A company's connections of one provider. */
export async function listConnections(db: Db | Tx, organisationId: string, provider: string): Promise<CalendarConnection[]> {
  return (await selectConnections(db).where('organisation_id', '=', organisationId).where('provider', '=', provider).execute()).map(toConnection);
}

/** The ids of a traveler's connected calendars (a booking change reconciles each). */
/** The connected calendars of a company whose provider's sync is on: those a company-wide setting reaches. */
export async function syncedConnectionIds(db: Db | Tx, organisationId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('calendar_connections as c')
    .innerJoin('organisation_calendar_providers as o', (j) => j.onRef('o.organisation_id', '=', 'c.organisation_id').onRef('o.provider', '=', 'c.provider'))
    .select('c.id')
    .where('c.organisation_id', '=', organisationId)
    .where('c.status', '=', 'connected')
    .where('o.sync_enabled', '=', true)
    .execute();
  return rows.map((r) => r.id);
}

export async function connectedConnectionIds(db: Db | Tx, userId: string): Promise<string[]> {
  const rows = await db.selectFrom('calendar_connections').select('id').where('user_id', '=', userId).where('status', '=', 'connected').execute();
  return rows.map((r) => r.id);
}

/** The user an account is connected to, if any (an account belongs to one user). */
export async function accountOwner(db: Db, provider: string, accountKey: string): Promise<string | undefined> {
  const row = await db.selectFrom('calendar_connections').select('user_id').where('provider', '=', provider).where('account_key', '=', accountKey).executeTakeFirst();
  return row?.user_id;
}

// ---- credentials ----

/** Associated data of a sealed credential: it opens only for this user and provider. */
const credentialContext = (provider: string, userId: string) => `${provider}-token-cache:${userId}`;
const accessTokenContext = (provider: string, userId: string) => `${provider}-access-token:${userId}`;

interface Owner {
  id: string;
  user_id: string;
  provider: string;
}

function sealAccessToken(box: SecretBox, owner: Pick<Owner, 'user_id' | 'provider'>, token: AccessToken): string {
  return box.seal(JSON.stringify({ token: token.token, expiresAt: token.expiresAt }), accessTokenContext(owner.provider, owner.user_id));
}

/** Opens a sealed access token; null when there is none or it no longer opens (a retired key). */
function openAccessToken(box: SecretBox, owner: Owner, sealed: string | null | undefined): AccessToken | null {
  if (!sealed) return null;
  try {
    const value = JSON.parse(box.open(sealed, accessTokenContext(owner.provider, owner.user_id))) as Partial<AccessToken>;
    return typeof value.token === 'string' && typeof value.expiresAt === 'number' ? { token: value.token, expiresAt: value.expiresAt } : null;
  } catch {
    return null;
  }
}

/**
 * The connection's credential, sealed with the user and provider as associated data, and its
 * current access token, sealed apart: any worker uses that token until it expires (a reconcile
 * reads it with its other state, `sealedAccessToken`), so only one of them opens the credential to
 * get the next. Only a connected account's credential is kept: a lapsed or disconnected one stays empty.
 */
export function credentialStore(db: Db, box: SecretBox, owner: Owner, now: () => Date = () => new Date(), sealedAccessToken?: string | null): CredentialStore {
  const context = credentialContext(owner.provider, owner.user_id);
  // A credential is kept only while it is the connection's: connected, or disconnected with its
  // events still to remove (a rotated refresh token saved then keeps the removal job working).
  const connected = () => db.updateTable('calendar_connections').where('id', '=', owner.id)
    .where((w) => w.or([w('status', '=', 'connected'), w.and([w('status', '=', 'disconnected'), w('status_reason', '=', REMOVING_EVENTS)])]));
  return {
    accessToken: openAccessToken(box, owner, sealedAccessToken),
    async saveAccessToken(token: AccessToken) {
      await connected().set({ access_token: sealAccessToken(box, owner, token) }).execute();
    },
    async load() {
      const row = await db.selectFrom('calendar_connections').select('credential').where('id', '=', owner.id).executeTakeFirst();
      return row?.credential ? box.open(row.credential, context) : null;
    },
    async save(serialized: string) {
      await connected().set({ credential: box.seal(serialized, context), last_refreshed_at: now() }).execute();
    },
  };
}

/** A credential held in memory: for a code redemption, before we know the account is acceptable. */
export function memoryCredentialStore(): CredentialStore & { value: string | null } {
  const store = {
    value: null as string | null,
    load: async () => store.value,
    save: async (serialized: string) => {
      store.value = serialized;
    },
  };
  return store;
}

// ---- transitions ----

/**
 * Every change of a connection's status, by name. Leaving `connected` drops the credential: a
 * refused credential is never tried again, and a disconnected one is not kept.
 */
export const TRANSITIONS = {
  /** The credential no longer works; the user must connect again (the home screen asks). */
  lapsed: { status: 'lapsed', dropCredential: true },
  /** The company-wide grant is gone; nothing works until an administrator grants it again. */
  revoked: { status: 'revoked', dropCredential: true },
  /** The user disconnected. */
  disconnected: { status: 'disconnected', dropCredential: true },
  /**
   * The user disconnected and asked for our events to be removed: nothing is written any more,
   * and the credential stays until the removal job (src/sync/remove-connection-events.ts) has used
   * it. Its reason is REMOVING_EVENTS.
   */
  removingEvents: { status: 'disconnected', dropCredential: false },
} as const satisfies Record<string, { status: ConnectionStatus; dropCredential: boolean }>;

export type TransitionName = keyof typeof TRANSITIONS;

/** The reason of a connection disconnected whose events are still being removed. */
export const REMOVING_EVENTS = 'removing_events';
/** The reason of a disconnected connection whose events could not all be removed (the calendar refused us). */
export const EVENTS_NOT_REMOVED = 'events_not_removed';

export async function transition(db: Db | Tx, connectionId: string, name: TransitionName, reason: string | null, at: Date): Promise<void> {
  const t = TRANSITIONS[name];
  await db
    .updateTable('calendar_connections')
    .set({ status: t.status, status_reason: reason, status_changed_at: at, unavailable_since: null, ...(t.dropCredential ? { credential: null, access_token: null } : {}) })
    .where('id', '=', connectionId)
    .execute();
}

/**
 * The provider cannot reach the connected account's calendar (a mailbox it does not serve): the
 * connection stays connected, with the reason shown to the traveler and the admin, and the time it
 * started, by which retries are spaced. Returns since when.
 */
export async function markCalendarUnavailable(db: Db, connectionId: string, reason: string, at: Date): Promise<Date> {
  const row = await db.updateTable('calendar_connections')
    .set({ status_reason: reason, unavailable_since: sql<Date>`coalesce(unavailable_since, ${at.toISOString()}::timestamptz)` })
    .where('id', '=', connectionId).where('status', '=', 'connected')
    .returning('unavailable_since').executeTakeFirst();
  return row?.unavailable_since ? new Date(row.unavailable_since) : at;
}

/** The calendar is reachable again: the reason goes. */
export async function markCalendarAvailable(db: Db, connectionId: string): Promise<void> {
  await db.updateTable('calendar_connections').set({ status_reason: null, unavailable_since: null })
    .where('id', '=', connectionId).where('status', '=', 'connected').execute();
}

/**
 * The transition into `connected`, from anywhere (a first connection, or a reconnection after a
 * lapse): the account, its sealed credential, and `rediscover`, so the next reconcile looks our
 * events up by their key before creating any. A reconnection to another account forgets the events
 * recorded for the old one. Returns the connection's id.
 */
export async function markConnected(db: Db, box: SecretBox, args: { userId: string; organisationId: string; provider: string; account: ConnectedAccount; credential: string; accessToken?: AccessToken; at: Date }): Promise<string> {
  const { userId, organisationId, provider, account, at } = args;
  const values = {
    organisation_id: organisationId, account_key: account.key, account_name: account.username, account_organization: account.organization ?? null,
    account_details: JSON.stringify(account.details), status: 'connected' as const, status_reason: null, status_changed_at: at,
    credential: box.seal(args.credential, credentialContext(provider, userId)),
    // The sign-in's own access token: the backfill that follows uses it (any worker), as later ones do.
    access_token: args.accessToken ? sealAccessToken(box, { user_id: userId, provider }, args.accessToken) : null,
    connected_at: at, last_refreshed_at: at, last_sync_error: null, reminder_sent_at: null, rediscover: true, unavailable_since: null,
  };
  // Another account (or, for CalDAV, another calendar) than before: the record of events written
  // is of a calendar this connection no longer writes to, so it goes, and the backfill starts afresh.
  const previous = await db.selectFrom('calendar_connections').select(['id', 'account_key']).where('user_id', '=', userId).where('provider', '=', provider).executeTakeFirst();
  if (previous && previous.account_key !== account.key) await db.deleteFrom('calendar_events').where('connection_id', '=', previous.id).execute();
  const row = await db
    .insertInto('calendar_connections')
    .values({ id: crypto.randomUUID(), user_id: userId, provider, ...values })
    .onConflict((oc) => oc.columns(['user_id', 'provider']).doUpdateSet(values))
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

// ---- what a reconcile reads and records ----

/** A row of calendar_events as a reconcile plans with it. */
export interface StoredMapping {
  segmentId: string;
  eventId: string | null;
  contentHash: string;
  transactionId: string;
  state: MappingState;
}

export interface SyncState {
  connection: CalendarConnection;
  grantStatus: GrantStatus;
  syncEnabled: boolean;
  locale: 'ja' | 'en';
  /** The company keeps cancelled bookings in calendars (as cancelled, free) instead of removing them. */
  keepCancelled: boolean;
  sealedAccessToken: string | null;
  /** The traveler's trips and the events already written, read only when there is work to do (connected, sync on). */
  work?: { trips: Trip[]; mappings: StoredMapping[] };
}

/**
 * Everything a reconcile reads before it plans, in one query: the connection, the company's grant
 * and sync switch for its provider, the traveler's language, the sealed access token, and, when the
 * calendar is to be written, every trip with its segments and the events already written. (Four
 * queries were half a sync worker's round trips to PostgreSQL, each costing CPU at both ends, and
 * four turns of the embedded database's one session; `npm run bench`.)
 */
export function loadSyncState(db: Db, connectionId: string): Promise<SyncState | undefined> {
  return syncStateLoader(db)(connectionId);
}

/**
 * Reads that arrive together go as one query (coalesce.ts): a company's reconciles all start when
 * its sync is turned on. The query runs after every call of its group, so each caller reads state
 * at least as recent as at its call (a booking committed before the job started is seen).
 */
const syncStateLoader = perHandle((db: Db) =>
  coalesce(async (connectionIds: string[]) => {
    const states = await loadSyncStates(db, connectionIds);
    return connectionIds.map((id) => states.get(id));
  }, { maxGroup: 100 }));

/** loadSyncState for many connections in one query; unknown ids are absent. */
export async function loadSyncStates(db: Db, connectionIds: readonly string[]): Promise<Map<string, SyncState>> {
  const works = sql<boolean>`(c.status = 'connected' and o.sync_enabled)`;
  const rows = await db
    .selectFrom('calendar_connections as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .innerJoin('organisations as org', 'org.id', 'c.organisation_id')
    .leftJoin('organisation_calendar_providers as o', (j) => j.onRef('o.organisation_id', '=', 'c.organisation_id').onRef('o.provider', '=', 'c.provider'))
    .select(connectionColumns.map((column) => `c.${column}` as const))
    .select(['c.account_details', 'o.grant_status', 'o.sync_enabled', 'u.locale', 'c.access_token', 'org.keep_cancelled_events'])
    .select([
      sql<string | null>`case when ${works} then ${travelerTripsJson(sql.ref('c.user_id'))} end`.as('trips'),
      sql<string | null>`case when ${works} then (
        select coalesce(json_agg(json_build_object(
          'segmentId', m.segment_id, 'eventId', m.event_id, 'contentHash', m.content_hash, 'transactionId', m.transaction_id, 'state', m.state
        )), '[]')::text
        from calendar_events m where m.connection_id = c.id
      ) end`.as('mappings'),
    ])
    .where('c.id', '=', sql<string>`any(${[...connectionIds]}::uuid[])`)
    .execute();
  const states = new Map<string, SyncState>();
  for (const row of rows) {
    const { grant_status, sync_enabled, locale, access_token, trips, mappings, keep_cancelled_events, ...connection } = row;
    states.set(connection.id, {
      connection: toConnection(connection), grantStatus: grant_status ?? 'none', syncEnabled: sync_enabled === true, locale, keepCancelled: keep_cancelled_events, sealedAccessToken: access_token,
      ...(trips !== null && mappings !== null ? { work: { trips: parseTravelerTrips(trips), mappings: JSON.parse(mappings) as StoredMapping[] } } : {}),
    });
  }
  return states;
}

export async function recordSyncOutcome(db: Db, connectionId: string, at: Date, error: string | null): Promise<void> {
  await db.updateTable('calendar_connections').set({ last_synced_at: at, last_sync_error: error }).where('id', '=', connectionId).execute();
}

/** How many reconciles ended, in one statement (one array per column: one statement text whatever their number). */
export async function recordSyncOutcomes(db: Db, outcomes: Array<{ connectionId: string; at: Date; error: string | null }>): Promise<void> {
  if (!outcomes.length) return;
  await sql`
    update calendar_connections as c
    set last_synced_at = v.at, last_sync_error = v.error
    from unnest(${outcomes.map((o) => o.connectionId)}::uuid[], ${outcomes.map((o) => o.at.toISOString())}::timestamptz[], ${outcomes.map((o) => o.error)}::text[]) as v(id, at, error)
    where c.id = v.id`.execute(db);
}

/** Our events were looked up by key after a (re)connect; later reconciles trust the record. */
export async function markRediscovered(db: Db, connectionId: string): Promise<void> {
  await db.updateTable('calendar_connections').set({ rediscover: false }).where('id', '=', connectionId).execute();
}

// ---- connection care ----

export interface ConnectionToCareFor {
  id: string;
  user_id: string;
  organisation_id: string;
  provider: string;
  details: Record<string, string>;
  connected_at: Date;
  last_refreshed_at: Date | null;
  reminder_sent_at: Date | null;
  last_login_at: Date | null;
  login_policy_days: number | null;
}

/** Every connected connection, with what its daily care needs: the user's last log-in and the company's rule. */
export async function connectionsToCareFor(db: Db): Promise<ConnectionToCareFor[]> {
  const rows = await db
    .selectFrom('calendar_connections as c')
    .innerJoin('users as u', 'u.id', 'c.user_id')
    .innerJoin('organisations as o', 'o.id', 'c.organisation_id')
    .select(['c.id', 'c.user_id', 'c.organisation_id', 'c.provider', 'c.account_details', 'c.connected_at', 'c.last_refreshed_at', 'c.reminder_sent_at', 'u.last_login_at', 'o.login_policy_days'])
    .where('c.status', '=', 'connected')
    .execute();
  return rows.map(({ account_details, ...r }) => ({ ...r, details: JSON.parse(account_details) as Record<string, string> }));
}

export async function markReminderSent(db: Db, connectionId: string, at: Date): Promise<void> {
  await db.updateTable('calendar_connections').set({ reminder_sent_at: at }).where('id', '=', connectionId).execute();
}

// ---- the home-screen prompt ----

export async function promptDismissedAt(db: Db, userId: string): Promise<Date | undefined> {
  const row = await db.selectFrom('users').select('calendar_prompt_dismissed_at').where('id', '=', userId).executeTakeFirst();
  return row?.calendar_prompt_dismissed_at ? new Date(row.calendar_prompt_dismissed_at) : undefined;
}

/** The traveler closed the connect prompt; it comes back once a connection lapses after this. */
export async function dismissConnectPrompt(db: Db, userId: string, at: Date): Promise<void> {
  await db.updateTable('users').set({ calendar_prompt_dismissed_at: at }).where('id', '=', userId).execute();
}

/** The providers whose connection the traveler must renew (lapsed or revoked while the company's sync is on). */
export async function providersToReconnect(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .selectFrom('calendar_connections as c')
    .innerJoin('organisation_calendar_providers as o', (j) => j.onRef('o.organisation_id', '=', 'c.organisation_id').onRef('o.provider', '=', 'c.provider'))
    .select('c.provider')
    .where('c.user_id', '=', userId)
    .where('c.status', 'in', ['lapsed', 'revoked'])
    .where('o.sync_enabled', '=', true)
    .orderBy('c.provider')
    .execute();
  return rows.map((r) => r.provider);
}
