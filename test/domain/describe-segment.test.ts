import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findAirport } from '../../src/domain/airports.ts';
import {
  describeSegment,
  describeSegmentRows,
  formatFlightNumber,
  formatLocalDate,
} from '../../src/domain/describe-segment.ts';
import * as f from '../fixtures/trips.ts';

describe('findAirport', () => {
  it('finds an airport and its IANA zone in the airport dataset', () => {
    assert.deepEqual(findAirport('HND'), {
      iata: 'HND',
      name: 'Tokyo Haneda International Airport',
      city: 'Tokyo',
      country: 'Japan',
      timeZone: 'Asia/Tokyo',
    });
    assert.equal(findAirport('lax')?.timeZone, 'America/Los_Angeles', 'case-insensitive');
    assert.equal(findAirport('SIN')?.timeZone, 'Asia/Singapore');
  });

  it('returns undefined for an unknown code', () => {
    assert.equal(findAirport('QQQ'), undefined);
    assert.equal(findAirport(''), undefined);
  });
});

describe('describeSegment', () => {
  it('a flight in English: number, route, operating carrier, terminals, local times with zones, seat, cabin, PNR', () => {
    const text = describeSegment(f.laxJfk, 'en');
    assert.equal(text.summary, 'NH 7512 Los Angeles (LAX) → New York (JFK)');
    assert.equal(text.location, 'Los Angeles International Airport (LAX), Terminal 7');
    assert.equal(
      text.description,
      [
        'Flight: NH 7512 Los Angeles (LAX) → New York (JFK)',
        'Operated by: UA',
        'Departure: Mon 1 Jun 2026 21:30 (Pacific Daylight Time), Los Angeles International Airport (LAX), Terminal 7',
        'Arrival: Tue 2 Jun 2026 06:05 (Eastern Daylight Time), John F Kennedy International Airport (JFK), Terminal 7',
        'Seat: 3A',
        'Cabin: First',
        'Record locator: QX7T4M',
      ].join('\n'),
    );
  });

  it('a flight in Japanese', () => {
    const text = describeSegment(f.hndLax, 'ja');
    assert.equal(text.summary, 'NH 6 東京(HND) → ロサンゼルス(LAX)');
    assert.equal(text.location, 'Tokyo Haneda International Airport (HND), ターミナル3');
    assert.equal(
      text.description,
      [
        '便: NH 6 東京(HND) → ロサンゼルス(LAX)',
        '出発: 2026年6月1日(月) 22:55 (日本標準時), Tokyo Haneda International Airport (HND), ターミナル3',
        '到着: 2026年6月1日(月) 17:05 (米国太平洋夏時間), Los Angeles International Airport (LAX), ターミナルB',
        '座席: 7K',
        'クラス: ビジネスクラス',
        '航空会社予約番号: QX7T4M',
      ].join('\n'),
    );
  });

  it('does not repeat the operating carrier when it is the marketing carrier', () => {
    const text = describeSegment({ ...f.hndLax, operatingCarrier: 'nh' }, 'en');
    assert.doesNotMatch(text.description, /Operated by/);
  });

  it('a hotel in both languages: property, address, phone, dates and times, confirmation', () => {
    const en = describeSegment(f.nycHotel, 'en');
    assert.equal(en.summary, 'Hotel: The Lexington Hotel, Autograph Collection');
    assert.equal(
      en.location,
      'The Lexington Hotel, Autograph Collection, 511 Lexington Avenue, New York, NY 10017, United States',
    );
    assert.match(en.description, /^Phone: \+1 212-755-4400$/m);
    assert.match(en.description, /^Check-in: Tue 2 Jun 2026 15:00$/m);
    assert.match(en.description, /^Check-out: Fri 5 Jun 2026 11:00$/m);
    assert.match(en.description, /^Confirmation: 84512937; room: king, non-smoking$/m);

    const ja = describeSegment(f.osakaHotel, 'ja');
    assert.equal(ja.summary, '宿泊: ホテル阪急インターナショナル');
    assert.equal(ja.location, 'ホテル阪急インターナショナル 〒530-0013 大阪府大阪市北区茶屋町19-19');
    assert.equal(
      ja.description,
      [
        'ホテル: ホテル阪急インターナショナル',
        '住所: 〒530-0013 大阪府大阪市北区茶屋町19-19',
        '電話番号: 06-6377-2100',
        'チェックイン: 2026年7月6日(月) 14:00',
        'チェックアウト: 2026年7月8日(水) 12:00',
        '確認番号: HH-558201',
      ].join('\n'),
    );
  });

  it('a car rental in both languages', () => {
    const en = describeSegment(f.laxCar, 'en');
    assert.equal(en.summary, 'Car rental: Hertz (Los Angeles International Airport)');
    assert.match(en.description, /^Pick-up: Wed 10 Jun 2026 09:00 \(Pacific Daylight Time\), Los Angeles International Airport, 9000 Airport Blvd/m);
    assert.match(en.description, /^Drop-off: Fri 12 Jun 2026 18:00 .*San Francisco International Airport/m);
    assert.match(en.description, /^Car type: Toyota Camry or similar \(midsize\)$/m);
    assert.match(en.description, /^Confirmation: K5583920114$/m);

    const ja = describeSegment(f.laxCar, 'ja');
    assert.equal(ja.summary, 'レンタカー: Hertz (Los Angeles International Airport)');
    assert.match(ja.description, /^レンタカー会社: Hertz$/m);
    assert.match(ja.description, /^貸出: 2026年6月10日\(水\) 09:00 \(米国太平洋夏時間\)/m);
    assert.match(ja.description, /^返却: 2026年6月12日\(金\) 18:00/m);
    assert.match(ja.description, /^車種: /m);
    assert.match(ja.description, /^確認番号: K5583920114$/m);
  });

  it('a train in both languages: operator, train, stations, times, car and seat', () => {
    const ja = describeSegment(f.nozomiJa, 'ja');
    assert.equal(ja.summary, 'JR東海 東海道新幹線 のぞみ15号 東京 → 新大阪');
    assert.equal(ja.location, '東京');
    assert.equal(
      ja.description,
      [
        '列車: JR東海 東海道新幹線 のぞみ15号 東京 → 新大阪',
        '出発: 2026年7月6日(月) 09:00 (日本標準時), 東京',
        '到着: 2026年7月6日(月) 11:27 (日本標準時), 新大阪',
        '座席: 7号車 12A番',
        '確認番号: EX予約 2291-0457',
      ].join('\n'),
    );
    const en = describeSegment(f.nozomiEn, 'en');
    assert.match(en.description, /^Seat: Car 7, seat 12A$/m);
    assert.match(en.description, /^Departure: Mon 15 Jun 2026 09:00 \(Japan Standard Time\), Tokyo$/m);
  });

  it('leaves out what the booking does not have', () => {
    const bare = { ...f.itmHnd, seat: undefined, cabin: undefined, recordLocator: undefined };
    const rows = describeSegmentRows(bare, 'en').rows.map((r) => r.label);
    assert.deepEqual(rows, ['Flight', 'Departure', 'Arrival']);
    assert.equal(describeSegment(bare, 'en').location, 'Osaka International Airport (ITM)');
  });

  it('shows the code when the airport is not in the dataset', () => {
    const text = describeSegment({ ...f.hndLax, arrival: { ...f.hndLax.arrival, airport: 'QQQ' } }, 'en');
    assert.equal(text.summary, 'NH 6 Tokyo (HND) → QQQ');
  });
});

describe('formatting helpers', () => {
  it('normalises flight numbers', () => {
    assert.equal(formatFlightNumber('NH', '6'), 'NH 6');
    assert.equal(formatFlightNumber('NH', 'NH6'), 'NH 6');
    assert.equal(formatFlightNumber('nh', 'nh 006'), 'NH 006');
    assert.equal(formatFlightNumber('9C', '8512'), '9C 8512');
  });

  it('formats dates with the weekday in each language', () => {
    assert.equal(formatLocalDate('2026-12-31', 'ja', '23:59'), '2026年12月31日(木) 23:59');
    assert.equal(formatLocalDate('2026-12-31', 'en'), 'Thu 31 Dec 2026');
  });
});
