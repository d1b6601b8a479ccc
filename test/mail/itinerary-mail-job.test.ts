// The itinerary email goes out for every booking change, through the pg-boss job, over real SMTP,
// and survives failures: an SMTP server that is down, and a process killed before sending.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { simpleParser } from 'mailparser';
import { startItineraryMailWorker } from '../../src/mail/itinerary-mail-job.ts';
import { createMailTransport } from '../../src/mail/transport.ts';
import { bookings } from '../../src/store/bookings.ts';
import { openStore, QUEUES, type Store } from '../../src/store/database.ts';
import { createOrganisation, createUser } from '../../src/store/organisations.ts';
import { flightHndLax, hotelLa, mailOptions, tripInput } from '../fixtures/trips.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';

const { from } = mailOptions;
const creds = { user: 'tripcal', pass: 's3cret-smtp-pass' };

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function withWorker(store: Store, sink: SmtpSink, fn: () => Promise<void>, smtpUrl = sink.url()) {
  const transport = createMailTransport({ smtpUrl, outboxDir: os.tmpdir() });
  const stop = await startItineraryMailWorker({ store, transport, from, publicUrl: 'http://localhost:3000', pollingIntervalSeconds: 0.5, log: () => {} });
  try {
    await fn();
  } finally {
    await stop();
    transport.close();
  }
}

const calendarParts = (raw: Buffer) => {
  const text = raw.toString('utf8');
  return [...text.matchAll(/Content-Type: text\/calendar;[^\r\n]*method=(\w+)/gi)].map((m) => m[1]);
};

