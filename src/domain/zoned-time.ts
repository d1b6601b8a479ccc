// Wall-clock times in IANA zones, resolved to instants.
import { DateTime, IANAZone } from 'luxon';
import type { ZonedTime } from './types.ts';

export function isValidTimeZone(zone: string): boolean {
  return IANAZone.isValidZone(zone);
}

/**
 * The instant a wall-clock time denotes, or undefined when the text is not a real time in that
 * zone (a 25th hour, 31 February, or a time skipped by a daylight-saving jump).
 */
export function toInstant(time: ZonedTime): Date | undefined {
  if (!isValidTimeZone(time.timeZone)) return undefined;
  const dt = DateTime.fromISO(time.local, { zone: time.timeZone });
  if (!dt.isValid) return undefined;
  // A time inside a DST gap does not exist; luxon shifts it forward. Refuse rather than guess.
  if (dt.toFormat("yyyy-MM-dd'T'HH:mm") !== time.local.slice(0, 16)) return undefined;
  return dt.toJSDate();
}

export function isValidDate(date: string): boolean {
  return DateTime.fromISO(date).isValid && /^\d{4}-\d{2}-\d{2}$/.test(date);
}

/** Midnight starting `date` in `timeZone`. */
export function startOfDay(date: string, timeZone: string): Date {
  return DateTime.fromISO(date, { zone: timeZone }).startOf('day').toJSDate();
}
