// Development only (never registered in production): the outbox of itinerary emails with their
// .ics, and changes to a demo booking made the way a booking engine makes them, through the
// booking API with the company's key, so a person can watch the email and the calendar follow.
// Each needs an admin's session, and shows only that admin's company: the emails sent to its
// users, and the demo bookings if it is the demo company.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ParsedMail } from 'mailparser';
import type { SegmentInput, TripChangeInput } from '../domain/booking-schema.ts';
import type { Segment, Trip } from '../domain/types.ts';
import { addDays } from '../domain/zoned-time.ts';
import { hashCredential } from '../store/company-credentials.ts';
import type { Db, Store } from '../store/database.ts';
import { listUsers } from '../store/organisations.ts';
import type { OutboxEmail } from './api-types.ts';
import { HttpError } from './errors.ts';
import { requireAdmin } from './session.ts';

/** The company of the demo key, without counting it as a use. */
async function organisationOfKey(db: Db, key: string): Promise<string | undefined> {
  return (await db.selectFrom('api_keys').select('organisation_id').where('key_hash', '=', hashCredential(key)).where('revoked_at', 'is', null).executeTakeFirst())?.organisation_id;
}

export interface DevRoutesOptions {
  /** Where the outbox transport writes `.eml` files (`$DATA_DIR/outbox`). */
  outboxDir: string;
  /** The booking API key of the demo company; changes go through /api/v1 with it. */
  bookingApiKey: string;
}

function addresses(a: ParsedMail['to']): string[] {
  if (!a) return [];
  return (Array.isArray(a) ? a : [a]).flatMap((x) => x.value.map((v) => (v.address ?? '').toLowerCase()));
}


const EML = /^[^/\\]+\.eml$/;

async function parseEml(file: string): Promise<ParsedMail> {
  // Loaded when a developer first opens the outbox: the development pages are off in production,
  // and a server that never shows them need not load a MIME parser at start.
  const { simpleParser } = await import('mailparser');
  return simpleParser(await readFile(file));
}

/** The text/calendar alternative of an invitation has no file name: call it what it is. */
function partName(a: ParsedMail['attachments'][number], index: number): string {
  if (a.filename) return a.filename;
  return a.contentType === 'text/calendar' ? `calendar-part-${index}.ics` : `attachment-${index}`;
}

function addressText(a: ParsedMail['to']): string {
  if (!a) return '';
  return (Array.isArray(a) ? a : [a]).map((x) => x.text).join(', ');
}

/** The booking as the booking API takes it again (PUT): the stored segments minus our own fields. */
export function toChangeInput(trip: Trip): TripChangeInput {
  const segments: SegmentInput[] = trip.segments
    .filter((s) => s.status === 'confirmed')
    .map((s) => {
      const { id: _id, status: _status, sequence: _sequence, kind, ...rest } = s;
      return { type: kind, ...rest } as SegmentInput;
    });
  return { ...(trip.title !== undefined ? { title: trip.title } : {}), segments };
}

function shiftLocal(local: string, minutes: number): string {
  // Wall-clock arithmetic on "YYYY-MM-DDTHH:mm": UTC is used only as a calendar, no zone involved.
  const d = new Date(`${local}:00Z`);
  d.setUTCMinutes(d.getUTCMinutes() + minutes);
  return d.toISOString().slice(0, 16);
}

/** A change a booking engine could send: timed segments an hour later, a hotel stay a night longer. */
export function shiftSegment(segment: SegmentInput, minutes: number): SegmentInput {
  switch (segment.type) {
    case 'flight':
    case 'rail':
      return { ...segment, departure: { ...segment.departure, local: shiftLocal(segment.departure.local, minutes) }, arrival: { ...segment.arrival, local: shiftLocal(segment.arrival.local, minutes) } } as SegmentInput;
    case 'car':
      return { ...segment, pickUp: { ...segment.pickUp, local: shiftLocal(segment.pickUp.local, minutes) }, dropOff: { ...segment.dropOff, local: shiftLocal(segment.dropOff.local, minutes) } };
    case 'hotel':
      return { ...segment, checkOut: { ...segment.checkOut, date: addDays(segment.checkOut.date, Math.max(1, Math.round(minutes / 1440))) } };
  }
}

