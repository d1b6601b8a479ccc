// Kysely's view of the tables. Migrations in ./migrations are the source of truth.
import type { ColumnType, Generated } from 'kysely';

type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Json<T> = ColumnType<T, string, string>;

export interface OrganisationsTable {
  id: string;
  name: string;
  created_at: Generated<Date>;
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
  created_at: Generated<Date>;
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
}

export interface Database {
  organisations: OrganisationsTable;
  users: UsersTable;
  api_keys: ApiKeysTable;
  trips: TripsTable;
  segments: SegmentsTable;
  trip_changes: TripChangesTable;
}
