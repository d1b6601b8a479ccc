// The booking API: what an OBT's booking engine or a GDS feed calls. Authenticated with the
// company's API key (`Authorization: Bearer <key>`); every route is scoped to that company.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tripChangeInputSchema, tripInputSchema, type TripChangeInput, type TripInput } from '../domain/booking-schema.ts';
import type { Locale, Trip } from '../domain/types.ts';
import { itineraryDownload } from '../ics/itinerary-calendars.ts';
import type { Bookings, BookingResult } from '../store/bookings.ts';
import type { Store } from '../store/database.ts';
import { findUser, organisationForApiKey } from '../store/organisations.ts';
import { findTripByRef } from '../store/trips.ts';
import { HttpError } from './errors.ts';

export interface BookingRoutesOptions {
  store: Store;
  bookings: Bookings;
  organizer: { name: string; email: string };
}

declare module 'fastify' {
  interface FastifyRequest {
    organisationId?: string;
  }
}

const bookingRefParam = {
  type: 'object',
  required: ['bookingRef'],
  properties: { bookingRef: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const segmentRefParams = {
  type: 'object',
  required: ['bookingRef', 'segmentRef'],
  properties: { bookingRef: { type: 'string', minLength: 1, maxLength: 64 }, segmentRef: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;

const errorResponse = {
  type: 'object',
  properties: {
    error: { type: 'string' },
    message: { type: 'string' },
    field: { type: 'string' },
    problems: { type: 'array', items: { type: 'object', properties: { field: { type: 'string' }, message: { type: 'string' } } } },
  },
} as const;

const security = [{ apiKey: [] }];

function bearerKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return m?.[1];
}

function orgOf(request: FastifyRequest): string {
  if (!request.organisationId) throw new Error('booking route reached without authentication');
  return request.organisationId;
}

function body(result: BookingResult) {
  return {
    trip: result.trip,
    version: result.trip.version,
    changed: result.change !== undefined,
    ...(result.change
      ? { change: { id: result.change.id, kind: result.change.kind, changedSegmentIds: result.change.changedSegmentIds, cancelledSegmentIds: result.change.cancelledSegmentIds } }
      : {}),
  };
}

export async function bookingRoutes(app: FastifyInstance, opts: BookingRoutesOptions): Promise<void> {
  const { store, bookings } = opts;

  app.addHook('onRequest', async (request) => {
    const key = bearerKey(request);
    if (!key) throw new HttpError(401, 'unauthorized', 'Authorization: an API key is required (Authorization: Bearer <key>)');
    const organisationId = await organisationForApiKey(store.db, key);
    if (!organisationId) throw new HttpError(401, 'unauthorized', 'Authorization: the API key is not valid');
    request.organisationId = organisationId;
  });

  app.post<{ Body: TripInput }>('/trips', {
    schema: {
      summary: 'Create a trip (idempotent on bookingRef)',
      description: 'A bookingRef already known returns the trip as it stands (200) and changes nothing.',
      security,
      body: tripInputSchema,
      response: { 400: errorResponse, 401: errorResponse, 413: errorResponse, 422: errorResponse },
    },
  }, async (request, reply) => {
    const result = await bookings.create(orgOf(request), request.body);
    return reply.code(result.created ? 201 : 200).send(body(result));
  });

  app.get<{ Params: { bookingRef: string } }>('/trips/:bookingRef', {
    schema: { summary: 'Read a trip', security, params: bookingRefParam, response: { 404: errorResponse } },
  }, async (request) => {
    const trip = await findTripByRef(store.db, orgOf(request), request.params.bookingRef);
    if (!trip) throw new HttpError(404, 'trip_not_found', `bookingRef: no trip "${request.params.bookingRef}" in your company`, 'bookingRef');
    return { trip };
  });

  app.put<{ Params: { bookingRef: string }; Body: TripChangeInput }>('/trips/:bookingRef', {
    schema: {
      summary: 'Change a trip: the booking as it now stands',
      description: 'Segments are matched by ref: a new ref is added, a known ref with other details is altered, a ref left out is cancelled. The same request again changes nothing.',
      security,
      params: bookingRefParam,
      body: tripChangeInputSchema,
      response: { 400: errorResponse, 404: errorResponse, 422: errorResponse },
    },
  }, async (request) => body(await bookings.change(orgOf(request), request.params.bookingRef, request.body)));

  app.post<{ Params: { bookingRef: string } }>('/trips/:bookingRef/cancel', {
    schema: { summary: 'Cancel the whole trip (idempotent)', security, params: bookingRefParam, response: { 404: errorResponse } },
  }, async (request) => body(await bookings.cancel(orgOf(request), request.params.bookingRef)));

  app.post<{ Params: { bookingRef: string; segmentRef: string } }>('/trips/:bookingRef/segments/:segmentRef/cancel', {
    schema: { summary: 'Cancel one segment (idempotent)', security, params: segmentRefParams, response: { 404: errorResponse } },
  }, async (request) => body(await bookings.cancel(orgOf(request), request.params.bookingRef, request.params.segmentRef)));

  app.get<{ Params: { bookingRef: string } }>('/trips/:bookingRef/itinerary.ics', {
    schema: { summary: "The trip's itinerary as iCalendar (METHOD:PUBLISH)", security, params: bookingRefParam },
  }, async (request, reply) => {
    const trip = await findTripByRef(store.db, orgOf(request), request.params.bookingRef);
    if (!trip) throw new HttpError(404, 'trip_not_found', `bookingRef: no trip "${request.params.bookingRef}" in your company`, 'bookingRef');
    return sendIcs(reply, trip, await travelerLocale(store, trip), opts.organizer);
  });
}

async function travelerLocale(store: Store, trip: Trip) {
  return (await findUser(store.db, trip.travelerId))?.locale ?? 'en';
}

export function sendIcs(reply: FastifyReply, trip: Trip, locale: Locale, organizer: { name: string; email: string }) {
  const ics = itineraryDownload(trip, { locale, organizer, dtstamp: new Date() });
  return reply
    .header('content-type', 'text/calendar; charset=utf-8; method=PUBLISH')
    .header('content-disposition', `attachment; filename="${ics.filename}"`)
    .send(ics.content);
}
