// Local date-times in a zone, the way luxon computes them (DateTime.fromISO(text, { zone }),
// setZone, toFormat), without luxon's cost per call: event handling converts every start and end
// several times per request, and luxon's parsing, formatting and Intl offset look-ups were a
// quarter of the sandbox's CPU in a backfill. The common strings ("yyyy-MM-ddTHH:mm[:ss[.fff]]",
// years 1900-2999, every field in range) are computed here with luxon's own algorithm (fixOffset)
// and luxon's own zone offsets, remembered per zone and hour; anything else goes to luxon itself.
import { DateTime, Info, Settings } from "luxon";
import type { Zone } from "luxon";

export function luxonLocalString(dt: DateTime): string {
  return `${dt.toFormat("yyyy-MM-dd'T'HH:mm:ss")}.${String(dt.millisecond).padStart(3, "0")}0000`;
}

const LOCAL = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;
const HOUR = 3_600_000;

// luxon formats numbers with Intl unless the locale is known to use Latin digits; the fast path is
// for the settings under which luxon's toFormat gives plain zero-padded digits (checked at load and
// whenever luxon's default locale settings change).
const settingsAtLoad = [Settings.defaultLocale, Settings.defaultNumberingSystem, Settings.defaultOutputCalendar];
let plainDigits: boolean | undefined;
function fastPathAllowed(): boolean {
  if (Settings.defaultLocale !== settingsAtLoad[0] || Settings.defaultNumberingSystem !== settingsAtLoad[1] || Settings.defaultOutputCalendar !== settingsAtLoad[2]) {
    return false;
  }
  if (plainDigits === undefined) {
    const probe = DateTime.fromMillis(Date.UTC(2026, 0, 2, 3, 4, 5, 6), { zone: "UTC" });
    plainDigits = luxonLocalString(probe) === "2026-01-02T03:04:05.0060000";
  }
  return plainDigits;
}

const zones = new Map<string, Zone>();
function zoneOf(name: string): Zone {
  let z = zones.get(name);
  if (!z) {
    z = Info.normalizeZone(name);
    if (zones.size > 1000) zones.clear();
    zones.set(name, z);
  }
  return z;
}

/**
 * zone.offset(ts), remembered per zone and clock hour from 1970 on when the offset is the same at
 * the hour's first and last second (no transition inside it; tz data has no two transitions within
 * an hour). luxon's offset is a function of the second (it truncates ts), so the hour's value is
 * the value of every instant in it. Fixed-offset zones are cheap already.
 */
const offsets = new Map<string, Map<number, number>>();
let offsetEntries = 0;
function offsetAt(zone: Zone, ts: number): number {
  if (zone.isUniversal || !(ts >= 0)) return zone.offset(ts);
  const hour = Math.floor(ts / HOUR);
  let byHour = offsets.get(zone.name);
  if (!byHour) {
    byHour = new Map();
    offsets.set(zone.name, byHour);
  }
  const known = byHour.get(hour);
  if (known !== undefined) return known;
  const first = zone.offset(hour * HOUR);
  const last = zone.offset(hour * HOUR + HOUR - 1000);
  if (first !== last || Number.isNaN(first)) return zone.offset(ts);
  if (++offsetEntries > 200_000) {
    offsets.clear();
    offsetEntries = 0;
    byHour = new Map();
    offsets.set(zone.name, byHour);
  }
  byHour.set(hour, first);
  return first;
}

/** luxon's fixOffset: the instant and offset for a local time, `o` the guess (ambiguous times). */
function fixOffset(localTS: number, o: number, zone: Zone): [number, number] {
  let utcGuess = localTS - o * 60 * 1000;
  const o2 = offsetAt(zone, utcGuess);
  if (o === o2) return [utcGuess, o];
  utcGuess -= (o2 - o) * 60 * 1000;
  const o3 = offsetAt(zone, utcGuess);
  if (o2 === o3) return [utcGuess, o2];
  return [localTS - Math.min(o2, o3) * 60 * 1000, Math.max(o2, o3)];
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]!;
}

interface Zoned {
  /** Epoch ms (DateTime#ts). */
  ts: number;
  /** Offset in minutes luxon gave the DateTime (DateTime#o). */
  o: number;
  zone: Zone;
}

/** DateTime.fromISO(text, { zone: zoneName }) for the common strings; null: ask luxon. */
function parseLocal(text: string, zoneName: string): Zoned | null {
  const m = LOCAL.exec(text);
  if (!m || !fastPathAllowed()) return null;
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  const hour = Number(m[4]);
  const minute = Number(m[5]);
  const second = m[6] === undefined ? 0 : Number(m[6]);
  // luxon's parseMillis
  const millisecond = m[7] === undefined ? 0 : Math.floor(parseFloat(`0.${m[7]}`) * 1000);
  if (year < 1900 || year > 2999 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null;
  if (hour > 23 || minute > 59 || second > 59) return null;
  const zone = zoneOf(zoneName);
  if (!zone.isValid) return null;
  const localTS = Date.UTC(year, month - 1, day, hour, minute, second, millisecond);
  // fromObject: the provisional offset is the zone's offset now (luxon's Settings.now()).
  const [ts, o] = fixOffset(localTS, offsetAt(zone, Settings.now()), zone);
  return { ts, o, zone };
}

const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

/** luxonLocalString of a DateTime with these ts and offset (luxon's tsToObj, then toFormat). */
function format(ts: number, offset: number): string | null {
  const d = new Date(ts + offset * 60 * 1000);
  const year = d.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return null;
  const ms = d.getUTCMilliseconds();
  return `${year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}T${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())}.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}0000`;
}

/** DateTime.fromISO(dateTime, { zone: zoneName }).toMillis() */
export function instantMillis(dateTime: string, zoneName: string): number {
  const z = parseLocal(dateTime, zoneName);
  return z ? z.ts : DateTime.fromISO(dateTime, { zone: zoneName }).toMillis();
}

/**
 * luxonLocalString(DateTime.fromISO(dateTime, { zone: zoneName })), or of its setZone(targetZone)
 * when a target is given.
 */
export function localDateTime(dateTime: string, zoneName: string, targetZone?: string): string {
  const z = parseLocal(dateTime, zoneName);
  if (z) {
    let out: string | null;
    if (targetZone === undefined) out = format(z.ts, z.o);
    else {
      const target = zoneOf(targetZone);
      // setZone: the same DateTime for an equal zone; otherwise the offset at the instant.
      out = target.equals(z.zone) ? format(z.ts, z.o) : target.isValid ? format(z.ts, offsetAt(target, z.ts)) : null;
    }
    if (out !== null) return out;
  }
  const dt = DateTime.fromISO(dateTime, { zone: zoneName });
  return luxonLocalString(targetZone === undefined ? dt : dt.setZone(targetZone));
}
