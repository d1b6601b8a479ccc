import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Attachment } from 'nodemailer/lib/mailer';
import { providerLabels } from '../../src/calendars/registry.ts';
import { composeItineraryEmail } from '../../src/mail/compose-itinerary-email.ts';
import type { TripChange } from '../../src/domain/types.ts';
import { laxCar as carFixture } from '../fixtures/trips.ts';
import { alex, created, flightMoved, hanako, hotelCancelledTrainAdded, mailOptions, salesFlight, salesHotel, tripCancelled } from '../fixtures/trips.ts';

function methodOf(ics: string): string | undefined {
  return /^METHOD:(\S+)\r?$/m.exec(ics)?.[1];
}

function uidsOf(ics: string): string[] {
  return [...ics.matchAll(/^UID:(\S+)\r?$/gm)].map((m) => m[1]);
}

function calendarParts(message: ReturnType<typeof composeItineraryEmail>) {
  const attachments = (message.attachments ?? []) as Attachment[];
  const alternatives = (message.alternatives ?? []) as Attachment[];
  return { attachments, alternatives };
}

describe('itinerary email: what the traveler reads', () => {
  test('a new trip in Japanese: subject, greeting, segments in travel order, booking reference, link', () => {
    const message = composeItineraryEmail(created, hanako, mailOptions);
    assert.equal(message.subject, '【旅程のご案内】Los Angeles <sales> trip(予約番号 BK-2026-0042)');
    const text = String(message.text);
    assert.match(text, /^佐藤 花子 様/);
    assert.match(text, /予約番号: BK-2026-0042/);
    assert.match(text, /旅程を表示: https:\/\/travel\.example\.com\/trips\/trip-7d3c/);
    // The flight (Tokyo, 1 Dec 22:55) comes before the hotel check-in in Los Angeles.
    const flightAt = text.indexOf('NH 6 東京(HND) → ロサンゼルス(LAX)');
    const hotelAt = text.indexOf('Hotel <Sunset> & Spa');
    assert.ok(flightAt >= 0 && hotelAt > flightAt, text);
    // Local times with the zone's name, on both ends of the flight.
    assert.match(text, /2026年12月1日\(火\) 22:55 \(日本標準時\)/);
    assert.match(text, /16:50 \(米国太平洋標準時\)/);
    assert.match(text, /確認番号: H-98765/);
    // Nothing is marked in the first email.
    assert.doesNotMatch(text, /\[(変更|追加|キャンセル)\]/);
    const html = String(message.html);
    assert.match(html, /<html lang="ja">/);
    assert.match(html, /href="https:\/\/travel\.example\.com\/trips\/trip-7d3c"/);
  });

  test('a change in English marks the changed flight and leaves the hotel unmarked', () => {
    const message = composeItineraryEmail(flightMoved, alex, mailOptions);
    assert.equal(message.subject, 'Itinerary changed: Los Angeles <sales> trip (booking BK-2026-0042)');
    const text = String(message.text);
    assert.match(text, /^\[Changed\] NH 6 Tokyo \(HND\) → Los Angeles \(LAX\)$/m);
    assert.match(text, /Departure: Wed 2 Dec 2026 10:05 \(Japan Standard Time\)/);
    assert.match(text, /^Hotel: Hotel <Sunset> & Spa$/m, 'the hotel is listed, without a mark');
    const html = String(message.html);
    assert.match(html, />Changed<\/span><strong[^>]*>NH 6 Tokyo \(HND\) → Los Angeles \(LAX\)<\/strong>/);
  });

  test('one change that cancels the hotel and adds a train marks each, in both languages', () => {
    const en = String(composeItineraryEmail(hotelCancelledTrainAdded, alex, mailOptions).text);
    assert.match(en, /^\[Cancelled\] Hotel: Hotel <Sunset> & Spa$/m);
    assert.match(en, /^\[Added\] Amtrak 777 /m);
    assert.match(en, /^NH 6 Tokyo/m, 'the untouched flight is listed without a mark');
    const ja = composeItineraryEmail(hotelCancelledTrainAdded, hanako, mailOptions);
    assert.match(String(ja.text), /^\[キャンセル\] 宿泊: Hotel <Sunset> & Spa$/m);
    assert.match(String(ja.text), /^\[追加\] Amtrak 777 /m);
    assert.match(String(ja.html), />キャンセル<\/span><strong style="text-decoration:line-through;/);
    assert.match(String(ja.subject), /^【旅程変更のお知らせ】/);
  });

  test('a cancelled trip says so and marks every segment cancelled', () => {
    const message = composeItineraryEmail(tripCancelled, hanako, mailOptions);
    assert.equal(message.subject, '【キャンセルのお知らせ】Los Angeles <sales> trip(予約番号 BK-2026-0042)');
    const text = String(message.text);
    assert.match(text, /以下の旅程はキャンセルされました。/);
    assert.equal(text.match(/^\[キャンセル\] /gm)?.length, 2);
    assert.match(text, /キャンセルされた予定1件ごとに分かれています。開くと、その予定がカレンダーから削除されます。/);
  });

  test('names and places are escaped in the HTML', () => {
    const html = String(composeItineraryEmail(flightMoved, alex, mailOptions).html);
    assert.match(html, /Dear Alex &lt;QA&gt; Smith,/);
    assert.match(html, /Hotel &lt;Sunset&gt; &amp; Spa/);
    assert.match(html, /<title>Itinerary changed: Los Angeles &lt;sales&gt; trip/);
    assert.doesNotMatch(html, /<QA>|<Sunset>|<sales>/);
  });

  test('line breaks in a trip title or a name never reach the headers', () => {
    const change = { ...created, trip: { ...created.trip, title: 'Kickoff\r\nBcc: someone@example.net' } };
    const message = composeItineraryEmail(change, { ...alex, displayName: 'Alex\nSmith' }, mailOptions);
    assert.equal(message.subject, 'Your itinerary: Kickoff Bcc: someone@example.net (booking BK-2026-0042)');
    assert.deepEqual(message.to, { name: 'Alex Smith', address: 'alex@example.com' });
  });

  test('a lapsed Outlook connection: how to reconnect, with the home-screen label, and the .ics meanwhile', () => {
    const ja = composeItineraryEmail(flightMoved, hanako, { ...mailOptions, lapsedCalendars: providerLabels(['outlook'], 'ja') });
    assert.match(String(ja.text), /ホーム画面で「Outlookカレンダーと接続」を選択してください。/);
    assert.match(String(ja.text), /添付のカレンダーファイル\(\.ics\)を開けば予定を追加・更新できます/);
    assert.match(String(ja.html), /「Outlookカレンダーと接続」/);
    const en = composeItineraryEmail(flightMoved, alex, { ...mailOptions, lapsedCalendars: providerLabels(['outlook'], 'en') });
    assert.match(String(en.text), /choose "Connect to Outlook calendar" on the home screen/);
    assert.match(String(en.html), /choose &quot;Connect to Outlook calendar&quot; on the home screen/);
    assert.match(String(en.text), /the attached calendar file \(\.ics\) keeps working/);
    const fine = composeItineraryEmail(flightMoved, alex, mailOptions);
    assert.doesNotMatch(String(fine.text) + String(fine.html), /Connect to Outlook calendar/);
  });
});

describe('itinerary email: headers and calendar parts', () => {
  test('the same change gives the same message: Message-ID from the change, Date when it happened', () => {
    const first = composeItineraryEmail(created, hanako, mailOptions);
    const again = composeItineraryEmail(created, hanako, mailOptions);
    assert.deepEqual(again, first);
    assert.equal(first.messageId, `<change-${created.id}@tripcal.example>`);
    assert.equal(first.references, '<trip-trip-7d3c@tripcal.example>');
    assert.deepEqual(first.date, created.occurredAt);
    assert.deepEqual(first.to, { name: '佐藤 花子', address: 'hanako.sato@example.co.jp' });
    assert.deepEqual(first.from, mailOptions.from);
    assert.notEqual(composeItineraryEmail(flightMoved, hanako, mailOptions).messageId, first.messageId);
  });

  test('a new trip: one REQUEST per segment, each with one UID, in travel order; the first is also the calendar alternative', () => {
    const { attachments, alternatives } = calendarParts(composeItineraryEmail(created, hanako, mailOptions));
    assert.deepEqual(
      attachments.map((a) => [a.filename, a.contentType, methodOf(String(a.content))]),
      [
        ['itinerary-BK-2026-0042-AIR-1.ics', 'text/calendar; charset=utf-8; method=REQUEST', 'REQUEST'],
        ['itinerary-BK-2026-0042-HTL-1.ics', 'text/calendar; charset=utf-8; method=REQUEST', 'REQUEST'],
      ],
    );
    assert.deepEqual(attachments.map((a) => uidsOf(String(a.content))), [[`${salesFlight.id}@tripcal`], [`${salesHotel.id}@tripcal`]]);
    assert.equal(alternatives.length, 1);
    assert.equal(alternatives[0].contentType, 'text/calendar; charset=utf-8; method=REQUEST');
    assert.equal(alternatives[0].content, attachments[0].content);
  });

  test('the organizer is the sending mailbox and the attendee is the traveler', () => {
    const { attachments } = calendarParts(composeItineraryEmail(created, hanako, mailOptions));
    // Unfold (RFC 5545 §3.1) before looking for the properties.
    const ics = String(attachments[0].content).replace(/\r\n[ \t]/g, '');
    assert.match(ics, /^ORGANIZER;[^\r\n]*:mailto:itinerary@tripcal\.example\r?$/m);
    assert.match(ics, /^ATTENDEE;[^\r\n]*:mailto:hanako\.sato@example\.co\.jp\r?$/m);
    assert.match(ics, /^DTSTAMP:20261125T024500Z\r?$/m);
    assert.ok(ics.includes(`UID:${salesFlight.id}`), 'the flight is in the invitation');
  });

  test('a change that cancels one segment attaches the REQUEST and the CANCEL; REQUEST is the alternative', () => {
    const { attachments, alternatives } = calendarParts(composeItineraryEmail(hotelCancelledTrainAdded, alex, mailOptions));
    assert.deepEqual(
      attachments.map((a) => [a.contentType, methodOf(String(a.content))]),
      [
        ['text/calendar; charset=utf-8; method=REQUEST', 'REQUEST'],
        ['text/calendar; charset=utf-8; method=CANCEL', 'CANCEL'],
      ],
    );
    assert.equal(alternatives.length, 1);
    assert.equal(methodOf(String(alternatives[0].content)), 'REQUEST');
  });

  test('a cancelled trip: a CANCEL per segment; the first is the alternative', () => {
    const { attachments, alternatives } = calendarParts(composeItineraryEmail(tripCancelled, alex, mailOptions));
    assert.deepEqual(attachments.map((a) => a.contentType), ['text/calendar; charset=utf-8; method=CANCEL', 'text/calendar; charset=utf-8; method=CANCEL']);
    // The moved flight now leaves after the hotel's check-in: travel order puts the hotel first.
    assert.deepEqual(attachments.map((a) => uidsOf(String(a.content))), [[`${salesHotel.id}@tripcal`], [`${salesFlight.id}@tripcal`]]);
    assert.equal(alternatives[0].contentType, 'text/calendar; charset=utf-8; method=CANCEL');
    assert.equal(alternatives[0].content, attachments[0].content);
  });
});

describe('itinerary email: reservations machines can read (schema.org JSON-LD)', () => {
  function jsonLd(html: string): Array<Record<string, any>> {
    const m = /<script type="application\/ld\+json">([^<]*)<\/script>/.exec(html);
    assert.ok(m, 'the HTML carries a JSON-LD script');
    return JSON.parse(m[1]);
  }

  test('a flight and a hotel: FlightReservation and LodgingReservation with the numbers the calendar event shows', () => {
    const message = composeItineraryEmail(created, hanako, mailOptions);
    const [flight, hotel] = jsonLd(String(message.html));
    assert.equal(flight['@type'], 'FlightReservation');
    assert.equal(flight.reservationNumber, 'QX7P2L');
    assert.equal(flight.reservationStatus, 'https://schema.org/ReservationConfirmed');
    assert.deepEqual(flight.underName, { '@type': 'Person', name: '佐藤 花子', email: 'hanako.sato@example.co.jp' });
    assert.deepEqual(flight.reservationFor.airline, { '@type': 'Airline', iataCode: 'NH' });
    assert.equal(flight.reservationFor.flightNumber, '6');
    assert.equal(flight.reservationFor.departureTime, '2026-12-01T22:55:00+09:00');
    assert.equal(flight.reservationFor.arrivalTime, '2026-12-01T16:50:00-08:00');
    assert.equal(flight.airplaneSeat, '23K');
    assert.equal(hotel['@type'], 'LodgingReservation');
    assert.equal(hotel.reservationNumber, 'H-98765');
    assert.equal(hotel.reservationFor.name, 'Hotel <Sunset> & Spa', 'escaped for the script element, intact once parsed');
    assert.equal(hotel.checkinTime, '2026-12-01T15:00:00-08:00');
    assert.equal(hotel.checkoutTime, '2026-12-04T11:00:00-08:00');
    // The same numbers are in the calendar invitation's description.
    const ics = String(((message.attachments ?? []) as Attachment[])[0].content);
    assert.match(ics.replace(/\r\n /g, ''), /QX7P2L/);
    assert.doesNotMatch(String(message.html), /<script[^>]*>[^<]*<Sunset>/);
  });

  test('a train added, a hotel cancelled: TrainReservation, and the hotel as ReservationCancelled', () => {
    const reservations = jsonLd(String(composeItineraryEmail(hotelCancelledTrainAdded, alex, mailOptions).html));
    const train = reservations.find((r) => r['@type'] === 'TrainReservation')!;
    assert.equal(train.reservationNumber, 'AMT-555');
    assert.equal(train.reservationFor.trainNumber, '777');
    assert.deepEqual(train.reservedTicket.ticketedSeat, { '@type': 'Seat', seatSection: '3', seatNumber: '12A' });
    const hotel = reservations.find((r) => r['@type'] === 'LodgingReservation')!;
    assert.equal(hotel.reservationStatus, 'https://schema.org/ReservationCancelled');
  });

  test('a car rental: RentalCarReservation with its counters and times', () => {
    const rental: TripChange = { ...created, trip: { ...created.trip, segments: [carFixture] }, changedSegmentIds: [carFixture.id] };
    const [car] = jsonLd(String(composeItineraryEmail(rental, alex, mailOptions).html));
    assert.equal(car['@type'], 'RentalCarReservation');
    assert.equal(car.reservationNumber, 'K5583920114');
    assert.equal(car.reservationFor.rentalCompany.name, 'Hertz');
    assert.equal(car.pickupLocation.name, 'Los Angeles International Airport');
    assert.equal(car.pickupTime, '2026-06-10T09:00:00-07:00');
    assert.equal(car.dropoffTime, '2026-06-12T18:00:00-07:00');
  });
});
