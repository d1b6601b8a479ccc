// Trips used by the golden-file tests. Times are what the tickets and vouchers say.

import type { Trip, Segment, FlightSegment, HotelSegment, CarSegment, RailSegment } from '../../src/domain/types.ts';
import type { IcsOptions } from '../../src/ics/render-itinerary.ts';

export const DTSTAMP = new Date('2026-05-20T08:30:00.000Z');
export const ORGANIZER = { name: 'tripcal', email: 'itinerary@tripcal.example' };
export const ATTENDEE_EN = { name: 'Alice Smith', email: 'alice@example.com' };
export const ATTENDEE_JA = { name: '山田 花子', email: 'hanako.yamada@example.co.jp' };

export function options(method: IcsOptions['method'], locale: IcsOptions['locale']): IcsOptions {
  return {
    method,
    locale,
    organizer: ORGANIZER,
    attendee: method === 'PUBLISH' ? undefined : locale === 'ja' ? ATTENDEE_JA : ATTENDEE_EN,
    dtstamp: DTSTAMP,
  };
}

function trip(id: string, bookingRef: string, segments: Segment[], version = 1): Trip {
  return {
    id,
    organisationId: 'org-demo',
    travelerId: 'user-alice',
    bookingRef,
    version,
    status: 'active',
    segments,
  };
}

// Tokyo Haneda → Los Angeles (arrives "earlier" on the wall clock) → New York JFK overnight.
export const hndLax: FlightSegment = {
  id: '5f0c6c2e-2b1a-4c1e-9a53-0d7e2f1a0001',
  ref: 'S1',
  status: 'confirmed',
  sequence: 0,
  kind: 'flight',
  carrier: 'NH',
  flightNumber: '6',
  departure: { airport: 'HND', terminal: '3', local: '2026-06-01T22:55', timeZone: 'Asia/Tokyo' },
  arrival: { airport: 'LAX', terminal: 'B', local: '2026-06-01T17:05', timeZone: 'America/Los_Angeles' },
  seat: '7K',
  cabin: 'business',
  recordLocator: 'QX7T4M',
};

export const laxJfk: FlightSegment = {
  id: '5f0c6c2e-2b1a-4c1e-9a53-0d7e2f1a0002',
  ref: 'S2',
  status: 'confirmed',
  sequence: 0,
  kind: 'flight',
  carrier: 'NH',
  flightNumber: 'NH7512',
  operatingCarrier: 'UA',
  departure: { airport: 'LAX', terminal: '7', local: '2026-06-01T21:30', timeZone: 'America/Los_Angeles' },
  arrival: { airport: 'JFK', terminal: '7', local: '2026-06-02T06:05', timeZone: 'America/New_York' },
  seat: '3A',
  cabin: 'first',
  recordLocator: 'QX7T4M',
};

export const flightTrip = trip('trip-flight', 'OBT-1001', [hndLax, laxJfk]);

export const nycHotel: HotelSegment = {
  id: '5f0c6c2e-2b1a-4c1e-9a53-0d7e2f1a0003',
  ref: 'H1',
  status: 'confirmed',
  sequence: 0,
  kind: 'hotel',
  property: 'The Lexington Hotel, Autograph Collection',
  address: '511 Lexington Avenue, New York, NY 10017, United States',
  phone: '+1 212-755-4400',
  checkIn: { date: '2026-06-02', time: '15:00' },
  checkOut: { date: '2026-06-05', time: '11:00' },
  timeZone: 'America/New_York',
  confirmation: '84512937; room: king, non-smoking',
};

export const hotelTrip = trip('trip-hotel', 'OBT-1002', [nycHotel]);

export const laxCar: CarSegment = {
  id: '5f0c6c2e-2b1a-4c1e-9a53-0d7e2f1a0004',
  ref: 'C1',
  status: 'confirmed',
  sequence: 0,
  kind: 'car',
  vendor: 'Hertz',
  pickUp: {
    place: 'Los Angeles International Airport',
    address: '9000 Airport Blvd, Los Angeles, CA 90045',
    local: '2026-06-10T09:00',
    timeZone: 'America/Los_Angeles',
  },
  dropOff: {
    place: 'San Francisco International Airport',
    address: '780 N McDonnell Rd, San Francisco, CA 94128',
    local: '2026-06-12T18:00',
    timeZone: 'America/Los_Angeles',
  },
  carType: 'Toyota Camry or similar (midsize)',
  confirmation: 'K5583920114',
};

