// Booking changes. Each one is ONE transaction: the trip, its segments, the change log entry and
// the jobs that follow from it (the itinerary email, later the calendar sync) commit together or
// not at all. A request that changes nothing writes nothing and sends nothing.
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { applyBooking, cancelSegments } from '../domain/apply-booking.ts';
import type { SegmentInput, TripChangeInput, TripInput } from '../domain/booking-schema.ts';
import { parseSegments } from '../domain/parse-booking.ts';
import { isValidTimeZone } from '../domain/zoned-time.ts';
import type { SegmentTimes } from '../domain/segment-span.ts';
import type { ChangeKind, Segment, Trip, TripChange } from '../domain/types.ts';
import { QUEUES, type Store, type Tx } from './database.ts';
import { findTripByRef } from './trips.ts';

export type BookingErrorCode = 'trip_not_found' | 'segment_not_found' | 'traveler_not_found' | 'invalid_traveler';

export class BookingError extends Error {
  readonly code: BookingErrorCode;
  readonly field?: string;
  constructor(code: BookingErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'BookingError';
    this.code = code;
    this.field = field;
  }
}

export interface BookingResult {
  trip: Trip;
  /** Undefined when the request changed nothing (a retry, or the same booking sent again). */
  change?: TripChange;
  created: boolean;
}

/** Hooks run inside the booking's transaction, after the mail job is enqueued (e.g. calendar sync). */
export type ChangeHook = (tx: Tx, change: TripChange) => Promise<void>;

export interface BookingsOptions {
  now?: () => Date;
  onChange?: ChangeHook[];
}

