// The booking API's JSON shape, as JSON Schema: one definition serves the HTTP route's
// validation, the OpenAPI document, the `tripcal ics` command and, through FromSchema, the
// TypeScript types of the input, so the types cannot say anything the schema does not. Semantic
// checks (airports, zones, end after start) are in parse-booking.ts.
import type { FromSchema } from 'json-schema-to-ts';

const text = (maxLength = 200) => ({ type: 'string', minLength: 1, maxLength }) as const;
const optionalText = (maxLength = 200) => ({ type: 'string', maxLength }) as const;
const localDateTime = {
  type: 'string',
  pattern: '^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?([+-]\\d{2}:\\d{2}|Z)?$',
  description:
    'Local wall-clock time in the zone: YYYY-MM-DDTHH:mm. A time that occurs twice (clocks going back) means its first ' +
    'occurrence; add the UTC offset to name the other ("2026-11-01T01:30-08:00"). A time the clocks skip is refused (422).',
} as const;
const localDate = { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', description: 'YYYY-MM-DD' } as const;
const localTime = { type: 'string', pattern: '^\\d{2}:\\d{2}$', description: 'HH:mm' } as const;
const timeZone = { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone, e.g. Asia/Tokyo' } as const;

const segmentRef = { ...text(64), description: "The booking engine's key for this segment, stable across changes" };

const flightEndpoint = {
  type: 'object',
  additionalProperties: false,
  required: ['airport', 'local'],
  properties: {
    airport: { type: 'string', pattern: '^[A-Za-z]{3}$', description: 'IATA airport code' },
    terminal: optionalText(20),
    local: localDateTime,
    timeZone: { ...timeZone, description: "Overrides the airport's zone from the airport dataset" },
  },
} as const;

// Stations and rental counters: a wall-clock time, in the traveler's home zone unless named.
const zonedLocal = {
  local: localDateTime,
  timeZone: { ...timeZone, description: "Defaults to the traveler's home zone" },
} as const;

const stationEndpoint = {
  type: 'object',
  additionalProperties: false,
  required: ['station', 'local'],
  properties: { station: text(), ...zonedLocal },
} as const;

const placeEndpoint = {
  type: 'object',
  additionalProperties: false,
  required: ['place', 'local'],
  properties: { place: text(), address: optionalText(300), ...zonedLocal },
} as const;

const flight = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'ref', 'carrier', 'flightNumber', 'departure', 'arrival'],
  properties: {
    type: { const: 'flight' },
    ref: segmentRef,
    carrier: { type: 'string', pattern: '^[A-Z0-9]{2,3}$', description: 'Marketing carrier (IATA)' },
    flightNumber: { type: 'string', pattern: '^[A-Z0-9]{0,3} ?\\d{1,4}[A-Z]?$' },
    operatingCarrier: optionalText(60),
    departure: flightEndpoint,
    arrival: flightEndpoint,
    seat: optionalText(10),
    cabin: optionalText(40),
    recordLocator: optionalText(20),
  },
} as const;

const hotel = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'ref', 'property', 'checkIn', 'checkOut'],
  properties: {
    type: { const: 'hotel' },
    ref: segmentRef,
    property: text(),
    address: optionalText(300),
    phone: optionalText(40),
    checkIn: { type: 'object', additionalProperties: false, required: ['date'], properties: { date: localDate, time: localTime } },
    checkOut: { type: 'object', additionalProperties: false, required: ['date'], properties: { date: localDate, time: localTime } },
    timeZone: { ...timeZone, description: "The hotel's zone; defaults to the traveler's home zone" },
    confirmation: optionalText(40),
  },
} as const;

const car = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'ref', 'vendor', 'pickUp', 'dropOff'],
  properties: {
    type: { const: 'car' },
    ref: segmentRef,
    vendor: text(),
    pickUp: placeEndpoint,
    dropOff: placeEndpoint,
    carType: optionalText(60),
    confirmation: optionalText(40),
  },
} as const;

const rail = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'ref', 'operator', 'trainNumber', 'departure', 'arrival'],
  properties: {
    type: { const: 'rail' },
    ref: segmentRef,
    operator: text(),
    trainNumber: text(40),
    departure: stationEndpoint,
    arrival: stationEndpoint,
    car: optionalText(10),
    seat: optionalText(10),
    confirmation: optionalText(40),
  },
} as const;

export const segmentInputSchema = {
  type: 'object',
  required: ['type'],
  properties: { type: { enum: ['flight', 'hotel', 'car', 'rail'] } },
  // The discriminator keeps error messages about the segment's own type, not all four.
  discriminator: { propertyName: 'type' },
  oneOf: [flight, hotel, car, rail],
} as const;

const segmentsSchema = { type: 'array', minItems: 1, maxItems: 100, items: segmentInputSchema } as const;

/** The traveler as the booking names them: created in the company if unknown, updated if changed. */
export const travelerInputSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'name', 'locale', 'timeZone'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    name: text(200),
    locale: { enum: ['ja', 'en'], description: 'The language of their emails and calendar events' },
    timeZone: { ...timeZone, description: 'Their home zone (IANA)' },
  },
} as const;

/** POST /api/v1/trips: a new booking. */
export const tripInputSchema = {
  $id: 'TripInput',
  type: 'object',
  additionalProperties: false,
  required: ['bookingRef', 'segments'],
  properties: {
    bookingRef: { ...text(64), description: "The booking engine's reference, unique within the company" },
    travelerEmail: { type: 'string', format: 'email', maxLength: 254, description: 'A user of the company; give this or traveler' },
    traveler: {
      ...travelerInputSchema,
      description: "The traveler in full; give this or travelerEmail. An unknown email creates the traveler in the company (unless the company turned that off); a changed name, locale or zone updates them.",
    },
    title: optionalText(200),
    segments: segmentsSchema,
  },
} as const;

/** PUT /api/v1/trips/{bookingRef}: the booking as it now stands. */
export const tripChangeInputSchema = {
  $id: 'TripChangeInput',
  type: 'object',
  additionalProperties: false,
  required: ['segments'],
  properties: {
    title: optionalText(200),
    segments: {
      ...segmentsSchema,
      description: 'Every segment of the booking now. A new ref is added, a known ref is altered, a missing ref is cancelled.',
    },
  },
} as const;

export type SegmentInput = FromSchema<typeof segmentInputSchema>;
export type FlightSegmentInput = Extract<SegmentInput, { type: 'flight' }>;
export type HotelSegmentInput = Extract<SegmentInput, { type: 'hotel' }>;
export type CarSegmentInput = Extract<SegmentInput, { type: 'car' }>;
export type RailSegmentInput = Extract<SegmentInput, { type: 'rail' }>;
export type TripInput = FromSchema<typeof tripInputSchema>;
export type TravelerInput = FromSchema<typeof travelerInputSchema>;
export type TripChangeInput = FromSchema<typeof tripChangeInputSchema>;
