// createCalDavProvider: the CalendarProvider for CalDAV servers (iCloud, Fastmail, Nextcloud,
// Radicale, Xandikos…), on tsdav. A user connects with the server's address, a username and a
// password (iCloud requires an app-specific one); the account's calendars are found by RFC 6764
// discovery (/.well-known/caldav) and RFC 5397/4791 properties, and the user picks one. The
// password is the connection's sealed credential.
//
// Each segment is one calendar object, named after its key, with the emailed .ics's UID. Writes
// are guarded by ETags: a create is `If-None-Match: *` (a create whose answer was lost finds its
// object there and changes it instead), a change or delete is `If-Match` with the ETag just read;
// a 412 (the traveler changed the event in between) reads it again and retries, so the traveler's
// own edits to properties the booking does not own are kept.
import { createObject, deleteObject, fetchCalendars, fetchHomeUrl, fetchPrincipalUrl, propfind, serviceDiscovery, updateObject } from 'tsdav';
import type { CalendarAccount, WriteOp, WriteResult } from '../account.ts';
import type { CalendarChoice, KeepAlive, PasswordConnect, StoredAccount } from '../connection.ts';
import { CalendarProviderError } from '../errors.ts';
import type { CalendarProvider } from '../provider.ts';
import { mergeEventIcs, renderEventIcs } from './event-ics.ts';

export interface CalDavProviderOptions {
  /** How long one request may take. */
  timeoutMs?: number;
  now?: () => Date;
}

/** Writes in flight per calendar at once: a CalDAV server is often one small process. */
const CONCURRENCY = 4;
/** A 412 means the object changed between our read and our write: read it again, this many times. */
const PRECONDITION_RETRIES = 3;

const basicAuth = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

/** What a server's status means for the whole account or one write. */
function statusError(status: number, what: string, retryAfter?: string | null): CalendarProviderError {
  if (status === 401 || status === 403) return new CalendarProviderError('auth_lost', `${what}: the server refused the username and password (${status})`, { providerCode: `caldav_${status}` });
  if (status === 429) return new CalendarProviderError('throttled', `${what}: too many requests`, { providerCode: 'caldav_429', retryAfterMs: retryAfterMs(retryAfter) });
  if (status >= 500) return new CalendarProviderError('temporary', `${what}: the server answered ${status}`, { providerCode: `caldav_${status}`, retryAfterMs: retryAfterMs(retryAfter) });
  if (status === 404 || status === 410) return new CalendarProviderError('not_found', `${what}: not found (${status})`, { providerCode: `caldav_${status}` });
  return new CalendarProviderError('invalid', `${what}: the server refused it (${status})`, { providerCode: `caldav_${status}` });
}

function retryAfterMs(header: string | null | undefined): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return seconds * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.max(0, at - Date.now()) : undefined;
}

/** A request that never reached an answer (refused, reset, timed out, no such host). */
function unreachable(what: string, error: unknown): CalendarProviderError {
  const cause = (error as { cause?: { code?: string } })?.cause?.code ?? (error as { name?: string })?.name ?? 'error';
  return new CalendarProviderError('temporary', `${what}: the server could not be reached (${cause})`, { providerCode: 'caldav_unreachable' });
}

async function attempt<T>(what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CalendarProviderError) throw error;
    throw unreachable(what, error);
  }
}

