// `tripcal ics <trip.json>`: prints the .ics of a trip given in the booking API's JSON format.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { applyBooking } from './domain/apply-booking.ts';
import { BookingValidationError, parseSegments } from './domain/parse-booking.ts';
import type { Locale, Trip } from './domain/types.ts';
import { validateTripJson } from './domain/validate-booking-json.ts';
import { itineraryDownload } from './ics/itinerary-calendars.ts';
import { isValidTimeZone } from './domain/zoned-time.ts';

const USAGE = `Usage:
  tripcal serve      the HTTP server alone (booking API, web app, OAuth callbacks)
  tripcal worker     the mail, calendar-sync and maintenance workers alone
      Run any number of each against one PostgreSQL server (DATABASE_URL); settings as for
      npm start (README). SIGTERM stops taking jobs and lets jobs in hand finish.
  tripcal ics <trip.json> [--locale ja|en] [--time-zone <IANA zone>]
      Prints the itinerary .ics (METHOD:PUBLISH) of a trip given in the booking API's JSON
      format. --time-zone is the traveler's home zone, used for hotels, cars and trains that
      name none (default Asia/Tokyo). UIDs are derived from bookingRef and segment refs, so
      running it again for a changed booking gives the same UIDs.`;

/** A UUID-shaped id that is the same for the same booking and segment ref. */
function stableId(bookingRef: string, ref: string): string {
  const h = createHash('sha256').update(`${bookingRef}\u0000${ref}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

async function ics(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { locale: { type: 'string', default: 'en' }, 'time-zone': { type: 'string', default: 'Asia/Tokyo' } } });
  const [file] = positionals;
  if (!file || positionals.length > 1) {
    console.error(USAGE);
    return 2;
  }
  const locale = values.locale as Locale;
  if (locale !== 'ja' && locale !== 'en') {
    console.error('--locale: must be ja or en');
    return 2;
  }
  if (!isValidTimeZone(values['time-zone']!)) {
    console.error(`--time-zone: unknown time zone "${values['time-zone']}"`);
    return 2;
  }
  let json: unknown;
  try {
    json = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    console.error(`${file}: ${(error as Error).message}`);
    return 1;
  }
  try {
    const input = validateTripJson(json);
    const parsed = parseSegments(input.segments, { homeTimeZone: values['time-zone']! });
    const { segments } = applyBooking([], parsed, () => '');
    const trip: Trip = {
      id: stableId(input.bookingRef, ''), organisationId: '', travelerId: '', bookingRef: input.bookingRef,
      ...(input.title ? { title: input.title } : {}), version: 1, status: 'active',
      segments: segments.map((s) => ({ ...s, id: stableId(input.bookingRef, s.ref) })),
    };
    const calendar = itineraryDownload(trip, { locale, organizer: { name: 'tripcal', email: 'itinerary@tripcal.example' }, dtstamp: new Date() });
    process.stdout.write(calendar.content);
    return 0;
  } catch (error) {
    if (error instanceof BookingValidationError) {
      for (const p of error.problems) console.error(`${file}: ${p.field}: ${p.message}`);
      return 1;
    }
    throw error;
  }
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'ics') process.exitCode = await ics(rest);
else if (command === 'serve' || command === 'worker') {
  const { run } = await import('./run.ts');
  await run({ api: command === 'serve', workers: command === 'worker' });
} else {
  console.error(USAGE);
  process.exitCode = command === undefined || command === '--help' ? 0 : 2;
}
