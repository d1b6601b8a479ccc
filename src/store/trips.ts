// Reading trips, segments and their change log. Every query is scoped by organisation:
// one company never sees another's trips.
import type { Segment, Trip, TripChange } from '../domain/types.ts';
import type { Db, Tx } from './database.ts';
import type { Selectable } from 'kysely';
import type { SegmentsTable, TripChangesTable, TripsTable } from './schema.ts';

function toSegment(row: Pick<Selectable<SegmentsTable>, 'id' | 'ref' | 'status' | 'sequence' | 'details'>): Segment {
  return { ...(row.details as object), id: row.id, ref: row.ref, status: row.status, sequence: row.sequence } as Segment;
}

export async function loadSegments(db: Db | Tx, tripId: string): Promise<Segment[]> {
  const rows = await db
    .selectFrom('segments')
    .select(['id', 'ref', 'status', 'sequence', 'details'])
    .where('trip_id', '=', tripId)
    .orderBy('position')
    .execute();
  return rows.map(toSegment);
}

function toTrip(row: Pick<Selectable<TripsTable>, 'id' | 'organisation_id' | 'traveler_id' | 'booking_ref' | 'title' | 'version' | 'status'>, segments: Segment[]): Trip {
  return {
    id: row.id,
    organisationId: row.organisation_id,
    travelerId: row.traveler_id,
    bookingRef: row.booking_ref,
    ...(row.title ? { title: row.title } : {}),
    version: row.version,
    status: row.status,
    segments,
  };
}

const tripColumns = ['id', 'organisation_id', 'traveler_id', 'booking_ref', 'title', 'version', 'status'] as const;

export async function findTripByRef(db: Db | Tx, organisationId: string, bookingRef: string, opts: { forUpdate?: boolean } = {}): Promise<Trip | undefined> {
  let q = db.selectFrom('trips').select(tripColumns).where('organisation_id', '=', organisationId).where('booking_ref', '=', bookingRef);
  if (opts.forUpdate) q = q.forUpdate();
  const row = await q.executeTakeFirst();
  return row && toTrip(row, await loadSegments(db, row.id));
}

export async function findTripById(db: Db | Tx, organisationId: string, tripId: string): Promise<Trip | undefined> {
  const row = await db.selectFrom('trips').select(tripColumns).where('organisation_id', '=', organisationId).where('id', '=', tripId).executeTakeFirst();
  return row && toTrip(row, await loadSegments(db, row.id));
}

/**
 * Every trip of a traveler with its segments, in one query (a reconcile reads them all; each
 * round trip costs both ends CPU, see `npm run bench`). A trip without segments comes back too.
 */
export async function loadTravelerTrips(db: Db | Tx, travelerId: string): Promise<Trip[]> {
  const rows = await db
    .selectFrom('trips as t')
    .leftJoin('segments as s', 's.trip_id', 't.id')
    .select(['t.id', 't.organisation_id', 't.traveler_id', 't.booking_ref', 't.title', 't.version', 't.status'])
    .select(['s.id as segment_id', 's.ref', 's.status as segment_status', 's.sequence', 's.details'])
    .where('t.traveler_id', '=', travelerId)
    .orderBy('t.id')
    .orderBy('s.position')
    .execute();
  const trips = new Map<string, { row: (typeof rows)[number]; segments: Segment[] }>();
  for (const r of rows) {
    let trip = trips.get(r.id);
    if (!trip) trips.set(r.id, (trip = { row: r, segments: [] }));
    if (r.segment_id !== null) trip.segments.push(toSegment({ id: r.segment_id, ref: r.ref!, status: r.segment_status!, sequence: r.sequence!, details: r.details! }));
  }
  return [...trips.values()].map(({ row, segments }) => toTrip(row, segments));
}

export interface TripSummary {
  id: string;
  bookingRef: string;
  title: string | null;
  status: 'active' | 'cancelled';
  version: number;
  startsAt: Date | null;
  endsAt: Date | null;
}

/** A traveler's trips with their span, earliest first. */
export async function listTravelerTrips(db: Db, organisationId: string, travelerId: string): Promise<TripSummary[]> {
  const rows = await db
    .selectFrom('trips')
    .leftJoin('segments', (j) => j.onRef('segments.trip_id', '=', 'trips.id').on('segments.status', '=', 'confirmed'))
    .select((eb) => [
      'trips.id', 'trips.booking_ref', 'trips.title', 'trips.status', 'trips.version',
      eb.fn.min('segments.starts_at').as('starts_at'),
      eb.fn.max('segments.ends_at').as('ends_at'),
    ])
    .where('trips.organisation_id', '=', organisationId)
    .where('trips.traveler_id', '=', travelerId)
    .groupBy('trips.id')
    .orderBy('starts_at')
    .execute();
  return rows.map((r) => ({
    id: r.id, bookingRef: r.booking_ref, title: r.title, status: r.status, version: r.version,
    startsAt: r.starts_at ? new Date(r.starts_at) : null,
    endsAt: r.ends_at ? new Date(r.ends_at) : null,
  }));
}

export function toTripChange(row: Selectable<TripChangesTable>): TripChange {
  return {
    id: row.id,
    tripId: row.trip_id,
    version: row.version,
    kind: row.kind,
    changedSegmentIds: row.changed_segment_ids,
    cancelledSegmentIds: row.cancelled_segment_ids,
    trip: row.snapshot as Trip,
    occurredAt: new Date(row.occurred_at),
  };
}

export async function findTripChange(db: Db, changeId: string): Promise<TripChange | undefined> {
  const row = await db.selectFrom('trip_changes').selectAll().where('id', '=', changeId).executeTakeFirst();
  return row && toTripChange(row);
}

export async function listTripChanges(db: Db, tripId: string): Promise<TripChange[]> {
  const rows = await db.selectFrom('trip_changes').selectAll().where('trip_id', '=', tripId).orderBy('version').execute();
  return rows.map((r) => toTripChange(r));
}