export function createCalDavProvider(options: CalDavProviderOptions = {}): CalendarProvider<PasswordConnect> {
  const timeoutMs = options.timeoutMs ?? 15_000;
  const now = options.now ?? (() => new Date());
  const fetchOptions = () => ({ signal: AbortSignal.timeout(timeoutMs) });

  const connect: PasswordConnect = {
    kind: 'password',
    async connect({ serverUrl, username, password, calendarId, credentials }) {
      const headers = { authorization: basicAuth(username, password) };
      const account = { serverUrl, accountType: 'caldav' as const, credentials: { username, password } };
      // RFC 6764: /.well-known/caldav on the server's host redirects to the service; a server
      // without it is asked at the address given.
      const rootUrl = await attempt('discovery', () => serviceDiscovery({ account, headers, fetchOptions: fetchOptions() }));
      const [probe] = await attempt('sign-in', () => propfind({ url: rootUrl, props: { 'd:current-user-principal': {} }, depth: '0', headers, fetchOptions: fetchOptions() }));
      if (probe && (probe.status === 401 || probe.status === 403)) throw statusError(probe.status, 'sign-in');
      let calendars: CalendarChoice[];
      try {
        const principalUrl = await fetchPrincipalUrl({ account: { ...account, rootUrl }, headers, fetchOptions: fetchOptions() });
        const homeUrl = await fetchHomeUrl({ account: { ...account, rootUrl, principalUrl }, headers, fetchOptions: fetchOptions() });
        const found = await fetchCalendars({ account: { ...account, rootUrl, principalUrl, homeUrl }, headers, fetchOptions: fetchOptions() });
        calendars = found
          .filter((c) => !c.components || c.components.includes('VEVENT'))
          .map((c) => ({ id: withSlash(new URL(c.url, rootUrl).href), name: typeof c.displayName === 'string' && c.displayName ? c.displayName : decodeURIComponent(new URL(c.url, rootUrl).pathname.split('/').filter(Boolean).pop() ?? c.url) }));
      } catch (error) {
        if (/Invalid credentials/.test(String(error))) throw statusError(401, 'sign-in');
        if (error instanceof TypeError || (error as { name?: string })?.name === 'TimeoutError') throw unreachable('discovery', error);
        throw new CalendarProviderError('invalid', 'The server does not say which calendars the account holds: is this a CalDAV address?', { providerCode: 'caldav_no_calendar_home' });
      }
      if (!calendars.length) throw new CalendarProviderError('not_found', 'The account holds no calendar for events', { providerCode: 'caldav_no_calendar' });
      const chosen = calendarId ? calendars.find((c) => c.id === withSlash(calendarId)) : calendars.length === 1 ? calendars[0] : undefined;
      if (calendarId && !chosen) throw new CalendarProviderError('not_found', 'The chosen calendar is not among the account’s calendars', { providerCode: 'caldav_calendar_not_found' });
      if (!chosen) return { status: 'choose_calendar', calendars };
      await credentials.save(password);
      return {
        status: 'connected',
        account: {
          key: chosen.id, username, name: chosen.name,
          details: { calendarUrl: chosen.id, calendarName: chosen.name, username, serverUrl },
        },
      };
    },
  };

  /** The account's Authorization header: the password opened from the credential each time it is needed. */
  async function authorization(stored: StoredAccount): Promise<string> {
    const password = await stored.credentials.load();
    if (!password) throw new CalendarProviderError('auth_lost', 'No password is stored for this calendar', { providerCode: 'caldav_no_credential' });
    return basicAuth(stored.details.username ?? '', password);
  }

  /** The calendar is still there and the password still opens it; else the whole account fails. */
  async function checkCalendar(calendarUrl: string, auth: string): Promise<void> {
    const [answer] = await attempt('calendar', () => propfind({ url: calendarUrl, props: { 'd:resourcetype': {} }, depth: '0', headers: { authorization: auth }, fetchOptions: fetchOptions() }));
    if (!answer || answer.ok) return;
    if (answer.status === 404 || answer.status === 410) {
      // Deleted by the traveler (or renamed): the connection cannot go on; they connect again and choose one.
      throw new CalendarProviderError('auth_lost', 'The calendar no longer exists on the server', { providerCode: 'caldav_calendar_gone' });
    }
    throw statusError(answer.status, 'calendar');
  }

  const keepAlive: KeepAlive = {
    async refresh(stored) {
      await checkCalendar(stored.details.calendarUrl!, await authorization(stored));
    },
    // Nothing is held at the server for us: the password is dropped with the connection's credential.
    async forget() {},
  };

  function account(stored: StoredAccount): CalendarAccount {
    const calendarUrl = stored.details.calendarUrl!;
    const objectUrl = (key: string) => new URL(`${encodeURIComponent(key)}.ics`, calendarUrl).href;

    async function get(url: string, auth: string): Promise<{ status: number; etag: string | null; text: string }> {
      const res = await attempt('read', () => fetch(url, { headers: { authorization: auth }, ...fetchOptions() }));
      const text = await res.text();
      return { status: res.status, etag: res.headers.get('etag'), text };
    }

    /** Changes the object at `url` to the event: read, merge, write with If-Match; a 412 reads again. */
    async function change(url: string, op: Extract<WriteOp, { kind: 'create' | 'update' }>, auth: string): Promise<WriteResult> {
      for (let round = 0; ; round++) {
        const current = await get(url, auth);
        if (current.status === 404 || current.status === 410) {
          if (op.kind === 'create') return put(op, auth);
          return { key: op.key, kind: op.kind, ok: false, error: statusError(current.status, 'update') };
        }
        if (current.status !== 200) throw statusError(current.status, 'read');
        const res = await attempt('update', () => updateObject({ url, data: mergeEventIcs(current.text, op.event, now()), etag: current.etag ?? undefined, headers: { authorization: auth, 'content-type': 'text/calendar; charset=utf-8' }, fetchOptions: fetchOptions() }));
        if (res.ok) return { key: op.key, kind: op.kind, ok: true, eventId: url };
        if (res.status === 412 && round < PRECONDITION_RETRIES) continue;
        throw statusError(res.status, 'update', res.headers.get('retry-after'));
      }
    }

    /** Creates the object; if one is there already (a create whose answer was lost), changes it instead. */
    async function put(op: Extract<WriteOp, { kind: 'create' | 'update' }>, auth: string): Promise<WriteResult> {
      const url = objectUrl(op.key);
      const res = await attempt('create', () => createObject({ url, data: renderEventIcs(op.event, 0, now()), headers: { authorization: auth, 'content-type': 'text/calendar; charset=utf-8', 'if-none-match': '*' }, fetchOptions: fetchOptions() }));
      if (res.ok) return { key: op.key, kind: op.kind, ok: true, eventId: url };
      if (res.status === 412) return change(url, op, auth);
      throw statusError(res.status, 'create', res.headers.get('retry-after'));
    }

    async function remove(op: Extract<WriteOp, { kind: 'delete' }>, auth: string): Promise<WriteResult> {
      for (let round = 0; ; round++) {
        const current = await get(op.eventId, auth);
        if (current.status === 404 || current.status === 410) return { key: op.key, kind: op.kind, ok: false, error: statusError(current.status, 'delete') };
        if (current.status !== 200) throw statusError(current.status, 'read');
        const res = await attempt('delete', () => deleteObject({ url: op.eventId, etag: current.etag ?? undefined, headers: { authorization: auth }, fetchOptions: fetchOptions() }));
        if (res.ok) return { key: op.key, kind: op.kind, ok: true, eventId: op.eventId };
        if (res.status === 412 && round < PRECONDITION_RETRIES) continue;
        if (res.status === 404 || res.status === 410) return { key: op.key, kind: op.kind, ok: false, error: statusError(res.status, 'delete') };
        throw statusError(res.status, 'delete', res.headers.get('retry-after'));
      }
    }

    async function apply(op: WriteOp, auth: string): Promise<WriteResult> {
      try {
        if (op.kind === 'create') return await put(op, auth);
        if (op.kind === 'update') return await change(op.eventId, op, auth);
        return await remove(op, auth);
      } catch (error) {
        if (!(error instanceof CalendarProviderError)) throw error;
        // A refused password fails the whole account; anything else fails this write.
        if (error.code === 'auth_lost') throw error;
        return { key: op.key, kind: op.kind, ok: false, error };
      }
    }

    return {
      async write(ops, writeOptions) {
        if (!ops.length) return [];
        const auth = await authorization(stored);
        await checkCalendar(calendarUrl, auth);
        const results: WriteResult[] = [];
        let next = 0;
        await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ops.length) }, async () => {
          while (next < ops.length) {
            const result = await apply(ops[next++]!, auth);
            results.push(result);
            await writeOptions?.onResult?.(result);
          }
        }));
        return results;
      },
      async findByKeys(keys) {
        const auth = await authorization(stored);
        await checkCalendar(calendarUrl, auth);
        const found = new Map<string, string>();
        for (const key of keys) {
          const url = objectUrl(key);
          const res = await get(url, auth);
          if (res.status === 200) found.set(key, url);
          else if (res.status !== 404 && res.status !== 410) throw statusError(res.status, 'find');
        }
        return found;
      },
    };
  }

  return { id: 'caldav', connect, keepAlive, account };
}
