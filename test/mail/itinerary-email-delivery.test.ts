// The itinerary email end to end: composed, sent through a real SMTP server over TCP (or
// written to the outbox), parsed back by an independent MIME parser and iCalendar parser.
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import ICAL from 'ical.js';
import { simpleParser, type Attachment, type ParsedMail } from 'mailparser';
import type { TripChange, User } from '../../src/domain/types.ts';
import { providerLabels } from '../../src/calendars/registry.ts';
import { composeItineraryEmail } from '../../src/mail/compose-itinerary-email.ts';
import { createMailTransport, type MailTransport } from '../../src/mail/transport.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { alex, created, flightMoved, hanako, hotelCancelledTrainAdded, mailOptions, salesFlight, salesHotel, salesTrain, tripCancelled } from '../fixtures/trips.ts';

interface CalendarPart {
  /** The MIME Content-Type's method= parameter. */
  mimeMethod: string | undefined;
  /** METHOD inside the iCalendar object, read by ical.js. */
  icsMethod: string;
  uids: string[];
  filename: string | undefined;
}

function calendarPart(attachment: Attachment): CalendarPart {
  const contentType = attachment.headers.get('content-type') as { value: string; params: Record<string, string> };
  assert.equal(contentType.value, 'text/calendar');
  assert.equal(contentType.params.charset, 'utf-8');
  const calendar = new ICAL.Component(ICAL.parse(attachment.content.toString('utf8')));
  return {
    mimeMethod: contentType.params.method,
    icsMethod: String(calendar.getFirstPropertyValue('method')),
    uids: calendar.getAllSubcomponents('vevent').map((event) => String(event.getFirstPropertyValue('uid'))),
    filename: attachment.filename,
  };
}

/** The calendar alternative (no disposition, inside multipart/alternative) and the .ics files. */
function calendarParts(mail: ParsedMail): { alternative: CalendarPart[]; files: CalendarPart[] } {
  const calendars = mail.attachments.filter((a) => a.contentType === 'text/calendar');
  return {
    alternative: calendars.filter((a) => a.contentDisposition !== 'attachment').map(calendarPart),
    files: calendars.filter((a) => a.contentDisposition === 'attachment').map(calendarPart),
  };
}

/** The body of the message's multipart/alternative, as sent. */
function alternativeSection(raw: string): string {
  const boundary = /Content-Type: multipart\/alternative;\s+boundary="([^"]+)"/i.exec(raw)?.[1];
  assert.ok(boundary, 'the message has a multipart/alternative part');
  const start = raw.indexOf(`--${boundary}`);
  const end = raw.indexOf(`--${boundary}--`);
  return raw.slice(start, end);
}

