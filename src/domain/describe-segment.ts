// What a traveler reads about a segment (calendar title, location, body; email bodies), in
// Japanese or English: which rows, in which order, from which fields. The words and each
// language's way of writing a date or an address are in the message catalogue (src/i18n). Pure:
// no I/O besides the airport dataset lookup, deterministic for given inputs (dates are formatted
// by hand; only the zone's long name comes from ICU via Luxon).

import { messages } from '../i18n/messages.ts';
import { airportCityName, findAirport } from './airports.ts';
import { boundedMemo } from './bounded-memo.ts';
import type { FactChange, FactValue } from './segment-changes.ts';
import { toInstant } from './zoned-time.ts';
import type {
  CarSegment,
  FlightEndpoint,
  FlightSegment,
  HotelSegment,
  Locale,
  RailSegment,
  Segment,
  ZonedTime,
} from './types.ts';

export interface SegmentRow {
  label: string;
  value: string;
}

export interface SegmentDescription {
  /** One line: the calendar event's title, an email's heading for the segment. */
  summary: string;
  /** Where the traveler has to be at the start. */
  location: string;
  /** Lines "label: value" separated by "\n". */
  description: string;
}

export interface SegmentDescriptionRows {
  summary: string;
  location: string;
  /** The description as labelled rows, for an HTML table. */
  rows: SegmentRow[];
}

/**
 * A calendar date, "YYYY-MM-DD", with an optional "HH:mm", as a traveler reads it:
 * "2026年6月1日(月) 15:00" / "Mon 1 Jun 2026 15:00".
 */
export function formatLocalDate(date: string, locale: Locale, time?: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!m) return time ? `${date} ${time}` : date;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // 0 = Monday, computed on the proleptic Gregorian calendar (no zone involved).
  const weekday = (new Date(Date.UTC(year, month - 1, day)).getUTCDay() + 6) % 7;
  const text = messages(locale).segment.date({ year, month, day, weekday });
  return time ? `${text} ${time}` : text;
}

/** The long name of the zone at that wall-clock time ("日本標準時", "Pacific Daylight Time"). */
export function zoneName(time: ZonedTime, locale: Locale): string {
  return zoneNames(JSON.stringify([locale, time.timeZone, time.local, time.offset ?? '']));
}

/**
 * Names already worked out, by locale, zone and wall-clock time: an event's times are described
 * several times over (title, body, hash), and the offset arithmetic for each was still 4% of a
 * backfill's CPU after the formatters were kept (`npm run bench` profile). Bounded. The name is
 * the zone's at the instant the time means (zoned-time.ts `toInstant`), so a time that occurs twice
 * is named as daylight or standard time as the store, the .ics and the calendars take it.
 */
const zoneNames = boundedMemo((key) => {
  const [locale, timeZone, local, offset] = JSON.parse(key) as [Locale, string, string, string];
  const instant = toInstant({ local, timeZone, ...(offset ? { offset } : {}) });
  return (instant ? zoneNameFormat(locale, timeZone).formatToParts(instant).find((p) => p.type === 'timeZoneName')?.value : undefined) ?? timeZone;
}, 10_000);

/**
 * One formatter per locale and zone, made once. luxon's offsetNameLong builds a new
 * Intl.DateTimeFormat on every call: 11% of a backfill's CPU in the product (`npm run bench`
 * profile). Same options as luxon's, so the same names. The zone is valid here (the time resolved in it).
 */
