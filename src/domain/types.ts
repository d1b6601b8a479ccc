// The domain: organisations, users, trips and their segments. Plain data, no I/O.
import type { FactChange } from './segment-changes.ts';

export type Locale = 'ja' | 'en';
export const LOCALES: readonly Locale[] = ['ja', 'en'];

export type Role = 'traveler' | 'admin';

export interface Organisation {
  id: string;
  name: string;
}

export interface User {
  id: string;
  organisationId: string;
  email: string;
  displayName: string;
  role: Role;
  locale: Locale;
  /** IANA zone of the traveler's home, e.g. "Asia/Tokyo". */
  timeZone: string;
}

/** A wall-clock time in a named IANA zone: what a ticket or voucher says. */
export interface ZonedTime {
  /** "YYYY-MM-DDTHH:mm" in the zone below (no offset). */
  local: string;
  timeZone: string;
  /**
   * The UTC offset ("-08:00") of a time that occurs twice in its zone (clocks going back), when the
   * booking named its second occurrence; absent otherwise. See zoned-time.ts `toInstant`.
   */
  offset?: string;
}

export interface FlightEndpoint extends ZonedTime {
  /** IATA airport code, e.g. "HND". */
  airport: string;
  terminal?: string;
}

export interface StationEndpoint extends ZonedTime {
  station: string;
}

export interface CarEndpoint extends ZonedTime {
  place: string;
  address?: string;
}

export type SegmentStatus = 'confirmed' | 'cancelled';
export type SegmentKind = 'flight' | 'hotel' | 'car' | 'rail';

interface SegmentBase {
  /** Ours, stable for the segment's whole life (UUID). */
  id: string;
  /** The booking engine's own key for the segment within its booking. */
  ref: string;
  status: SegmentStatus;
  /** RFC 5545 SEQUENCE: starts at 0 and only increases (on every change and on cancellation). */
  sequence: number;
  /** What the segment's latest alteration changed, fact by fact (segment-changes.ts); absent until one. */
  lastChange?: FactChange[];
}

export interface FlightDetails {
  kind: 'flight';
  /** Marketing carrier, IATA code (e.g. "NH"). */
  carrier: string;
  /** Flight number as marketed, e.g. "NH 6" or "6". */
  flightNumber: string;
  operatingCarrier?: string;
  departure: FlightEndpoint;
  arrival: FlightEndpoint;
  seat?: string;
  cabin?: string;
  recordLocator?: string;
}

export interface HotelDetails {
  kind: 'hotel';
  property: string;
  address?: string;
  phone?: string;
  /** Check-in and check-out dates ("YYYY-MM-DD") and optional times ("HH:mm"), in timeZone. */
  checkIn: { date: string; time?: string };
  checkOut: { date: string; time?: string };
  timeZone: string;
  confirmation?: string;
}

export interface CarDetails {
  kind: 'car';
  vendor: string;
  pickUp: CarEndpoint;
  dropOff: CarEndpoint;
  carType?: string;
  confirmation?: string;
}

export interface RailDetails {
  kind: 'rail';
  operator: string;
  trainNumber: string;
  departure: StationEndpoint;
  arrival: StationEndpoint;
  car?: string;
  seat?: string;
  confirmation?: string;
}

export type SegmentDetails = FlightDetails | HotelDetails | CarDetails | RailDetails;
export type Segment = SegmentBase & SegmentDetails;
export type FlightSegment = SegmentBase & FlightDetails;
export type HotelSegment = SegmentBase & HotelDetails;
export type CarSegment = SegmentBase & CarDetails;
export type RailSegment = SegmentBase & RailDetails;

export type TripStatus = 'active' | 'cancelled';

export interface Trip {
  id: string;
  organisationId: string;
  travelerId: string;
  /** The booking engine's reference; unique within an organisation. */
  bookingRef: string;
  title?: string;
  /** Bumped by every change, starting at 1. */
  version: number;
  status: TripStatus;
  segments: Segment[];
}

/** What one booking change did; the snapshot is the trip as it stood right after it. */
export type ChangeKind = 'created' | 'changed' | 'cancelled';

export interface TripChange {
  id: string;
  tripId: string;
  version: number;
  kind: ChangeKind;
  /** Segments added or altered by this change (confirmed ones). */
  changedSegmentIds: string[];
  /** Segments cancelled (or removed) by this change. */
  cancelledSegmentIds: string[];
  trip: Trip;
  occurredAt: Date;
}