describe('itinerary email through a real SMTP server', () => {
  let sink: SmtpSink;
  let transport: MailTransport;
  before(async () => {
    sink = await startSmtpSink({ user: 'tripcal', pass: 'smtp-secret' });
    transport = createMailTransport({ smtpUrl: sink.url(), outboxDir: '/nonexistent' });
  });
  after(async () => {
    transport.close();
    await sink.close();
  });

  async function deliver(change: TripChange, traveler: User, outlookLapsed = false) {
    const message = composeItineraryEmail(change, traveler, { ...mailOptions, lapsedCalendars: outlookLapsed ? providerLabels(['outlook'], traveler.locale) : [] });
    const sent = await transport.send(message);
    const received = sink.received.find((m) => m.raw.includes(sent.messageId));
    assert.ok(received, `the server received ${sent.messageId}`);
    assert.deepEqual(received.to, [traveler.email]);
    assert.equal(received.from, mailOptions.from.address);
    return { raw: received.raw.toString('latin1'), mail: await simpleParser(received.raw) };
  }

  test('a new trip, in Japanese: subject, HTML, text, and the REQUEST both attached and as the calendar part', async () => {
    const { raw, mail } = await deliver(created, hanako);
    assert.equal(mail.subject, '【旅程のご案内】Los Angeles <sales> trip(予約番号 BK-2026-0042)');
    assert.equal(mail.messageId, `<change-${created.id}@tripcal.example>`);
    assert.equal(mail.date?.toISOString(), '2026-11-25T02:45:00.000Z');
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.match(mail.text ?? '', /^佐藤 花子 様/);
    assert.match(mail.text ?? '', /2026年12月1日\(火\) 22:55 \(日本標準時\)/);
    assert.match(String(mail.html), /<html lang="ja">/);
    assert.match(String(mail.html), /予約番号: <strong>BK-2026-0042<\/strong>/);

    const { alternative, files } = calendarParts(mail);
    assert.deepEqual(alternative.map((p) => [p.mimeMethod, p.icsMethod]), [['REQUEST', 'REQUEST']]);
    assert.deepEqual(files.map((p) => [p.filename, p.mimeMethod, p.icsMethod, p.uids]), [
      ['itinerary-BK-2026-0042-AIR-1.ics', 'REQUEST', 'REQUEST', [`${salesFlight.id}@tripcal`]],
      ['itinerary-BK-2026-0042-HTL-1.ics', 'REQUEST', 'REQUEST', [`${salesHotel.id}@tripcal`]],
    ]);
    assert.deepEqual(alternative[0].uids, [`${salesFlight.id}@tripcal`], 'the first invitation is the calendar part');
    assert.match(alternativeSection(raw), /Content-Type: text\/calendar; charset=utf-8; method=REQUEST\r\n/);
  });

  test('a change, in English: the changed flight is marked, and the METHOD matches the MIME method=', async () => {
    const { mail } = await deliver(flightMoved, alex);
    assert.equal(mail.subject, 'Itinerary changed: Los Angeles <sales> trip (booking BK-2026-0042)');
    assert.deepEqual(mail.to && !Array.isArray(mail.to) ? mail.to.value : undefined, [{ name: 'Alex <QA> Smith', address: 'alex@example.com' }]);
    assert.match(mail.text ?? '', /^\[Changed\] NH 6 Tokyo \(HND\) → Los Angeles \(LAX\)$/m);
    assert.match(String(mail.html), />Changed<\/span><strong[^>]*>NH 6 Tokyo \(HND\) → Los Angeles \(LAX\)</);
    assert.match(String(mail.html), /Dear Alex &lt;QA&gt; Smith,/);
    const { alternative, files } = calendarParts(mail);
    for (const part of [...alternative, ...files]) assert.equal(part.icsMethod, part.mimeMethod);
    assert.equal(alternative.length, 1);
  });

  test('a hotel cancelled in a change, in Japanese: marked, with a CANCEL file beside the REQUEST', async () => {
    const { mail } = await deliver(hotelCancelledTrainAdded, hanako);
    assert.match(mail.text ?? '', /^\[キャンセル\] 宿泊: Hotel <Sunset> & Spa$/m);
    assert.match(mail.text ?? '', /^\[追加\] Amtrak 777 /m);
    const { alternative, files } = calendarParts(mail);
    assert.deepEqual(alternative.map((p) => p.icsMethod), ['REQUEST']);
    assert.deepEqual(files.map((p) => [p.mimeMethod, p.icsMethod]), [
      ['REQUEST', 'REQUEST'],
      ['CANCEL', 'CANCEL'],
    ]);
    assert.deepEqual(files.map((p) => p.uids), [[`${salesTrain.id}@tripcal`], [`${salesHotel.id}@tripcal`]], 'one event per invitation; the untouched flight is not sent again');
  });

  test('a cancelled trip carries METHOD:CANCEL, attached and as the calendar part', async () => {
    const { raw, mail } = await deliver(tripCancelled, alex, true);
    assert.equal(mail.subject, 'Trip cancelled: Los Angeles <sales> trip (booking BK-2026-0042)');
    assert.match(mail.text ?? '', /choose "Connect to Outlook calendar" on the home screen/);
    const { alternative, files } = calendarParts(mail);
    assert.deepEqual(alternative.map((p) => [p.mimeMethod, p.icsMethod]), [['CANCEL', 'CANCEL']]);
    assert.deepEqual(files.map((p) => [p.mimeMethod, p.icsMethod, p.uids]), [
      ['CANCEL', 'CANCEL', [`${salesHotel.id}@tripcal`]],
      ['CANCEL', 'CANCEL', [`${salesFlight.id}@tripcal`]],
    ]);
    assert.match(alternativeSection(raw), /Content-Type: text\/calendar; charset=utf-8; method=CANCEL\r\n/);
  });
});

describe('itinerary email in the outbox (no SMTP_URL)', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'tripcal-outbox-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test('is written as an .eml that parses back with its text and calendar parts', async () => {
    const transport = createMailTransport({ outboxDir: path.join(dir, 'outbox') });
    const sent = await transport.send(composeItineraryEmail(flightMoved, hanako, mailOptions));
    transport.close();
    assert.equal(path.basename(sent.path ?? ''), `20261126T091000Z-change-${flightMoved.id}.eml`);
    const mail = await simpleParser(await readFile(sent.path!));
    assert.equal(mail.subject, '【旅程変更のお知らせ】Los Angeles <sales> trip(予約番号 BK-2026-0042)');
    assert.match(mail.text ?? '', /^\[変更\] NH 6 東京\(HND\) → ロサンゼルス\(LAX\)$/m);
    const { alternative, files } = calendarParts(mail);
    assert.deepEqual(alternative.map((p) => [p.mimeMethod, p.icsMethod]), [['REQUEST', 'REQUEST']]);
    assert.deepEqual(files.map((p) => [p.mimeMethod, p.icsMethod]), [['REQUEST', 'REQUEST']]);
  });
});