export async function devRoutes(app: FastifyInstance, opts: DevRoutesOptions & { store: Store; now?: (() => Date) | undefined }): Promise<void> {
  const outbox = path.resolve(opts.outboxDir);
  const auth = { authorization: `Bearer ${opts.bookingApiKey}` };
  const db = opts.store.db;
  const now = opts.now ?? (() => new Date());

  const emlPath = (file: string) => {
    if (!EML.test(file)) return null;
    return path.join(outbox, file);
  };

  /** The admin's company's user emails: an email of the outbox is shown if it went to one of them. */
  const companyAddresses = async (request: FastifyRequest) => {
    const admin = await requireAdmin(db, request, now());
    return new Set((await listUsers(db, admin.organisationId)).map((u) => u.email.toLowerCase()));
  };
  const ofCompany = (mail: ParsedMail, company: Set<string>) => addresses(mail.to).some((a) => company.has(a));
  /** The email, parsed, if it went to the admin's company. */
  const companyEmail = async (request: FastifyRequest, name: string) => {
    const company = await companyAddresses(request);
    const file = emlPath(name);
    const mail = file ? await parseEml(file).catch(() => null) : null;
    return mail && ofCompany(mail, company) ? { file: file!, mail } : null;
  };

  // Public: the web app asks it to know whether to show the development pages, and the log-in
  // page whether it runs the demo (whose password it then shows).
  app.get('/dev/api/info', async () => ({ dev: true, demo: (await organisationOfKey(db, opts.bookingApiKey)) !== undefined }));

  app.get('/dev/api/outbox', async (request) => {
    const company = await companyAddresses(request);
    const names = (await readdir(outbox).catch(() => [] as string[])).filter((n) => EML.test(n) && !n.startsWith('.'));
    const emails: Array<OutboxEmail & { mtime: number }> = [];
    for (const name of names) {
      const file = path.join(outbox, name);
      try {
        const [mail, st] = await Promise.all([parseEml(file), stat(file)]);
        if (!ofCompany(mail, company)) continue;
        emails.push({
          file: name,
          subject: mail.subject ?? '',
          to: addressText(mail.to),
          date: mail.date ? mail.date.toISOString() : null,
          attachments: mail.attachments.map((a, index) => ({ index, filename: partName(a, index), contentType: a.contentType, size: a.size })),
          mtime: st.mtimeMs,
        });
      } catch {
        // A file being renamed into place as we read is skipped; it shows on the next look.
      }
    }
    emails.sort((a, b) => b.mtime - a.mtime);
    return { emails: emails.map(({ mtime: _m, ...e }) => e) };
  });

  app.get<{ Params: { file: string } }>('/dev/api/outbox/:file', async (request, reply) => {
    const found = await companyEmail(request, request.params.file);
    const body = found ? await readFile(found.file).catch(() => null) : null;
    if (!body) return reply.code(404).send({ error: 'not_found', message: 'no such email in the outbox' });
    return reply.type('message/rfc822').header('content-disposition', `attachment; filename="${request.params.file}"`).send(body);
  });

  app.get<{ Params: { file: string; index: string } }>('/dev/api/outbox/:file/attachments/:index', async (request, reply) => {
    const found = await companyEmail(request, request.params.file);
    const attachment = found?.mail.attachments[Number(request.params.index)];
    if (!attachment) return reply.code(404).send({ error: 'not_found', message: 'no such attachment' });
    const filename = partName(attachment, Number(request.params.index)).replace(/["\r\n]/g, '');
    return reply
      .type(attachment.contentType)
      .header('content-disposition', `attachment; filename="${encodeURIComponent(filename)}"; filename*=UTF-8''${encodeURIComponent(filename)}`)
      .send(attachment.content);
  });

  // The demo bookings are the demo company's: only its admins change them.
  app.addHook('preHandler', async (request) => {
    if (!request.url.startsWith('/dev/api/bookings/')) return;
    const admin = await requireAdmin(db, request, now());
    if ((await organisationOfKey(db, opts.bookingApiKey)) !== admin.organisationId) throw new HttpError(404, 'not_found', 'the demo bookings are not your company\'s');
  });

  const bookingApi = async (reply: FastifyReply, method: 'GET' | 'POST' | 'PUT', url: string, payload?: unknown) => {
    const res = await app.inject({ method, url, headers: { ...auth, ...(payload ? { 'content-type': 'application/json' } : {}) }, ...(payload ? { payload: JSON.stringify(payload) } : {}) });
    return reply.code(res.statusCode).type('application/json; charset=utf-8').send(res.body);
  };
  const tripUrl = (ref: string) => `/api/v1/trips/${encodeURIComponent(ref)}`;

  app.get<{ Params: { ref: string } }>('/dev/api/bookings/:ref', async (request, reply) => bookingApi(reply, 'GET', tripUrl(request.params.ref)));

  app.post<{ Params: { ref: string } }>('/dev/api/bookings/:ref/cancel', async (request, reply) => bookingApi(reply, 'POST', `${tripUrl(request.params.ref)}/cancel`));

  app.post<{ Params: { ref: string; segmentRef: string } }>('/dev/api/bookings/:ref/segments/:segmentRef/cancel', async (request, reply) =>
    bookingApi(reply, 'POST', `${tripUrl(request.params.ref)}/segments/${encodeURIComponent(request.params.segmentRef)}/cancel`),
  );

  app.post<{ Params: { ref: string; segmentRef: string }; Body: { minutes?: number } | undefined }>('/dev/api/bookings/:ref/segments/:segmentRef/shift', async (request, reply) => {
    const current = await app.inject({ method: 'GET', url: tripUrl(request.params.ref), headers: auth });
    if (current.statusCode !== 200) return reply.code(current.statusCode).type('application/json; charset=utf-8').send(current.body);
    const trip = (current.json() as { trip: Trip }).trip;
    const change = toChangeInput(trip);
    const minutes = typeof request.body?.minutes === 'number' ? request.body.minutes : 60;
    const target = trip.segments.find((s: Segment) => s.ref === request.params.segmentRef && s.status === 'confirmed');
    if (!target) return reply.code(404).send({ error: 'segment_not_found', message: `no confirmed segment '${request.params.segmentRef}'` });
    change.segments = change.segments.map((s) => (s.ref === target.ref ? shiftSegment(s, minutes) : s));
    return bookingApi(reply, 'PUT', tripUrl(request.params.ref), change);
  });
}
