// Travelers' private subscription feeds: one per user, found by the SHA-256 of its token. The token
// is also kept sealed (the user as associated data) so its owner can see the URL again; replacing
// it makes the old URL answer 404 at once, as does turning the feed off.
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import type { Locale, Trip } from '../domain/types.ts';
import type { Db } from './database.ts';
import { sha256 } from './oauth-states.ts';
import type { SecretBox } from './secret-box.ts';
import { parseTravelerTrips, travelerTripsJson } from './trips.ts';

/** Associated data of a sealed feed token: it opens only for this user. */
const tokenContext = (userId: string) => `calendar-feed-token:${userId}`;

/** 32 random bytes, base64url: 43 characters, 256 bits. */
export function newFeedToken(): string {
  return randomBytes(32).toString('base64url');
}

/** What a well-formed token looks like; anything else is not looked up at all. */
export const FEED_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

export interface MyFeed {
  token: string;
  createdAt: Date;
}

/** The user's feed with its token opened, or undefined when the feed is off. */
export async function findMyFeed(db: Db, box: SecretBox, userId: string): Promise<MyFeed | undefined> {
  const row = await db.selectFrom('calendar_feeds').select(['token', 'created_at']).where('user_id', '=', userId).executeTakeFirst();
  return row && { token: box.open(row.token, tokenContext(userId)), createdAt: new Date(row.created_at) };
}

/** Turns the feed on with a new token, or replaces the token of a feed already on (the old URL stops working). */
export async function replaceFeedToken(db: Db, box: SecretBox, user: { id: string; organisationId: string }, at: Date): Promise<MyFeed> {
  const token = newFeedToken();
  const values = { organisation_id: user.organisationId, token_hash: sha256(token), token: box.seal(token, tokenContext(user.id)), created_at: at };
  await db
    .insertInto('calendar_feeds')
    .values({ user_id: user.id, ...values })
    .onConflict((oc) => oc.column('user_id').doUpdateSet(values))
    .execute();
  return { token, createdAt: at };
}

/** Turns the feed off: its URL answers 404 from now on. */
export async function revokeFeed(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('calendar_feeds').where('user_id', '=', userId).execute();
}

/**
 * What a feed request needs to answer a conditional request: whose feed it is, their language, and
 * a stamp of their trips (the newest change, the sum of the trips' versions and their number; any
 * booking change moves it). One statement: the feed by its token's hash (a unique index), the user
 * by primary key, and the traveler's trips through an index on (traveler_id, updated_at) that
 * includes the version, so no table row of a trip is read.
 */
export interface FeedStamp {
  userId: string;
  locale: Locale;
  tripsChangedAt: Date | null;
  versions: number;
  trips: number;
  /** The company keeps cancelled bookings in calendars (and so in the feed). */
  keepCancelled: boolean;
}

export async function feedStamp(db: Db, token: string): Promise<FeedStamp | undefined> {
  const { rows } = await sql<{ user_id: string; locale: Locale; changed_at: Date | string | null; versions: number; trips: number; keep_cancelled_events: boolean }>`
    select f.user_id, u.locale, s.changed_at, s.versions, s.trips, o.keep_cancelled_events
    from calendar_feeds f
    join users u on u.id = f.user_id
    join organisations o on o.id = u.organisation_id
    cross join lateral (
      select max(t.updated_at) as changed_at, coalesce(sum(t.version), 0)::int as versions, count(*)::int as trips
      from trips t where t.traveler_id = f.user_id
    ) s
    where f.token_hash = ${sha256(token)}`.execute(db);
  const row = rows[0];
  if (!row) return undefined;
  return { userId: row.user_id, locale: row.locale, tripsChangedAt: row.changed_at === null ? null : new Date(row.changed_at), versions: row.versions, trips: row.trips, keepCancelled: row.keep_cancelled_events === true };
}

/** Every trip of the traveler, with its segments (the feed picks what it shows). */
export async function feedTrips(db: Db, userId: string): Promise<Trip[]> {
  const { rows } = await sql<{ trips: string }>`select ${travelerTripsJson(userId)} as trips`.execute(db);
  return parseTravelerTrips(rows[0]!.trips);
}
