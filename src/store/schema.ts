// Kysely's view of the tables. Migrations in ./migrations are the source of truth.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface OrganisationsTable {
  id: string;
  name: string;
  /** Days without an OBT log-in after which a traveler's calendar connections lapse; null: no such rule. */
  login_policy_days: ColumnType<number | null, number | null | undefined, number | null>;
  created_at: Generated<Date>;
  /** A booking naming an unknown traveler creates them in the company. */
  travelers_from_bookings: Generated<boolean>;
  /** A deprovisioned traveler's calendar events are removed (otherwise left as they are). */
  remove_events_on_deprovision: Generated<boolean>;
  /** Cancelled bookings stay in travelers' calendars as "Canceled: …", free, with no reminder (otherwise removed). */
  keep_cancelled_events: Generated<boolean>;
}

export interface UsersTable {
  id: string;
  organisation_id: string;
  email: string;
  display_name: string;
  role: 'traveler' | 'admin';
  locale: 'ja' | 'en';
  time_zone: string;
  password_hash: string | null;
  last_login_at: Date | null;
  calendar_prompt_dismissed_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  created_at: Generated<Date>;
  /** False once deprovisioned: no log-in, emails or calendar writes; trips kept. */
  active: Generated<boolean>;
  /** Deleted by the identity provider (SCIM DELETE): gone from SCIM, kept for its trips. */
  deleted_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
  /** The identity provider's key for the user (SCIM externalId). */
  external_id: ColumnType<string | null, string | null | undefined, string | null>;
  /** The account the user signs in with through a calendar provider: provider, organisation, immutable id. */
  sign_in_provider: ColumnType<string | null, string | null | undefined, string | null>;
  sign_in_organization: ColumnType<string | null, string | null | undefined, string | null>;
  sign_in_subject: ColumnType<string | null, string | null | undefined, string | null>;
}

