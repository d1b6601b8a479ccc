// The itinerary email a traveler gets for one booking change: subject, HTML and plain text in
// their language, every segment listed with what this change did marked, and the trip's .ics
// objects attached. Pure: the same change gives the same message, byte for byte, so a retried
// send is the same email (same Message-ID, same Date).
import type { SendMailOptions } from 'nodemailer';
import { describeSegmentRows } from '../domain/describe-segment.ts';
import { segmentSpan } from '../domain/segment-span.ts';
import { SCHEDULE_FACTS } from '../domain/segment-changes.ts';
import type { Locale, Segment, TripChange, User } from '../domain/types.ts';
import { toInstant } from '../domain/zoned-time.ts';
import { messages, type CalendarNames } from '../i18n/messages.ts';
import { itineraryCalendars, type CalendarObject } from '../ics/itinerary-calendars.ts';
import { reservationsJsonLd, scriptJson } from './reservation-json-ld.ts';
import { renderItineraryHtml, renderItineraryText, type ItineraryEmailView, type SegmentMark } from './render-itinerary-email.ts';

export interface ItineraryEmailOptions {
  /** The platform's mailbox: the From of the email and the ORGANIZER of its invitations. */
  from: { name: string; address: string };
  /** Where travelers reach the web app, without a trailing slash. */
  publicUrl: string;
  /** The traveler's calendar connections that lapsed (their names in the traveler's language): say so, and how to reconnect. */
  lapsedCalendars?: CalendarNames[];
  /** The traveler's company keeps cancelled bookings in calendars: a cancellation is sent as a REQUEST that keeps the event, marked cancelled. */
  keepCancelled?: boolean;
}

export function composeItineraryEmail(
  change: TripChange,
  traveler: User,
  options: ItineraryEmailOptions,
): SendMailOptions {
  const { trip } = change;
  const locale = traveler.locale;
  const { common, itineraryEmail: texts } = messages(locale);
  const subject = oneLine(texts.subject(subjectPrefix(change, locale), trip));

  const ordered = inTravelOrder(trip.segments);
  const segments = ordered.map((segment) => {
    const mark = markOf(segment, change);
    // What changed is told for the segments this change altered, not again for earlier changes.
    const { summary, rows } = describeSegmentRows(mark === 'changed' ? segment : withoutLastChange(segment), locale);
    // The first row names the segment ("Flight: NH 6 Tokyo (HND) → …"); the email already shows
    // that as the segment's heading.
    const details = rows.length > 0 && summary.includes(rows[0].value) ? rows.slice(1) : rows;
    return { mark: mark ? { kind: mark, label: texts.marks[mark] } : undefined, summary, rows: details };
  });

  // One iTIP object per added, altered or cancelled segment, in travel order (itinerary-calendars.ts).
  const position = new Map(ordered.map((segment, index) => [segment.id, index]));
  const calendars = itineraryCalendars(
    { trip, changedSegmentIds: change.changedSegmentIds, cancelledSegmentIds: change.cancelledSegmentIds },
    {
      locale,
      organizer: { name: options.from.name, email: options.from.address },
      attendee: { name: traveler.displayName, email: traveler.email },
      dtstamp: change.occurredAt,
      keepCancelled: options.keepCancelled === true,
    },
  ).sort((a, b) => (a.method === b.method ? (position.get(a.segmentId!) ?? 0) - (position.get(b.segmentId!) ?? 0) : a.method === 'REQUEST' ? -1 : 1));
  const primary = primaryCalendar(calendars);

  const view: ItineraryEmailView = {
    locale,
    subject,
    greeting: texts.greeting(traveler.displayName),
    intro: texts.intro[change.kind],
    bookingReference: { label: common.bookingReference, value: trip.bookingRef },
    tripLink: { label: texts.viewTrip, url: tripUrl(options.publicUrl, trip.id) },
    segments,
    reconnect: options.lapsedCalendars?.length ? options.lapsedCalendars.flatMap((names) => texts.reconnect(names)) : undefined,
    calendarNote: calendarNote(calendars, change, texts.calendarFile),
    footer: texts.footer,
    signature: options.from.name,
    jsonLd: scriptJson(reservationsJsonLd(ordered, trip, traveler)),
  };

  const domain = mailDomain(options.from.address);
  return {
    from: { name: oneLine(options.from.name), address: options.from.address },
    to: { name: oneLine(traveler.displayName), address: traveler.email },
    subject,
    date: change.occurredAt,
    // Derived from the change alone, so a retried send carries the same Message-ID and a
    // receiving server or the outbox can recognise the duplicate.
    messageId: `<change-${idPart(change.id)}@${domain}>`,
    // Every email about one trip refers to the same root, so mail clients thread them together.
    references: `<trip-${idPart(trip.id)}@${domain}>`,
    headers: {
      // RFC 3834 §5: automatic mail, so out-of-office responders stay quiet.
      'Auto-Submitted': 'auto-generated',
    },
    text: renderItineraryText(view),
    html: renderItineraryHtml(view),
    // Every iTIP object (one event each) is attached as text/calendar; method=…, and the first
    // also goes in the multipart/alternative (RFC 6047 §2.4), which is what makes Outlook and
    // Gmail show it as an invitation rather than a plain attachment; a MIME message has one such
    // part. It is put there through `alternatives` rather than nodemailer's `icalEvent` because
    // `icalEvent` also adds its own second copy as an application/ics attachment.
    alternatives: primary ? [{ contentType: calendarContentType(primary.method), content: primary.content }] : [],
    attachments: calendars.map((calendar) => ({
      filename: calendar.filename,
      content: calendar.content,
      contentType: calendarContentType(calendar.method),
    })),
  };
}