export function bookings(store: Store, options: BookingsOptions = {}) {
  const now = options.now ?? (() => new Date());
  const hooks = options.onChange ?? [];

  const findTraveler = (tx: Tx, organisationId: string, email: string) =>
    tx.selectFrom('users').select(['id', 'time_zone', 'display_name', 'locale'])
      .where('organisation_id', '=', organisationId)
      .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
      .executeTakeFirst();

  /**
   * The trip's traveler: by `travelerEmail`, a user of the company; or by `traveler`, created in
   * the company when unknown (unless the company turned that off) and updated when their name,
   * language or zone changed.
   */
  async function travelerOf(tx: Tx, organisationId: string, input: TripInput): Promise<{ id: string; time_zone: string }> {
    if (input.travelerEmail !== undefined && input.traveler !== undefined) {
      throw new BookingError('invalid_traveler', 'traveler: give either travelerEmail or traveler, not both', 'traveler');
    }
    if (input.traveler === undefined) {
      if (input.travelerEmail === undefined) throw new BookingError('invalid_traveler', 'travelerEmail: is required (or traveler, the traveler in full)', 'travelerEmail');
      const traveler = await findTraveler(tx, organisationId, input.travelerEmail);
      if (!traveler) throw new BookingError('traveler_not_found', `travelerEmail: no user with this email in your company`, 'travelerEmail');
      return traveler;
    }
    const t = input.traveler;
    if (!isValidTimeZone(t.timeZone)) throw new BookingError('invalid_traveler', `traveler.timeZone: unknown time zone "${t.timeZone}"`, 'traveler.timeZone');
    const known = await findTraveler(tx, organisationId, t.email);
    if (known) {
      if (known.display_name !== t.name || known.locale !== t.locale || known.time_zone !== t.timeZone) {
        await tx.updateTable('users').set({ display_name: t.name, locale: t.locale, time_zone: t.timeZone }).where('id', '=', known.id).execute();
      }
      return { id: known.id, time_zone: t.timeZone };
    }
    const org = await tx.selectFrom('organisations').select('travelers_from_bookings').where('id', '=', organisationId).executeTakeFirstOrThrow();
    if (!org.travelers_from_bookings) throw new BookingError('traveler_not_found', 'traveler.email: no user with this email in your company, and your company does not create travelers from bookings', 'traveler.email');
    const id = randomUUID();
    const inserted = await tx.insertInto('users').values({
      id, organisation_id: organisationId, email: t.email, display_name: t.name, role: 'traveler', locale: t.locale, time_zone: t.timeZone, password_hash: null, last_login_at: null,
    }).onConflict((oc) => oc.expression(sql`lower(email)`).doNothing()).returning('id').executeTakeFirst();
    if (inserted) return { id, time_zone: t.timeZone };
    // Another booking naming the same new traveler committed first: theirs is the user.
    const raced = await findTraveler(tx, organisationId, t.email);
    if (raced) return raced;
    // The email is a user of another company (emails are unique across companies).
    throw new BookingError('invalid_traveler', 'traveler.email: this email cannot be a traveler of your company', 'traveler.email');
  }

  async function homeZone(tx: Tx, travelerId: string): Promise<string> {
    const row = await tx.selectFrom('users').select('time_zone').where('id', '=', travelerId).executeTakeFirstOrThrow();
    return row.time_zone;
  }

  async function record(
    tx: Tx,
    trip: Trip,
    kind: ChangeKind,
    segments: Segment[],
    times: Map<string, SegmentTimes> | undefined,
    changedSegmentIds: string[],
    cancelledSegmentIds: string[],
  ): Promise<TripChange> {
    const at = now();
    const touched = new Set([...changedSegmentIds, ...cancelledSegmentIds]);
    const stored = new Set(trip.segments.map((s) => s.id));
    for (const [position, s] of segments.entries()) {
      if (!touched.has(s.id)) continue;
      const { id, ref, status, sequence, ...details } = s;
      const span = times?.get(id);
      const values = { status, sequence, position, details: JSON.stringify(details) };
      if (!stored.has(id) && span) {
        await tx.insertInto('segments').values({ id, trip_id: trip.id, ref, kind: s.kind, ...values, starts_at: span.startsAt, ends_at: span.endsAt }).execute();
      } else {
        await tx.updateTable('segments').set({ ...values, ...(span ? { starts_at: span.startsAt, ends_at: span.endsAt } : {}) }).where('id', '=', id).execute();
      }
    }
    const next: Trip = { ...trip, segments };
    await tx.updateTable('trips').set({ version: next.version, status: next.status, title: next.title ?? null, updated_at: at }).where('id', '=', trip.id).execute();
    const change: TripChange = { id: randomUUID(), tripId: trip.id, version: next.version, kind, changedSegmentIds, cancelledSegmentIds, trip: next, occurredAt: at };
    await tx
      .insertInto('trip_changes')
      .values({
        id: change.id, trip_id: trip.id, version: change.version, kind,
        changed_segment_ids: JSON.stringify(changedSegmentIds),
        cancelled_segment_ids: JSON.stringify(cancelledSegmentIds),
        snapshot: JSON.stringify(next),
        occurred_at: at,
      })
      .execute();
    await store.enqueue(tx, QUEUES.itineraryMail, { changeId: change.id });
    for (const hook of hooks) await hook(tx, change);
    return change;
  }

  async function lockTrip(tx: Tx, organisationId: string, bookingRef: string): Promise<Trip> {
    const trip = await findTripByRef(tx, organisationId, bookingRef, { forUpdate: true });
    if (!trip) throw new BookingError('trip_not_found', `bookingRef: no trip "${bookingRef}" in your company`, 'bookingRef');
    return trip;
  }

  return {
    /** A new booking. The same booking reference again returns the trip as it is and changes nothing. */
    async create(organisationId: string, input: TripInput): Promise<BookingResult> {
      return store.db.transaction().execute(async (tx) => {
        const existing = await findTripByRef(tx, organisationId, input.bookingRef);
        if (existing) return { trip: existing, created: false };
        const traveler = await travelerOf(tx, organisationId, input);
        const parsed = parseSegments(input.segments, { homeTimeZone: traveler.time_zone });
        const trip: Trip = {
          id: randomUUID(), organisationId, travelerId: traveler.id, bookingRef: input.bookingRef,
          ...(input.title ? { title: input.title } : {}), version: 1, status: 'active', segments: [],
        };
        // The same booking sent twice at once (a retry racing its first try): both found no trip
        // above. This insert then waits for the other's and, once that commits, adds nothing; the
        // request is answered as the retry it is, having written nothing.
        const inserted = await tx.insertInto('trips').values({
          id: trip.id, organisation_id: organisationId, traveler_id: traveler.id, booking_ref: trip.bookingRef,
          title: trip.title ?? null, version: 0, status: 'active', updated_at: now(),
        }).onConflict((oc) => oc.columns(['organisation_id', 'booking_ref']).doNothing()).returning('id').executeTakeFirst();
        if (!inserted) {
          const committed = await findTripByRef(tx, organisationId, input.bookingRef);
          if (!committed) throw new Error(`trip "${input.bookingRef}" was neither inserted nor found`);
          return { trip: committed, created: false };
        }
        const applied = applyBooking([], parsed);
        const change = await record(tx, trip, 'created', applied.segments, applied.times, applied.changedSegmentIds, []);
        return { trip: change.trip, change, created: true };
      });
    },

    /** The booking as it now stands: segments added, altered and removed (= cancelled). */
    async change(organisationId: string, bookingRef: string, input: TripChangeInput): Promise<BookingResult> {
      return store.db.transaction().execute(async (tx) => {
        const trip = await lockTrip(tx, organisationId, bookingRef);
        const parsed = parseSegments(input.segments as SegmentInput[], { homeTimeZone: await homeZone(tx, trip.travelerId) });
        const applied = applyBooking(trip.segments, parsed);
        const title = input.title ?? trip.title;
        const titleChanged = (title ?? '') !== (trip.title ?? '');
        if (!applied.changedSegmentIds.length && !applied.cancelledSegmentIds.length && !titleChanged) return { trip, created: false };
        const next: Trip = { ...trip, version: trip.version + 1, status: 'active', ...(title ? { title } : {}) };
        const kind: ChangeKind = applied.segments.some((s) => s.status === 'confirmed') ? 'changed' : 'cancelled';
        if (kind === 'cancelled') next.status = 'cancelled';
        const change = await record(tx, next, kind, applied.segments, applied.times, applied.changedSegmentIds, applied.cancelledSegmentIds);
        return { trip: change.trip, change, created: false };
      });
    },

    /** Cancels one segment, or the whole trip when `segmentRef` is undefined. Cancelling twice changes nothing. */
    async cancel(organisationId: string, bookingRef: string, segmentRef?: string): Promise<BookingResult> {
      return store.db.transaction().execute(async (tx) => {
        const trip = await lockTrip(tx, organisationId, bookingRef);
        if (segmentRef !== undefined && !trip.segments.some((s) => s.ref === segmentRef)) {
          throw new BookingError('segment_not_found', `segmentRef: no segment "${segmentRef}" in trip "${bookingRef}"`, 'segmentRef');
        }
        const { segments, cancelledSegmentIds } = cancelSegments(trip.segments, segmentRef === undefined ? undefined : new Set([segmentRef]));
        if (!cancelledSegmentIds.length) return { trip, created: false };
        const allCancelled = segments.every((s) => s.status === 'cancelled');
        const next: Trip = { ...trip, version: trip.version + 1, status: allCancelled ? 'cancelled' : 'active' };
        const change = await record(tx, next, allCancelled ? 'cancelled' : 'changed', segments, undefined, [], cancelledSegmentIds);
        return { trip: change.trip, change, created: false };
      });
    },
  };
}

export type Bookings = ReturnType<typeof bookings>;
