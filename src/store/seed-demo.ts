// The demo companies `npm start` seeds into an empty database (the README lists these people),
// through the operator API, the booking API and SCIM: src/http/demo-seed.ts.
// Its users are the sandbox's seeded Sakura Trading directory, so connecting Outlook works in a demo.
import { DateTime } from 'luxon';
import type { TripInput } from '../domain/booking-schema.ts';
import type { Store } from './database.ts';

/** Documented in the README; only ever seeded into a local demo database. */
export const DEMO_API_KEY = 'tc_demo_sakura_trading';

export const DEMO_ORGANISATION = { name: 'Sakura Trading' };

/** Every demo user's password (README). */
export const DEMO_PASSWORD = 'tripcal-demo';

/** A second company, so a demo can show that companies never see each other. */
export const OTHER_DEMO_ORGANISATION = { name: 'Maple Logistics' };
export const OTHER_DEMO_USERS = [
  { email: 'admin@maple-logistics.example', displayName: 'Morgan Lee', role: 'admin', locale: 'en', timeZone: 'America/Toronto' },
  { email: 'ken.ito@maple-logistics.example', displayName: '伊藤 健', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' },
] as const;

export const DEMO_USERS = [
  { email: 'hanako.sato@sakura-trading.example', displayName: '佐藤 花子', role: 'admin', locale: 'ja', timeZone: 'Asia/Tokyo' },
  { email: 'taro.yamada@sakura-trading.example', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' },
  { email: 'emily.clark@sakura-trading.example', displayName: 'Emily Clark', role: 'traveler', locale: 'en', timeZone: 'America/Los_Angeles' },
] as const;

const demoTraveler = (u: (typeof DEMO_USERS)[number]) => ({ email: u.email, name: u.displayName, locale: u.locale, timeZone: u.timeZone });

/** The demo trips, each naming its traveler in full (so the booking provisions them). */
function demoTrips(today: DateTime): TripInput[] {
  const day = (offset: number) => today.plus({ days: offset }).toISODate()!;
  return [
    {
      bookingRef: 'DEMO-OSA-1', traveler: demoTraveler(DEMO_USERS[1]), title: '大阪出張',
      segments: [
        { type: 'rail', ref: 'R1', operator: 'JR東海', trainNumber: 'のぞみ 15号', departure: { station: '東京', local: `${day(7)}T08:00`, timeZone: 'Asia/Tokyo' }, arrival: { station: '新大阪', local: `${day(7)}T10:27`, timeZone: 'Asia/Tokyo' }, car: '7', seat: '12E', confirmation: 'EX-4821' },
        { type: 'hotel', ref: 'H1', property: 'ホテル阪急インターナショナル', address: '大阪府大阪市北区茶屋町19-19', phone: '06-6377-2100', checkIn: { date: day(7), time: '15:00' }, checkOut: { date: day(9), time: '11:00' }, timeZone: 'Asia/Tokyo', confirmation: 'HH-77120' },
        { type: 'rail', ref: 'R2', operator: 'JR東海', trainNumber: 'のぞみ 40号', departure: { station: '新大阪', local: `${day(9)}T17:00`, timeZone: 'Asia/Tokyo' }, arrival: { station: '東京', local: `${day(9)}T19:27`, timeZone: 'Asia/Tokyo' }, car: '8', seat: '3A', confirmation: 'EX-4822' },
      ],
    },
    {
      bookingRef: 'DEMO-LAX-1', traveler: demoTraveler(DEMO_USERS[2]), title: 'Tokyo headquarters visit',
      segments: [
        { type: 'flight', ref: 'F1', carrier: 'NH', flightNumber: 'NH 5', departure: { airport: 'LAX', terminal: 'B', local: `${day(14)}T12:40` }, arrival: { airport: 'HND', terminal: '3', local: `${day(15)}T17:05` }, seat: '24C', cabin: 'Premium Economy', recordLocator: 'Q7XK2M' },
        { type: 'hotel', ref: 'H1', property: 'Hotel Gajoen Tokyo', address: '1-8-1 Shimomeguro, Meguro-ku, Tokyo', phone: '+81 3-3491-4111', checkIn: { date: day(15), time: '18:00' }, checkOut: { date: day(19), time: '11:00' }, timeZone: 'Asia/Tokyo', confirmation: 'GJ-20431' },
        { type: 'flight', ref: 'F2', carrier: 'NH', flightNumber: 'NH 6', departure: { airport: 'HND', terminal: '3', local: `${day(19)}T17:05` }, arrival: { airport: 'LAX', terminal: 'B', local: `${day(19)}T10:50` }, seat: '24C', cabin: 'Premium Economy', recordLocator: 'Q7XK2M' },
      ],
    },
    {
      bookingRef: 'DEMO-SFO-0', traveler: demoTraveler(DEMO_USERS[2]), title: 'San Francisco customer day',
      segments: [
        { type: 'car', ref: 'C1', vendor: 'Hertz', pickUp: { place: 'SFO Rental Car Center', local: `${day(-20)}T09:00`, timeZone: 'America/Los_Angeles' }, dropOff: { place: 'SFO Rental Car Center', local: `${day(-20)}T19:00`, timeZone: 'America/Los_Angeles' }, carType: 'Compact', confirmation: 'H-55120' },
      ],
    },
  ];
}

/** Whether the database holds no company yet (the demo is seeded only into an empty one). */
export async function databaseIsEmpty(store: Store): Promise<boolean> {
  return !(await store.db.selectFrom('organisations').select('id').limit(1).executeTakeFirst());
}

export { demoTrips };