/** What the attached calendar files do, as the email says it: update, remove, or keep marked cancelled. */
function calendarNote(calendars: CalendarObject[], change: TripChange, texts: ReturnType<typeof messages>['itineraryEmail']['calendarFile']): string | undefined {
  const primary = primaryCalendar(calendars);
  if (!primary) return undefined;
  if (primary.method === 'CANCEL') return texts.cancel;
  const cancelled = new Set(change.cancelledSegmentIds);
  return calendars.every((c) => c.segmentId && cancelled.has(c.segmentId)) ? texts.keepCancelled : texts.update;
}

/** The object of the multipart/alternative: the first REQUEST, else the first CANCEL. */
function primaryCalendar(calendars: CalendarObject[]): CalendarObject | undefined {
  return (
    calendars.find((c) => c.method === 'REQUEST') ?? calendars.find((c) => c.method === 'CANCEL') ?? calendars[0]
  );
}

function calendarContentType(method: string): string {
  return `text/calendar; charset=utf-8; method=${method}`;
}

function markOf(segment: Segment, change: TripChange): SegmentMark | undefined {
  if (change.kind === 'cancelled' || segment.status === 'cancelled' || change.cancelledSegmentIds.includes(segment.id)) {
    return 'cancelled';
  }
  if (change.kind === 'changed' && change.changedSegmentIds.includes(segment.id)) {
    // SEQUENCE starts at 0 and grows with every change (types.ts): 0 means new in this change.
    return segment.sequence === 0 ? 'added' : 'changed';
  }
  return undefined;
}

function withoutLastChange(segment: Segment): Segment {
  const { lastChange: _lastChange, ...rest } = segment;
  return rest as Segment;
}

/**
 * What the subject says first: the kind of change when the change is of one kind (times only,
 * seats only, segments added only, segments cancelled only), else that the itinerary changed.
 */
function subjectPrefix(change: TripChange, locale: Locale): string {
  const { itineraryEmail: texts, itineraryChanges: words } = messages(locale);
  if (change.kind !== 'changed') return texts.subjectPrefix[change.kind];
  const touched = new Set([...change.changedSegmentIds, ...change.cancelledSegmentIds]);
  const marked = change.trip.segments.filter((s) => touched.has(s.id)).map((s) => ({ segment: s, mark: markOf(s, change) }));
  const marks = new Set(marked.map((m) => m.mark));
  if (marks.size === 1 && marks.has('added')) return words.subjectPrefix.added;
  if (marks.size === 1 && marks.has('cancelled')) return words.subjectPrefix.cancelled;
  if (marks.size === 1 && marks.has('changed')) {
    const facts = marked.flatMap((m) => m.segment.lastChange ?? []).map((c) => c.fact);
    if (facts.length && facts.every((fact) => SCHEDULE_FACTS.has(fact))) return words.subjectPrefix.schedule;
    if (facts.length && facts.every((fact) => fact === 'seat')) return words.subjectPrefix.seat;
  }
  return texts.subjectPrefix.changed;
}

/** Segments by when the traveler sets off: a stay from its check-in time, not from midnight. */
function inTravelOrder(segments: Segment[]): Segment[] {
  const startOf = (segment: Segment): number => {
    const span = segmentSpan(segment);
    return toInstant(span.allDay ? span.checkIn : span.start)?.getTime() ?? Number.POSITIVE_INFINITY;
  };
  return segments
    .map((segment, index) => ({ segment, index, start: startOf(segment) }))
    .sort((a, b) => (a.start === b.start ? a.index - b.index : a.start < b.start ? -1 : 1))
    .map((entry) => entry.segment);
}

/** Header text on one line: names and titles come from booking engines and may hold line breaks. */
function oneLine(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f]+/g, ' ').replace(/\s{2,}/g, ' ').trim();
}

function tripUrl(publicUrl: string, tripId: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/trips/${encodeURIComponent(tripId)}`;
}

function mailDomain(address: string): string {
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1).trim() : '';
  return /^[A-Za-z0-9.-]+$/.test(domain) ? domain : 'tripcal';
}

/** An id as part of a Message-ID's left side (RFC 5322 §3.6.4 dot-atom-text). */
function idPart(id: string): string {
  return id.replace(/[^A-Za-z0-9_-]/g, '-');
}
