// VTIMEZONE blocks (RFC 5545 §3.6.5) from a maintained library (timezones-ical-library, built
// from the IANA database), never written by hand.

import { tzlib_get_ical_block, tzlib_get_timezones } from 'timezones-ical-library';
import { foldLine } from './content-line.ts';
import { IcsError } from './ics-error.ts';

export interface VTimezone {
  /** The TZID the block declares; DTSTART/DTEND must reference exactly this. */
  tzid: string;
  /** The folded lines of BEGIN:VTIMEZONE … END:VTIMEZONE. */
  lines: string[];
}

let known: Set<string> | undefined;
const cache = new Map<string, VTimezone>();

/**
 * The VTIMEZONE for an IANA zone. The library resolves some aliases to their canonical zone
 * ("UTC" gives "Etc/UTC"), so callers must use the returned `tzid` in their TZID parameters.
 */
export function vtimezone(timeZone: string): VTimezone {
  const hit = cache.get(timeZone);
  if (hit) return hit;
  known ??= new Set(tzlib_get_timezones() as string[]);
  // Checked first: the library logs and returns an empty string for a zone it does not know.
  const block = known.has(timeZone) ? tzlib_get_ical_block(timeZone) : undefined;
  const text = Array.isArray(block) ? block[0] : undefined;
  const tzid = text ? /^TZID:(.+)$/m.exec(text)?.[1]?.trim() : undefined;
  if (!text || !tzid) {
    throw new IcsError('ics.unknown-time-zone', `No VTIMEZONE for time zone "${timeZone}"`);
  }
  const lines = text
    .split(/\r?\n/)
    .filter((line) => line !== '')
    .map(foldLine);
  const result: VTimezone = { tzid, lines };
  cache.set(timeZone, result);
  return result;
}
