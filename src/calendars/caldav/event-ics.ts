// A desired event as a CalDAV calendar object (RFC 4791 §4.1: one VCALENDAR, one UID), and the
// merge that changes an existing object: the properties the booking owns are replaced, everything
// else the traveler added (their own alarms, colour, notes in other properties) is kept.
import ICAL from 'ical.js';
import type { DesiredEvent, EventTime } from '../../domain/project-segment.ts';
import { contentLine, escapeText } from '../../ics/content-line.ts';
import { utcDateTime } from '../../ics/render-itinerary.ts';
import { vtimezone } from '../../ics/vtimezone.ts';

export const PRODUCT_ID = '-//tripcal//tripcal calendar sync//EN';

/** The UID of a segment's event: the emailed .ics's UID, so an imported email and a synced event are one event. */
export const eventUid = (key: string) => `${key}@tripcal`;

/** The properties of a VEVENT the booking owns; the traveler's edits to any other are kept. */
const OWNED = ['dtstart', 'dtend', 'summary', 'location', 'description', 'status', 'transp', 'categories', 'x-microsoft-cdo-busystatus', 'x-microsoft-cdo-alldayevent', 'dtstamp', 'last-modified', 'sequence'];

/** Marks the alarm we add, so a change replaces ours and keeps the traveler's. */
const OUR_ALARM = 'X-TRIPCAL-ALARM';

const localValue = (t: EventTime) => t.dateTime.replace(/[-:]/g, '').slice(0, 15);
const dateValue = (t: EventTime) => t.dateTime.slice(0, 10).replaceAll('-', '');

/** The calendar object of one event, with the VTIMEZONE of each zone its times use. */
export function renderEventIcs(event: DesiredEvent, sequence: number, dtstamp: Date): string {
  const zones = event.isAllDay ? [] : [...new Set([event.start.timeZone, event.end.timeZone])];
  const blocks = new Map(zones.map((z) => [z, vtimezone(z)]));
  const time = (name: 'DTSTART' | 'DTEND', t: EventTime) =>
    event.isAllDay ? contentLine(name, dateValue(t), [['VALUE', 'DATE']]) : contentLine(name, localValue(t), [['TZID', blocks.get(t.timeZone)!.tzid]]);
  const lines = [
    'BEGIN:VCALENDAR',
    contentLine('VERSION', '2.0'),
    contentLine('PRODID', escapeText(PRODUCT_ID)),
    contentLine('CALSCALE', 'GREGORIAN'),
    ...[...new Map([...blocks.values()].map((b) => [b.tzid, b])).values()].flatMap((b) => b.lines),
    'BEGIN:VEVENT',
    contentLine('UID', eventUid(event.key)),
    contentLine('SEQUENCE', String(sequence)),
    contentLine('DTSTAMP', utcDateTime(dtstamp)),
    contentLine('LAST-MODIFIED', utcDateTime(dtstamp)),
    time('DTSTART', event.start),
    time('DTEND', event.end),
    contentLine('SUMMARY', escapeText(event.subject)),
    contentLine('LOCATION', escapeText(event.location)),
    contentLine('DESCRIPTION', escapeText(event.body)),
    // Tentative, as on the other providers: the booking is a plan, not a meeting. A stay does not
    // make the traveler busy; a flight, a train or a rental does. A cancelled booking the company
    // keeps is free and has no STATUS, as in the emailed .ics (its title says it): clients hide
    // or drop a STATUS:CANCELLED event, and it is to stay in sight.
    ...(event.cancelled ? [] : [contentLine('STATUS', 'TENTATIVE')]),
    contentLine('TRANSP', event.isAllDay || event.cancelled ? 'TRANSPARENT' : 'OPAQUE'),
    contentLine('X-MICROSOFT-CDO-BUSYSTATUS', event.cancelled ? 'FREE' : 'TENTATIVE'),
    ...(event.isAllDay ? [contentLine('X-MICROSOFT-CDO-ALLDAYEVENT', 'TRUE')] : []),
    contentLine('CATEGORIES', event.categories.map(escapeText).join(',')),
    ...(event.reminderMinutesBeforeStart === null
      ? []
      : [
        'BEGIN:VALARM',
        contentLine('ACTION', 'DISPLAY'),
        contentLine('TRIGGER', `-PT${event.reminderMinutesBeforeStart}M`),
        contentLine('DESCRIPTION', escapeText(event.subject)),
        contentLine(OUR_ALARM, 'TRUE'),
        'END:VALARM',
      ]),
    'END:VEVENT',
    'END:VCALENDAR',
  ];
  return lines.join('\r\n') + '\r\n';
}

/** The SEQUENCE of an existing object's event (0 when it has none). */
function sequenceOf(event: InstanceType<typeof ICAL.Component>): number {
  const value = Number(event.getFirstPropertyValue('sequence') ?? 0);
  return Number.isFinite(value) ? value : 0;
}

/**
 * The existing object changed to the desired event: the booking's properties and our alarm
 * replaced, SEQUENCE one higher, VTIMEZONEs those the new times need; the rest kept as it was.
 */
export function mergeEventIcs(existing: string, event: DesiredEvent, dtstamp: Date): string {
  const current = new ICAL.Component(ICAL.parse(existing));
  const currentEvent = current.getFirstSubcomponent('vevent');
  if (!currentEvent) return renderEventIcs(event, 0, dtstamp);
  const fresh = new ICAL.Component(ICAL.parse(renderEventIcs(event, sequenceOf(currentEvent) + 1, dtstamp)));
  const freshEvent = fresh.getFirstSubcomponent('vevent')!;
  for (const name of OWNED) currentEvent.removeAllProperties(name);
  for (const name of OWNED) for (const p of freshEvent.getAllProperties(name)) currentEvent.addProperty(p);
  for (const alarm of currentEvent.getAllSubcomponents('valarm')) if (alarm.hasProperty(OUR_ALARM.toLowerCase())) currentEvent.removeSubcomponent(alarm);
  for (const alarm of freshEvent.getAllSubcomponents('valarm')) currentEvent.addSubcomponent(alarm);
  current.removeAllSubcomponents('vtimezone');
  // VTIMEZONEs go before the event, where clients look for them first.
  current.removeSubcomponent(currentEvent);
  for (const tz of fresh.getAllSubcomponents('vtimezone')) current.addSubcomponent(tz);
  current.addSubcomponent(currentEvent);
  return current.toString().replace(/\r?\n/g, '\r\n') + '\r\n';
}