const zoneNameFormats = new Map<string, Intl.DateTimeFormat>();
function zoneNameFormat(locale: Locale, timeZone: string): Intl.DateTimeFormat {
  const key = `${locale} ${timeZone}`;
  let format = zoneNameFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(locale, { timeZone, timeZoneName: 'long', hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    zoneNameFormats.set(key, format);
  }
  return format;
}

/** "2026年6月1日(月) 10:00 (日本標準時)" / "Mon 1 Jun 2026 10:00 (Japan Standard Time)". */
export function formatZonedTime(time: ZonedTime, locale: Locale): string {
  const [date, clock] = time.local.split('T');
  return `${formatLocalDate(date, locale, clock)} (${zoneName(time, locale)})`;
}

/** "NH 6" from carrier "NH" and flight number "6", "NH6" or "NH 6". */
export function formatFlightNumber(carrier: string, flightNumber: string): string {
  const number = flightNumber.trim();
  if (/^\d+[A-Z]?$/i.test(number)) return `${carrier.trim().toUpperCase()} ${number}`;
  const m = /^([A-Z0-9]{2}[A-Z]?)\s*(\d{1,4}[A-Z]?)$/i.exec(number);
  if (m) return `${m[1].toUpperCase()} ${m[2]}`;
  return number;
}

function cabinName(cabin: string, locale: Locale): string {
  const key = cabin.trim().toLowerCase().replace(/[\s_-]+/g, '');
  const cabins = messages(locale).segment.cabins;
  if (key === 'economy' || key === 'y') return cabins.economy;
  if (key === 'premiumeconomy' || key === 'w') return cabins.premiumEconomy;
  if (key === 'business' || key === 'c' || key === 'j') return cabins.business;
  if (key === 'first' || key === 'f') return cabins.first;
  return cabin;
}

function airportShort(iata: string, locale: Locale): string {
  const airport = findAirport(iata);
  const code = iata.toUpperCase();
  if (!airport) return code;
  return messages(locale).segment.cityWithCode(airportCityName(airport, locale), code);
}

function airportPlace(endpoint: FlightEndpoint, locale: Locale): string {
  const airport = findAirport(endpoint.airport);
  const code = endpoint.airport.toUpperCase();
  const name = airport ? `${airport.name} (${code})` : code;
  const terminal = endpoint.terminal ? messages(locale).segment.terminal(endpoint.terminal) : undefined;
  return terminal ? `${name}, ${terminal}` : name;
}

function row(label: string, value: string | undefined): SegmentRow[] {
  return value && value.trim() !== '' ? [{ label, value }] : [];
}

function describeFlight(s: FlightSegment, locale: Locale): SegmentDescriptionRows {
  const l = messages(locale).segment;
  const flight = formatFlightNumber(s.carrier, s.flightNumber);
  const route = `${airportShort(s.departure.airport, locale)} → ${airportShort(s.arrival.airport, locale)}`;
  const operating =
    s.operatingCarrier && s.operatingCarrier.trim().toUpperCase() !== s.carrier.trim().toUpperCase()
      ? s.operatingCarrier
      : undefined;
  return {
    summary: `${flight} ${route}`,
    location: airportPlace(s.departure, locale),
    rows: [
      { label: l.flight, value: `${flight} ${route}` },
      ...row(l.operatedBy, operating),
      {
        label: l.departure,
        value: `${formatZonedTime(s.departure, locale)}, ${airportPlace(s.departure, locale)}`,
      },
      { label: l.arrival, value: `${formatZonedTime(s.arrival, locale)}, ${airportPlace(s.arrival, locale)}` },
      ...row(l.seat, s.seat),
      ...row(l.cabin, s.cabin ? cabinName(s.cabin, locale) : undefined),
      ...row(l.recordLocator, s.recordLocator),
    ],
  };
}

function withAddress(place: string, address: string | undefined, locale: Locale): string {
  return address ? messages(locale).segment.placeWithAddress(place, address) : place;
}

function describeHotel(s: HotelSegment, locale: Locale): SegmentDescriptionRows {
  const l = messages(locale).segment;
  return {
    summary: `${l.hotelSummary}: ${s.property}`,
    location: withAddress(s.property, s.address, locale),
    rows: [
      { label: l.hotel, value: s.property },
      ...row(l.address, s.address),
      ...row(l.phone, s.phone),
      { label: l.checkIn, value: formatLocalDate(s.checkIn.date, locale, s.checkIn.time) },
      { label: l.checkOut, value: formatLocalDate(s.checkOut.date, locale, s.checkOut.time) },
      ...row(l.confirmation, s.confirmation),
    ],
  };
}

function describeCar(s: CarSegment, locale: Locale): SegmentDescriptionRows {
  const l = messages(locale).segment;
  return {
    summary: `${l.carSummary}: ${s.vendor} (${s.pickUp.place})`,
    location: withAddress(s.pickUp.place, s.pickUp.address, locale),
    rows: [
      { label: l.carVendor, value: s.vendor },
      {
        label: l.pickUp,
        value: `${formatZonedTime(s.pickUp, locale)}, ${withAddress(s.pickUp.place, s.pickUp.address, locale)}`,
      },
      {
        label: l.dropOff,
        value: `${formatZonedTime(s.dropOff, locale)}, ${withAddress(s.dropOff.place, s.dropOff.address, locale)}`,
      },
      ...row(l.carType, s.carType),
      ...row(l.confirmation, s.confirmation),
    ],
  };
}

function describeRail(s: RailSegment, locale: Locale): SegmentDescriptionRows {
  const l = messages(locale).segment;
  const train = `${s.operator} ${s.trainNumber}`;
  const route = `${s.departure.station} → ${s.arrival.station}`;
  return {
    summary: `${train} ${route}`,
    location: s.departure.station,
    rows: [
      { label: l.train, value: `${train} ${route}` },
      { label: l.departure, value: `${formatZonedTime(s.departure, locale)}, ${s.departure.station}` },
      { label: l.arrival, value: `${formatZonedTime(s.arrival, locale)}, ${s.arrival.station}` },
      ...row(l.seat, s.car || s.seat ? l.railCarAndSeat(s.car, s.seat) : undefined),
      ...row(l.confirmation, s.confirmation),
    ],
  };
}

/**
 * The texts of a segment as labelled rows (for HTML email bodies). A segment that says what its
 * latest change did (`lastChange`) has a "What changed" row per fact after the first row.
 */
export function describeSegmentRows(segment: Segment, locale: Locale): SegmentDescriptionRows {
  const text = describeDetails(segment, locale);
  if (!segment.lastChange?.length) return text;
  const heading = messages(locale).itineraryChanges.heading;
  const changes = describeChanges(segment.lastChange, locale).map((value) => ({ label: heading, value }));
  return { ...text, rows: [...text.rows.slice(0, 1), ...changes, ...text.rows.slice(1)] };
}

function describeDetails(segment: Segment, locale: Locale): SegmentDescriptionRows {
  switch (segment.kind) {
    case 'flight':
      return describeFlight(segment, locale);
    case 'hotel':
      return describeHotel(segment, locale);
    case 'car':
      return describeCar(segment, locale);
    case 'rail':
      return describeRail(segment, locale);
  }
}

/**
 * Each changed fact as "old → new" in the traveler's language: "出発 23:55 → 2026年12月2日(水)
 * 01:10 (米国太平洋標準時)", "Seat 11A → 12C". A time keeps its date out when the date is the same,
 * and names its zone once when both are in one zone.
 */
export function describeChanges(changes: FactChange[], locale: Locale): string[] {
  const words = messages(locale).itineraryChanges;
  return changes.map(({ fact, from, to }) => {
    const label = words.facts[fact];
    if (from && to && 'at' in from && 'at' in to) {
      const [a, b] = [from.at, to.at];
      if (a.timeZone !== b.timeZone) return words.change(label, formatZonedTime(a, locale), formatZonedTime(b, locale));
      const [aDate, aClock] = a.local.split('T');
      const [bDate, bClock] = b.local.split('T');
      const zone = zoneName(b, locale);
      if (aDate === bDate) return words.change(label, aClock, `${bClock} (${zone})`);
      return words.change(label, formatLocalDate(aDate, locale, aClock), `${formatLocalDate(bDate, locale, bClock)} (${zone})`);
    }
    return words.change(label, factText(from, locale) ?? words.none, factText(to, locale) ?? words.none);
  });
}

function factText(value: FactValue | undefined, locale: Locale): string | undefined {
  if (!value) return undefined;
  if ('text' in value) return value.text;
  if ('date' in value) return formatLocalDate(value.date, locale, value.time);
  return formatZonedTime(value.at, locale);
}

/** The traveler-facing texts of a segment: title, location and a plain-text body. */
export function describeSegment(segment: Segment, locale: Locale): SegmentDescription {
  const { summary, location, rows } = describeSegmentRows(segment, locale);
  return {
    summary,
    location,
    description: rows.map((r) => `${r.label}: ${r.value}`).join('\n'),
  };
}
