// A flight from Tokyo to Los Angeles and a hotel there, and the booking changes a traveler
// gets emails about: created, the flight moved, the hotel cancelled, the whole trip cancelled.
import type { FlightSegment, HotelSegment, RailSegment, Trip, TripChange, User } from '../../src/domain/types.ts';

export const hanako: User = {
  id: 'user-hanako',
  organisationId: 'org-1',
  email: 'hanako.sato@example.co.jp',
  displayName: '佐藤 花子',
  role: 'traveler',
  locale: 'ja',
  timeZone: 'Asia/Tokyo',
};

export const alex: User = {
  id: 'user-alex',
  organisationId: 'org-1',
  email: 'alex@example.com',
  displayName: 'Alex <QA> Smith',
  role: 'traveler',
  locale: 'en',
  timeZone: 'America/New_York',
};

export const flight: FlightSegment = {
  id: '0b1f5a7e-0000-4000-8000-00000000f001',
  ref: 'AIR-1',
  status: 'confirmed',
  sequence: 0,
  kind: 'flight',
  carrier: 'NH',
  flightNumber: '6',
  departure: { airport: 'HND', terminal: '3', local: '2026-12-01T22:55', timeZone: 'Asia/Tokyo' },
  arrival: { airport: 'LAX', terminal: 'B', local: '2026-12-01T16:50', timeZone: 'America/Los_Angeles' },
  seat: '23K',
  cabin: 'economy',
  recordLocator: 'QX7P2L',
};

export const hotel: HotelSegment = {
  id: '0b1f5a7e-0000-4000-8000-00000000h001',
  ref: 'HTL-1',
  status: 'confirmed',
  sequence: 0,
  kind: 'hotel',
  property: 'Hotel <Sunset> & Spa',
  address: '8401 Sunset Blvd, Los Angeles, CA 90069',
  phone: '+1 310 555 0100',
  checkIn: { date: '2026-12-01', time: '15:00' },
  checkOut: { date: '2026-12-04', time: '11:00' },
  timeZone: 'America/Los_Angeles',
  confirmation: 'H-98765',
};

export const train: RailSegment = {
  id: '0b1f5a7e-0000-4000-8000-00000000r001',
  ref: 'RAIL-1',
  status: 'confirmed',
  sequence: 0,
  kind: 'rail',
  operator: 'Amtrak',
  trainNumber: '777',
  departure: { station: 'Los Angeles Union Station', local: '2026-12-04T13:00', timeZone: 'America/Los_Angeles' },
  arrival: { station: 'San Diego Santa Fe Depot', local: '2026-12-04T15:50', timeZone: 'America/Los_Angeles' },
  car: '3',
  seat: '12A',
  confirmation: 'AMT-555',
};

function trip(version: number, segments: Trip['segments'], status: Trip['status'] = 'active'): Trip {
  return {
    id: 'trip-7d3c',
    organisationId: 'org-1',
    travelerId: 'user-hanako',
    bookingRef: 'BK-2026-0042',
    title: 'Los Angeles <sales> trip',
    version,
    status,
    // The hotel first on purpose: the email lists segments in travel order.
    segments,
  };
}

export const created: TripChange = {
  id: 'c1a00000-0000-4000-8000-000000000001',
  tripId: 'trip-7d3c',
  version: 1,
  kind: 'created',
  changedSegmentIds: [hotel.id, flight.id],
  cancelledSegmentIds: [],
  trip: trip(1, [hotel, flight]),
  occurredAt: new Date('2026-11-25T02:45:00Z'),
};

const movedFlight: FlightSegment = {
  ...flight,
  sequence: 1,
  departure: { ...flight.departure, local: '2026-12-02T10:05' },
  arrival: { ...flight.arrival, local: '2026-12-02T04:00' },
};

export const flightMoved: TripChange = {
  id: 'c1a00000-0000-4000-8000-000000000002',
  tripId: 'trip-7d3c',
  version: 2,
  kind: 'changed',
  changedSegmentIds: [flight.id],
  cancelledSegmentIds: [],
  trip: trip(2, [hotel, movedFlight]),
  occurredAt: new Date('2026-11-26T09:10:00Z'),
};

/** The hotel cancelled and a train added, in one change. */
export const hotelCancelledTrainAdded: TripChange = {
  id: 'c1a00000-0000-4000-8000-000000000003',
  tripId: 'trip-7d3c',
  version: 3,
  kind: 'changed',
  changedSegmentIds: [train.id],
  cancelledSegmentIds: [hotel.id],
  trip: trip(3, [{ ...hotel, status: 'cancelled', sequence: 1 }, movedFlight, train]),
  occurredAt: new Date('2026-11-27T01:00:00Z'),
};

export const tripCancelled: TripChange = {
  id: 'c1a00000-0000-4000-8000-000000000004',
  tripId: 'trip-7d3c',
  version: 4,
  kind: 'cancelled',
  changedSegmentIds: [],
  cancelledSegmentIds: [flight.id, hotel.id],
  trip: trip(
    4,
    [
      { ...hotel, status: 'cancelled', sequence: 1 },
      { ...movedFlight, status: 'cancelled', sequence: 2 },
    ],
    'cancelled',
  ),
  occurredAt: new Date('2026-11-28T05:30:00Z'),
};

export const mailOptions = {
  from: { name: 'tripcal itinerary', address: 'itinerary@tripcal.example' },
  publicUrl: 'https://travel.example.com',
};