describe('itinerary mail job', () => {
  const cleanup: (() => Promise<void>)[] = [];
  after(async () => {
    for (const fn of cleanup.reverse()) await fn();
  });

  test('each booking change sends the traveler one email over SMTP, with its calendar', async () => {
    const sink = await startSmtpSink(creds);
    cleanup.push(() => sink.close());
    const store = await openStore({ retryDelaySeconds: 1 });
    cleanup.push(() => store.close());
    const org = await createOrganisation(store.db, 'Sakura Trading');
    await createUser(store.db, org.id, { email: 'taro@example.com', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
    const service = bookings(store);

    await withWorker(store, sink, async () => {
      await service.create(org.id, tripInput('taro@example.com'));
      await until('the booking email', () => sink.received.length === 1 || undefined);
      await service.change(org.id, 'OBT-1001', { segments: [{ ...flightHndLax, seat: '1A' }, hotelLa] });
      await until('the change email', () => sink.received.length === 2 || undefined);
      await service.cancel(org.id, 'OBT-1001');
      await until('the cancellation email', () => sink.received.length === 3 || undefined);
    });

    const [created, changed, cancelled] = await Promise.all(sink.received.map((m) => simpleParser(m.raw)));
    assert.deepEqual(sink.received.map((m) => m.to), [['taro@example.com'], ['taro@example.com'], ['taro@example.com']]);
    assert.match(created.subject ?? '', /OBT-1001/);
    assert.match(created.text ?? '', /山田 太郎/);
    // The calendar part's METHOD matches its MIME method= parameter, in every email.
    for (const [mail, raw, method] of [[created, sink.received[0].raw, 'REQUEST'], [changed, sink.received[1].raw, 'REQUEST'], [cancelled, sink.received[2].raw, 'CANCEL']] as const) {
      const ics = mail.attachments.find((a) => a.contentType === 'text/calendar');
      assert.ok(ics, 'an .ics attachment');
      assert.match(ics.content.toString('utf8'), new RegExp(`METHOD:${method}\\r\\n`));
      assert.ok(calendarParts(raw).every((m) => m === method), `every text/calendar part says method=${method}`);
    }
    // The change kept the UIDs and raised the flight's SEQUENCE.
    const uids = (m: typeof created) => [...m.attachments[0].content.toString('utf8').matchAll(/^UID:(.+)$/gm)].map((x) => x[1].trim()).sort();
    assert.deepEqual(uids(changed), uids(created));
    assert.match(changed.attachments[0].content.toString('utf8'), /SEQUENCE:1/);
  });

  test('a mail job run again after its email went out (its completion lost) does not send it again', async () => {
    const sink = await startSmtpSink(creds);
    cleanup.push(() => sink.close());
    const store = await openStore({ retryDelaySeconds: 1 });
    cleanup.push(() => store.close());
    const org = await createOrganisation(store.db, 'Sakura Trading');
    await createUser(store.db, org.id, { email: 'taro@example.com', displayName: '山田 太郎', role: 'traveler', locale: 'ja', timeZone: 'Asia/Tokyo' });
    const { change } = await bookings(store).create(org.id, tripInput('taro@example.com'));
    await withWorker(store, sink, async () => {
      await until('the email', () => sink.received.length === 1 || undefined);
      // The same change's job once more, as pg-boss runs it when it never heard the job complete.
      await store.enqueue(undefined, QUEUES.itineraryMail, { changeId: change!.id });
      await until('both jobs done', async () => ((await store.boss.findJobs(QUEUES.itineraryMail)).every((j) => j.state === 'completed') ? true : undefined));
    });
    assert.equal(sink.received.length, 1);
  });

  test('an SMTP server that is down delays the email; the retried job sends it once', async () => {
    const store = await openStore({ retryDelaySeconds: 1 });
    cleanup.push(() => store.close());
    const org = await createOrganisation(store.db, 'Sakura Trading');
    await createUser(store.db, org.id, { email: 'emily@example.com', displayName: 'Emily Clark', role: 'traveler', locale: 'en', timeZone: 'America/Los_Angeles' });
    await bookings(store).create(org.id, tripInput('emily@example.com'));

    // Nothing listens on this port yet: the first attempts fail with a refused connection.
    const sink = await startSmtpSink(creds);
    const deadUrl = sink.url();
    await sink.close();
    const sendErrors: string[] = [];
    await withWorker(store, sink, async () => {
      await until('a failed attempt', async () => {
        const [job] = await store.boss.findJobs(QUEUES.itineraryMail);
        if (job && job.retryCount > 0) return true;
        return undefined;
      });
    }, deadUrl);

    const revived = await startSmtpSink(creds);
    cleanup.push(() => revived.close());
    await withWorker(store, revived, async () => {
      await until('the delayed email', () => revived.received.length === 1 || undefined);
      await new Promise((r) => setTimeout(r, 1500));
    });
    assert.equal(revived.received.length, 1);
    const mail = await simpleParser(revived.received[0].raw);
    assert.match(mail.subject ?? '', /OBT-1001/);
    assert.deepEqual(sendErrors, []);
  });

  test('50 bookings made at once all get their email, each exactly once; one the server defers is retried without failing or repeating the others', async () => {
    // With one email per polling interval (the worker until now) these 50 took 25 s; now a second or two.
    const greylisted = 'traveler-17@example.com';
    const sink = await startSmtpSink(creds, { deferRecipientsOnce: [greylisted] });
    cleanup.push(() => sink.close());
    const store = await openStore({ retryDelaySeconds: 1 });
    cleanup.push(() => store.close());
    const org = await createOrganisation(store.db, 'Sakura Trading');
    const emails = Array.from({ length: 50 }, (_, i) => `traveler-${i}@example.com`);
    for (const [i, email] of emails.entries()) {
      await createUser(store.db, org.id, { email, displayName: `Traveler ${i}`, role: 'traveler', locale: i % 2 ? 'ja' : 'en', timeZone: 'Asia/Tokyo' });
    }
    const service = bookings(store);

    await withWorker(store, sink, async () => {
      await Promise.all(emails.map((email, i) => service.create(org.id, tripInput(email, { bookingRef: `OBT-${2000 + i}` }))));
      await until('every booking email', () => sink.received.length >= emails.length || undefined, 60_000);
      // Every job settled: nothing left to retry, so nothing more will arrive.
      await until('every job completed', async () => {
        const jobs = await store.boss.findJobs(QUEUES.itineraryMail);
        return (jobs.length === emails.length && jobs.every((j) => j.state === 'completed')) || undefined;
      }, 60_000);
    });

    // Each traveler got one email, for their own booking, with its own Message-ID.
    const perRecipient = new Map<string, number>();
    for (const m of sink.received) for (const to of m.to) perRecipient.set(to, (perRecipient.get(to) ?? 0) + 1);
    assert.deepEqual([...perRecipient.keys()].sort(), [...emails].sort());
    assert.ok([...perRecipient.values()].every((n) => n === 1), 'one email per traveler');
    const mails = await Promise.all(sink.received.map((m) => simpleParser(m.raw)));
    assert.equal(new Set(mails.map((m) => m.messageId)).size, emails.length);
    for (const [i, mail] of mails.entries()) {
      const ref = `OBT-${2000 + emails.indexOf(sink.received[i].to[0])}`;
      assert.match(mail.subject ?? '', new RegExp(ref));
    }
    // The greylisted send failed its own job alone, which the queue retried once; the jobs sent
    // beside it completed on their first attempt.
    assert.deepEqual(sink.deferred, [greylisted]);
    const jobs = await store.boss.findJobs<{ changeId: string }>(QUEUES.itineraryMail);
    const retried = jobs.filter((j) => j.retryCount > 0);
    assert.equal(retried.length, 1);
    const change = await store.db.selectFrom('trip_changes').innerJoin('trips', 'trips.id', 'trip_changes.trip_id').select('trips.booking_ref').where('trip_changes.id', '=', retried[0].data.changeId).executeTakeFirstOrThrow();
    assert.equal(change.booking_ref, `OBT-${2000 + emails.indexOf(greylisted)}`);
    assert.equal(retried[0].retryCount, 1);
    // The SMTP server saw a few connections, never a flood: at most the worker's concurrency (8).
    assert.ok(sink.maxOpenConnections <= 8, `${sink.maxOpenConnections} connections at once`);
  });

  test('sends held by a slow mail server hold back no others: the one connection left sends the rest', async () => {
    // 7 of the worker's 8 sends wait on the server's answer; the 8th slot carries all other emails.
    // (Handed out in batches that are replaced only once settled, 7 held sends blocked every batch.)
    const slow = Array.from({ length: 7 }, (_, i) => `slow-${i}@example.com`);
    const others = Array.from({ length: 12 }, (_, i) => `prompt-${i}@example.com`);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const sink = await startSmtpSink(creds, { beforeAccept: (to) => (to.some((a) => slow.includes(a)) ? released : Promise.resolve()) });
    cleanup.push(() => sink.close());
    cleanup.push(async () => release());
    const store = await openStore({ retryDelaySeconds: 1 });
    cleanup.push(() => store.close());
    const org = await createOrganisation(store.db, 'Sakura Trading');
    for (const [i, email] of [...slow, ...others].entries()) {
      await createUser(store.db, org.id, { email, displayName: `Traveler ${i}`, role: 'traveler', locale: 'en', timeZone: 'Asia/Tokyo' });
    }
    const service = bookings(store);
    const delivered = (list: string[]) => sink.received.filter((m) => m.to.some((a) => list.includes(a))).length;

    await withWorker(store, sink, async () => {
      for (const [i, email] of slow.entries()) await service.create(org.id, tripInput(email, { bookingRef: `OBT-SLOW-${i}` }));
      await until('the slow server holding 7 sends', () => delivered(slow) === slow.length || undefined);
      for (const [i, email] of others.entries()) await service.create(org.id, tripInput(email, { bookingRef: `OBT-PROMPT-${i}` }));
      await until('every other email delivered while the 7 are held', () => delivered(others) === others.length || undefined);
      release();
      await until('every job completed', async () => {
        const jobs = await store.boss.findJobs(QUEUES.itineraryMail);
        return (jobs.length === slow.length + others.length && jobs.every((j) => j.state === 'completed')) || undefined;
      });
    });
    // Each traveler got one email.
    assert.equal(sink.received.length, slow.length + others.length);
  });

  test('a message the server refuses for good is dropped, not retried, and the others are sent', async () => {
    const sink = await startSmtpSink(creds, { rejectRecipients: ['gone@example.com'] });
    cleanup.push(() => sink.close());
    const store = await openStore({ retryDelaySeconds: 1 });
    cleanup.push(() => store.close());
    const org = await createOrganisation(store.db, 'Sakura Trading');
    const emails = ['gone@example.com', 'taro@example.com', 'emily@example.com'];
    for (const email of emails) {
      await createUser(store.db, org.id, { email, displayName: email, role: 'traveler', locale: 'en', timeZone: 'Asia/Tokyo' });
    }
    const service = bookings(store);
    const logged: string[] = [];
    const transport = createMailTransport({ smtpUrl: sink.url(), outboxDir: os.tmpdir() });
    const stop = await startItineraryMailWorker({ store, transport, from, publicUrl: 'http://localhost:3000', pollingIntervalSeconds: 0.5, log: (l) => logged.push(l) });
    try {
      for (const [i, email] of emails.entries()) await service.create(org.id, tripInput(email, { bookingRef: `OBT-${3000 + i}` }));
      await until('every job completed', async () => {
        const jobs = await store.boss.findJobs(QUEUES.itineraryMail);
        return (jobs.length === emails.length && jobs.every((j) => j.state === 'completed')) || undefined;
      });
    } finally {
      await stop();
      transport.close();
    }
    assert.deepEqual(sink.received.map((m) => m.to[0]).sort(), ['emily@example.com', 'taro@example.com']);
    const jobs = await store.boss.findJobs(QUEUES.itineraryMail);
    assert.ok(jobs.every((j) => j.retryCount === 0), 'nothing retried');
    assert.equal(logged.filter((l) => /refused permanently/.test(l)).length, 1);
  });

  test('a process killed right after the booking is written still sends the email after a restart', async () => {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'tripcal-crash-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const child = spawn(process.execPath, [path.join(import.meta.dirname, '../support/book-then-crash.ts'), dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    const signal = await new Promise((resolve) => child.on('exit', (_code, sig) => resolve(sig)));
    assert.equal(signal, 'SIGKILL');
    assert.match(out, /booked/);

    const sink = await startSmtpSink(creds);
    cleanup.push(() => sink.close());
    const store = await openStore({ dataDir, retryDelaySeconds: 1 });
    try {
      await withWorker(store, sink, async () => {
        await until('the email of the booking made before the crash', () => sink.received.length === 1 || undefined);
      });
    } finally {
      await store.close();
    }
    const mail = await simpleParser(sink.received[0].raw);
    assert.match(mail.subject ?? '', /OBT-1001/);
    assert.deepEqual(sink.received[0].to, ['taro@example.com']);
  });
});
