// Checks every generated .ics must pass, read back through an independent parser (ical.js).

import assert from 'node:assert/strict';
import ICAL from 'ical.js';

type Component = InstanceType<typeof ICAL.Component>;
type Time = InstanceType<typeof ICAL.Time>;

export interface ParsedEvent {
  uid: string;
  sequence: number;
  status: string;
  summary: string;
  location: string;
  description: string;
  /** ISO instant in UTC for a DATE-TIME, "YYYY-MM-DD" for a DATE. */
  start: string;
  end: string;
  startTzid?: string;
  endTzid?: string;
  transp: string;
  busyStatus: string;
  organizer: string;
  attendees: string[];
  component: Component;
}

export interface ParsedCalendar {
  method: string;
  tzids: string[];
  events: ParsedEvent[];
}

function asTime(value: unknown, what: string): Time {
  assert.ok(value instanceof ICAL.Time, `${what} is not a date or date-time`);
  return value;
}

function instant(time: Time): string {
  if (time.isDate) return time.toString();
  return time.toJSDate().toISOString();
}

/** Octets, line endings and characters, on the raw text before any parser sees it. */
export function checkPhysicalLines(ics: string): void {
  assert.ok(ics.endsWith('\r\n'), 'the object ends with CRLF');
  assert.ok(!/[^\r]\n/.test(ics) && !/\r[^\n]/.test(ics), 'every line ends with CRLF');
  const lines = ics.slice(0, -2).split('\r\n');
  for (const [i, line] of lines.entries()) {
    const octets = Buffer.byteLength(line, 'utf8');
    assert.ok(octets <= 75, `line ${i + 1} has ${octets} octets (max 75): ${line}`);
    assert.ok(line.isWellFormed(), `line ${i + 1} splits a character: ${line}`);
    assert.ok(line.length > 0, `line ${i + 1} is empty`);
  }
}

/** Unfolds (RFC 5545 §3.1) the raw text into logical lines. */
export function unfold(ics: string): string[] {
  return ics.replace(/\r\n[ \t]/g, '').split('\r\n').filter((l) => l !== '');
}

export function parseIcs(ics: string): ParsedCalendar {
  checkPhysicalLines(ics);
  const calendar = new ICAL.Component(ICAL.parse(ics));
  assert.equal(calendar.name, 'vcalendar');
  assert.equal(calendar.getFirstPropertyValue('version'), '2.0');
  assert.ok(calendar.getFirstPropertyValue('prodid'), 'PRODID is present');

  const vtimezones = calendar.getAllSubcomponents('vtimezone');
  const tzids = vtimezones.map((tz) => String(tz.getFirstPropertyValue('tzid')));
  assert.equal(new Set(tzids).size, tzids.length, 'one VTIMEZONE per TZID');
  // Times must be read in the zones this object itself declares, not in any the parser knows.
  for (const tz of vtimezones) ICAL.TimezoneService.register(tz);

  // Every TZID parameter anywhere in the object names a VTIMEZONE of the object.
  for (const line of unfold(ics)) {
    for (const m of line.matchAll(/;TZID=("[^"]*"|[^;:]*)/g)) {
      const tzid = m[1].replace(/^"|"$/g, '');
      assert.ok(tzids.includes(tzid), `TZID ${tzid} has no VTIMEZONE (line: ${line})`);
    }
  }

  const events = calendar.getAllSubcomponents('vevent').map((event): ParsedEvent => {
    const uid = String(event.getFirstPropertyValue('uid'));
    const stampProperty = event.getFirstProperty('dtstamp');
    assert.ok(stampProperty, `${uid}: DTSTAMP is present`);
    const stamp = asTime(stampProperty.getFirstValue(), 'DTSTAMP');
    assert.equal(stamp.zone, ICAL.Timezone.utcTimezone, `${uid}: DTSTAMP is in UTC`);

    const startProperty = event.getFirstProperty('dtstart');
    const endProperty = event.getFirstProperty('dtend');
    assert.ok(startProperty && endProperty, `${uid}: DTSTART and DTEND are present`);
    const start = asTime(startProperty.getFirstValue(), 'DTSTART');
    const end = asTime(endProperty.getFirstValue(), 'DTEND');
    assert.equal(start.isDate, end.isDate, `${uid}: DTSTART and DTEND have the same value type`);
    assert.equal(startProperty.type, endProperty.type, `${uid}: DTSTART and DTEND have the same VALUE`);
    assert.ok(end.compare(start) > 0, `${uid}: DTEND is after DTSTART`);
    const startTzid = startProperty.getParameter('tzid') as string | undefined;
    const endTzid = endProperty.getParameter('tzid') as string | undefined;
    // A date-time carries a TZID of the object, or is in UTC (a time that occurs twice in its zone).
    for (const [name, time, tzid] of [['DTSTART', start, startTzid], ['DTEND', end, endTzid]] as const) {
      if (time.isDate) continue;
      if (tzid) assert.equal(time.zone?.tzid, tzid, `${uid}: ${name} resolved in its VTIMEZONE`);
      else assert.equal(time.zone, ICAL.Timezone.utcTimezone, `${uid}: ${name} carries a TZID or is in UTC`);
    }

    const organizer = event.getFirstProperty('organizer');
    assert.ok(organizer, `${uid}: ORGANIZER is present`);
    return {
      uid,
      sequence: Number(event.getFirstPropertyValue('sequence')),
      status: String(event.getFirstPropertyValue('status')),
      summary: String(event.getFirstPropertyValue('summary')),
      location: String(event.getFirstPropertyValue('location')),
      description: String(event.getFirstPropertyValue('description')),
      start: instant(start),
      end: instant(end),
      startTzid,
      endTzid,
      transp: String(event.getFirstPropertyValue('transp')),
      busyStatus: String(event.getFirstPropertyValue('x-microsoft-cdo-busystatus')),
      organizer: String(organizer.getFirstValue()),
      attendees: event.getAllProperties('attendee').map((a) => String(a.getFirstValue())),
      component: event,
    };
  });

  return { method: String(calendar.getFirstPropertyValue('method')), tzids, events };
}
