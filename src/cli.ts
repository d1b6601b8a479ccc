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
import { operatorClientSettings } from './config/operator-token.ts';

const USAGE = `Usage:
  tripcal serve      the HTTP server alone (booking API, web app, OAuth callbacks)
  tripcal worker     the mail, calendar-sync and maintenance workers alone
      Run any number of each against one PostgreSQL server (DATABASE_URL); settings as for
      npm start (README). SIGTERM stops taking jobs and lets jobs in hand finish.
  tripcal ics <trip.json> [--locale ja|en] [--time-zone <IANA zone>]
      Prints the itinerary .ics (METHOD:PUBLISH) of a trip given in the booking API's JSON
      format. --time-zone is the traveler's home zone, used for hotels, cars and trains that
      name none (default Asia/Tokyo). UIDs are derived from bookingRef and segment refs, so
      running it again for a changed booking gives the same UIDs.
  tripcal operator companies create --name <name> --admin-email <email> --admin-name <name>
                                    [--locale ja|en] [--time-zone <IANA zone>]
  tripcal operator companies show <companyId>
  tripcal operator companies settings <companyId> [--travelers-from-bookings true|false]
                                    [--remove-events-on-deprovision true|false]
                                    [--keep-cancelled-events true|false]
  tripcal operator api-keys create <companyId> [--name <name>]
  tripcal operator api-keys revoke <companyId> <keyId>
  tripcal operator scim-tokens create <companyId> [--name <name>]
  tripcal operator scim-tokens revoke <companyId> <tokenId>
      Calls the operator API of a running server (TRIPCAL_URL, default PUBLIC_URL or
      http://localhost:3000) with OPERATOR_TOKEN (or the token file in DATA_DIR) and prints its
      JSON answer. A key or token is printed once: store it.`;

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

async function operator(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args, allowPositionals: true,
    options: {
      name: { type: 'string' }, 'admin-email': { type: 'string' }, 'admin-name': { type: 'string' }, locale: { type: 'string', default: 'ja' }, 'time-zone': { type: 'string', default: 'Asia/Tokyo' },
      'travelers-from-bookings': { type: 'string' }, 'remove-events-on-deprovision': { type: 'string' }, 'keep-cancelled-events': { type: 'string' },
    },
  });
  const { url, token } = operatorClientSettings();
  if (!token) {
    console.error('OPERATOR_TOKEN: not set, and no operator-token file in DATA_DIR');
    return 2;
  }
  const [resource, action, companyId, itemId] = positionals;
  const bool = (name: 'travelers-from-bookings' | 'remove-events-on-deprovision' | 'keep-cancelled-events') => (values[name] === undefined ? undefined : values[name] === 'true');
  let method: string;
  let route: string;
  let body: unknown;
  if (resource === 'companies' && action === 'create') {
    for (const name of ['name', 'admin-email', 'admin-name'] as const) {
      if (!values[name]) {
        console.error(`--${name}: is required`);
        return 2;
      }
    }
    [method, route, body] = ['POST', '/companies', { name: values.name, admin: { email: values['admin-email'], name: values['admin-name'], locale: values.locale, timeZone: values['time-zone'] } }];
  } else if (resource === 'companies' && action === 'show' && companyId) [method, route] = ['GET', `/companies/${companyId}`];
  else if (resource === 'companies' && action === 'settings' && companyId) {
    [method, route, body] = ['PATCH', `/companies/${companyId}/settings`, { travelersFromBookings: bool('travelers-from-bookings'), removeEventsOnDeprovision: bool('remove-events-on-deprovision'), keepCancelledEvents: bool('keep-cancelled-events') }];
  } else if ((resource === 'api-keys' || resource === 'scim-tokens') && action === 'create' && companyId) {
    [method, route, body] = ['POST', `/companies/${companyId}/${resource}`, values.name ? { name: values.name } : {}];
  } else if ((resource === 'api-keys' || resource === 'scim-tokens') && action === 'revoke' && companyId && itemId) [method, route] = ['DELETE', `/companies/${companyId}/${resource}/${itemId}`];
  else {
    console.error(USAGE);
    return 2;
  }
  let res: Response;
  try {
    res = await fetch(`${url}/api/operator/v1${route}`, {
      method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch (error) {
    console.error(`${url}: cannot be reached (${(error as Error).message})`);
    return 1;
  }
  const text = await res.text();
  if (text) (res.ok ? console.log : console.error)(JSON.stringify(JSON.parse(text), null, 2));
  else if (res.ok) console.log(`${res.status} done`);
  return res.ok ? 0 : 1;
}

const [command, ...rest] = process.argv.slice(2);
if (command === 'ics') process.exitCode = await ics(rest);
else if (command === 'operator') process.exitCode = await operator(rest);
else if (command === 'serve' || command === 'worker') {
  const { run } = await import('./run.ts');
  await run({ api: command === 'serve', workers: command === 'worker' });
} else {
  console.error(USAGE);
  process.exitCode = command === undefined || command === '--help' ? 0 : 2;
}