export const carTrip = trip('trip-car', 'OBT-1003', [laxCar]);

export const nozomiEn: RailSegment = {
  id: '5f0c6c2e-2b1a-4c1e-9a53-0d7e2f1a0005',
  ref: 'R1',
  status: 'confirmed',
  sequence: 0,
  kind: 'rail',
  operator: 'JR Central Tokaido Shinkansen',
  trainNumber: 'Nozomi 15',
  departure: { station: 'Tokyo', local: '2026-06-15T09:00', timeZone: 'Asia/Tokyo' },
  arrival: { station: 'Shin-Osaka', local: '2026-06-15T11:27', timeZone: 'Asia/Tokyo' },
  car: '7',
  seat: '12A',
  confirmation: 'EX-2291-0457',
};

export const trainTrip = trip('trip-train', 'OBT-1004', [nozomiEn]);

// A Japanese traveler's Osaka trip: Shinkansen there, two nights, and a flight back.
export const nozomiJa: RailSegment = {
  id: '7a1d0b4e-8f3c-4d2a-b6e1-3c9f5e2d0001',
  ref: 'R1',
  status: 'confirmed',
  sequence: 0,
  kind: 'rail',
  operator: 'JR東海 東海道新幹線',
  trainNumber: 'のぞみ15号',
  departure: { station: '東京', local: '2026-07-06T09:00', timeZone: 'Asia/Tokyo' },
  arrival: { station: '新大阪', local: '2026-07-06T11:27', timeZone: 'Asia/Tokyo' },
  car: '7',
  seat: '12A',
  confirmation: 'EX予約 2291-0457',
};

export const osakaHotel: HotelSegment = {
  id: '7a1d0b4e-8f3c-4d2a-b6e1-3c9f5e2d0002',
  ref: 'H1',
  status: 'confirmed',
  sequence: 0,
  kind: 'hotel',
  property: 'ホテル阪急インターナショナル',
  address: '〒530-0013 大阪府大阪市北区茶屋町19-19',
  phone: '06-6377-2100',
  checkIn: { date: '2026-07-06', time: '14:00' },
  checkOut: { date: '2026-07-08', time: '12:00' },
  timeZone: 'Asia/Tokyo',
  confirmation: 'HH-558201',
};

export const itmHnd: FlightSegment = {
  id: '7a1d0b4e-8f3c-4d2a-b6e1-3c9f5e2d0003',
  ref: 'F1',
  status: 'confirmed',
  sequence: 0,
  kind: 'flight',
  carrier: 'JL',
  flightNumber: '124',
  departure: { airport: 'ITM', local: '2026-07-08T18:00', timeZone: 'Asia/Tokyo' },
  arrival: { airport: 'HND', terminal: '1', local: '2026-07-08T19:10', timeZone: 'Asia/Tokyo' },
  seat: '21C',
  cabin: 'economy',
  recordLocator: 'JX9K2P',
};

export const japaneseTrip: Trip = {
  ...trip('trip-ja', 'OBT-2001', [nozomiJa, osakaHotel, itmHnd]),
  title: '大阪出張',
};

// The flight trip after a change: the connection moved to a later flight (SEQUENCE 1).
export const laxJfkChanged: FlightSegment = {
  ...laxJfk,
  sequence: 1,
  flightNumber: 'NH7518',
  departure: { ...laxJfk.departure, local: '2026-06-01T23:15' },
  arrival: { ...laxJfk.arrival, local: '2026-06-02T07:50' },
  seat: '2A',
};

export const changedFlightTrip: Trip = { ...flightTrip, version: 2, segments: [hndLax, laxJfkChanged] };

// Then the connection is cancelled (SEQUENCE 2).
export const laxJfkCancelled: FlightSegment = { ...laxJfkChanged, status: 'cancelled', sequence: 2 };

export const cancelledFlightTrip: Trip = { ...flightTrip, version: 3, segments: [hndLax, laxJfkCancelled] };
