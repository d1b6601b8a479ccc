// The demo company `npm start` seeds into an empty database: the README lists these people.
// Its users are the sandbox's seeded Sakura Trading directory, so connecting Outlook works in a demo.
import { DateTime } from 'luxon';
import type { TripInput } from '../domain/booking-schema.ts';
import type { Bookings } from './bookings.ts';
import type { Store } from './database.ts';
import { createOrganisation, createUser, issueApiKey } from './organisations.ts';
import { hashPassword } from './sessions.ts';

/** Documented in the README; only ever seeded into a local demo database. */
export const DEMO_API_KEY = 'tc_demo_sakura_trading';

export const DEMO_ORGANISATION = { id: '7f1c9a52-3e1b-4c55-9a57-5b2a10d1c0de', name: 'Sakura Trading' };

/** Every demo user's password (README). */
export const DEMO_PASSWORD = 'tripcal-demo';

/** A second company, so a demo can show that companies never see each other. */
export const OTHER_DEMO_ORGANISATION = { id: '2b8e4f10-6a3c-4d7e-8f91-0c5d3e2a1b77', name: 'Maple Logistics' };
export const OTHER_DEMO_USERS = [
  { email: 'admin@maple-logistics.example', displayName: 'Morgan Lee', role: 'admin', locale: 'en', timeZone: 'America/Toronto' },
  { email: 'ken.ito@maple-logistics.example', displayName: '伊藤 健', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' },
] as const;

export const DEMO_USERS = [
  { email: 'hanako.sato@sakura-trading.example', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo' },
  { email: 'taro.yamada@sakura-trading.example', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' },
  { email: 'emily.clark@sakura-trading.example', displayName: 'Emily Clark', role: 'traveler', locale: 'en', timeZone: 'America/Los_Angeles' },
] as const;

function demoTrips(today: DateTime): TripInput[] {
  const day = (offset: number) => today.plus({ days: offset }).toISODate()!;
  return [
    {
      bookingRef: 'DEMO-OSA-1', travelerEmail: 'taro.yamada@sakura-trading.example', title: '大阪出張',
      segments: [
        { type: 'rail', ref: 'R1', operator: 'JR東海', trainNumber: 'のぞみ 15号', departure: { station: '東京', local: `${day(7)}T08:00`, timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: `${day(7)}T10:27`, timeZone: 'Asia/Tokyo' }, car: '7', seat: '12E', confirmation: 'EX-4821' },
        { type: 'hotel', ref: 'H1', property: 'ホテル阪急インターナショナル', address: '大阪府大阪市北区茶屋町19-19', phone: '06-6377-2100', checkIn: { date: day(7), time: '15:00' }, checkOut: { date: day(9), time: '11:00' }, timeZone: 'Asia/Tokyo', confirmation: 'HH-77120' },
        { type: 'rail', ref: 'R2', operator: 'JR東海', trainNumber: 'のぞみ 40号', departure: { station: '新大阪', local: `${day(9)}T17:00`, timeZone: 'Asia/Tokyo' }, arrival: { station: '東京', local: `${day(9)}T19:27`, timeZone: 'Asia/Tokyo' }, car: '8', seat: '3A', confirmation: 'EX-4822' },
      ],
    },
    {
      bookingRef: 'DEMO-LAX-1', travelerEmail: 'emily.clark@sakura-trading.example', title: 'Tokyo headquarters visit',
      segments: [
        { type: 'flight', ref: 'F1', carrier: 'NH', flightNumber: 'NH 5', departure: { airport: 'LAX', terminal: 'B', local: `${day(14)}T12:40` }, arrival: { airport: 'HND', terminal: '3', local: `${day(15)}T17:05` }, seat: '24C', cabin: 'Premium Economy', recordLocator: 'Q7XK2M' },
        { type: 'hotel', ref: 'H1', property: 'Hotel Gajoen Tokyo', address: '1-8-1 Shimomeguro, Meguro-ku, Tokyo', phone: '+81 3-3491-4111', checkIn: { date: day(15), time: '18:00' }, checkOut: { date: day(19), time: '11:00' }, timeZone: 'Asia/Tokyo', confirmation: 'GJ-20431' },
        { type: 'flight', ref: 'F2', carrier: 'NH', flightNumber: 'NH 6', departure: { airport: 'HND', terminal: '3', local: `${day(19)}T17:05` }, arrival: { airport: 'LAX', terminal: 'B', local: `${day(19)}T10:50` }, seat: '24C', cabin: 'Premium Economy', recordLocator: 'Q7XK2M' },
      ],
    },
    {
      bookingRef: 'DEMO-SFO-0', travelerEmail: 'emily.clark@sakura-trading.example', title: 'San Francisco customer day',
      segments: [
        { type: 'car', ref: 'C1', vendor: 'Hertz', pickUp: { place: 'SFO Rental Car Center', local: `${day(-20)}T09:00`, timeZone: 'America/Los_Angeles' }, dropOff: { place: 'SFO Rental Car Center', local: `${day(-20)}T19:00`, timeZone: 'America/Los_Angeles' }, carType: 'Compact', confirmation: 'H-55120' },
      ],
    },
  ];
}

/** Seeds the demo company when the database holds no organisation. Returns whether it did. */
export async function seedDemoIfEmpty(store: Store, bookings: Bookings, now: Date = new Date()): Promise<boolean> {
  const any = await store.db.selectFrom('organisations').select('id').limit(1).executeTakeFirst();
  if (any) return false;
  const passwordHash = await hashPassword(DEMO_PASSWORD);
  const org = await createOrganisation(store.db, DEMO_ORGANISATION.name, DEMO_ORGANISATION.id);
  for (const u of DEMO_USERS) await createUser(store.db, org.id, { ...u, passwordHash });
  const other = await createOrganisation(store.db, OTHER_DEMO_ORGANISATION.name, OTHER_DEMO_ORGANISATION.id);
  for (const u of OTHER_DEMO_USERS) await createUser(store.db, other.id, { ...u, passwordHash });
  await issueApiKey(store.db, org.id, DEMO_API_KEY);
  const today = DateTime.fromJSDate(now, { zone: 'Asia/Tokyo' }).startOf('day');
  for (const trip of demoTrips(today)) await bookings.create(org.id, trip);
  return true;
}