export interface ApiKeysTable {
  id: string;
  organisation_id: string;
  /** SHA-256 of the key, hex. The key itself is shown once and never stored. */
  key_hash: string;
  /** The first characters, so an admin can tell keys apart. */
  prefix: string;
  created_at: Generated<Date>;
  revoked_at: Date | null;
  /** A booking-API key or a SCIM token. */
  kind: ColumnType<'booking' | 'scim', 'booking' | 'scim' | undefined, 'booking' | 'scim'>;
  name: ColumnType<string | null, string | null | undefined, string | null>;
  last_used_at: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export interface PasswordLinksTable {
  /** SHA-256 of the link's token; the token is only in the link. */
  token_hash: string;
  user_id: string;
  purpose: 'invitation' | 'reset';
  created_at: Generated<Date>;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

export interface RateLimitsTable {
  key: string;
  hits: number;
  window_ends_at: Timestamp;
}

export interface TripsTable {
  id: string;
  organisation_id: string;
  traveler_id: string;
  booking_ref: string;
  title: string | null;
  version: number;
  status: 'active' | 'cancelled';
  created_at: Generated<Date>;
  updated_at: Timestamp;
}

export interface SegmentsTable {
  id: string;
  trip_id: string;
  ref: string;
  kind: 'flight' | 'hotel' | 'car' | 'rail';
  status: 'confirmed' | 'cancelled';
  sequence: number;
  position: number;
  details: Json<Record<string, unknown>>;
  starts_at: Timestamp;
  ends_at: Timestamp;
}

export interface TripChangesTable {
  id: string;
  trip_id: string;
  version: number;
  kind: 'created' | 'changed' | 'cancelled';
  changed_segment_ids: Json<string[]>;
  cancelled_segment_ids: Json<string[]>;
  snapshot: Json<unknown>;
  occurred_at: Timestamp;
  /** When its itinerary email was handed to the mail server. */
  emailed_at: ColumnType<Date | null, Date | string | null | undefined, Date | string | null>;
}

export interface SessionsTable {
  id_hash: string;
  user_id: string;
  created_at: Generated<Date>;
  expires_at: Timestamp;
}

export type GrantStatus = 'none' | 'granted' | 'refused' | 'revoked';

export interface OrganisationCalendarProvidersTable {
  organisation_id: string;
  provider: string;
  grant_status: ColumnType<GrantStatus, GrantStatus | undefined, GrantStatus>;
  grant_organization: string | null;
  grant_changed_at: Timestamp | null;
  grant_error: string | null;
  /** The organisation a grant redirect named, not yet proven by an administrator's own sign-in. */
  grant_claim: ColumnType<string | null, string | null | undefined, string | null>;
  connected_by: string | null;
  connected_at: Timestamp | null;
  sync_enabled: ColumnType<boolean, boolean | undefined, boolean>;
  sync_changed_at: Timestamp | null;
  /** The grant is a delegation for every user of the organisation: tripcal makes their connections. */
  delegated: ColumnType<boolean, boolean | undefined, boolean>;
}

export interface OauthStatesTable {
  state_hash: string;
  provider: string;
  purpose: 'admin_consent' | 'connect';
  organisation_id: string;
  user_id: string;
  session_hash: string;
  code_verifier: string | null;
  return_to: string | null;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** A sign-in through an identity provider in progress, bound to the browser that started it. */
export interface SignInStatesTable {
  state_hash: string;
  provider: string;
  browser_hash: string;
  /** Sealed. */
  code_verifier: string;
  /** Sealed. */
  nonce: string;
  /** Sealed: the invitation link's token the sign-in was started from. */
  invitation: string | null;
  /** The web app's path to land on once signed in (checked by safeNextPath); null: the home page. */
  next_path: string | null;
  expires_at: Timestamp;
  used_at: Timestamp | null;
}

/** A user's account at an identity provider: its organisation (Microsoft's tid) and subject (oid). */
export interface UserIdentitiesTable {
  provider: string;
  organization: string;
  subject: string;
  user_id: string;
  linked_at: ColumnType<Date, Date | string | undefined, Date | string>;
}

export type ConnectionStatus = 'connected' | 'lapsed' | 'revoked' | 'disconnected';

export interface CalendarConnectionsTable {
  id: string;
  user_id: string;
  organisation_id: string;
  provider: string;
  account_key: string;
  account_name: string;
  account_organization: string | null;
  /** JSON: what the provider needs to reach the account. */
  account_details: ColumnType<string, string | undefined, string>;
  /** Sealed: the provider's opaque credential (e.g. a token cache). */
  credential: string | null;
  /** Sealed JSON { token, expiresAt }: the access token any worker may use until it expires. */
  access_token: string | null;
  status: ConnectionStatus;
  status_reason: string | null;
  status_changed_at: Timestamp;
  connected_at: Timestamp;
  last_refreshed_at: Timestamp | null;
  last_synced_at: Timestamp | null;
  last_sync_error: string | null;
  reminder_sent_at: Timestamp | null;
  rediscover: ColumnType<boolean, boolean | undefined, boolean>;
  /** Since when the provider cannot reach the account's calendar; null while it can. */
  unavailable_since: ColumnType<Date | null, Date | null | undefined, Date | null>;
}

export type MappingState = 'creating' | 'synced' | 'user_deleted' | 'failed';

export interface CalendarEventsTable {
  connection_id: string;
  segment_id: string;
  event_id: string | null;
  content_hash: string;
  transaction_id: string;
  state: MappingState;
  error: string | null;
  updated_at: Timestamp;
}

/** A traveler's private subscription feed (one per user). */
export interface CalendarFeedsTable {
  user_id: string;
  organisation_id: string;
  /** SHA-256 of the feed's token, hex: what a feed request is found by. */
  token_hash: string;
  /** The token, sealed with the user as associated data: shown to its owner again. */
  token: string;
  created_at: Timestamp;
}

/** A calendar provider's fault that only the operator can fix, while it lasts (migration 0014). */
export interface OperatorAlarmsTable {
  provider: string;
  /** The provider's code (e.g. AADSTS7000222), never a secret. */
  reason: string;
  since: Timestamp;
  /** Failed tries since it started: the wait before the next one grows with it. */
  failures: number;
  next_probe_at: Timestamp;
}

export interface Database {
  organisations: OrganisationsTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  trips: TripsTable;
  segments: SegmentsTable;
  trip_changes: TripChangesTable;
  sessions: SessionsTable;
  organisation_calendar_providers: OrganisationCalendarProvidersTable;
  oauth_states: OauthStatesTable;
  calendar_connections: CalendarConnectionsTable;
  calendar_events: CalendarEventsTable;
  password_links: PasswordLinksTable;
  rate_limits: RateLimitsTable;
  calendar_feeds: CalendarFeedsTable;
  sign_in_states: SignInStatesTable;
  user_identities: UserIdentitiesTable;
  operator_alarms: OperatorAlarmsTable;
}
