// Real CalDAV servers for the tests: Debian's Radicale (with htpasswd accounts, so a wrong password
// is refused) and Xandikos (no authentication of its own), installed here when missing as the
// browser tests install Chromium, each started on a free port with a fresh folder and stopped after.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from './outlook-world.ts';

const BINARIES = { radicale: '/usr/bin/radicale', xandikos: '/usr/bin/xandikos' } as const;

/** Installs Radicale and Xandikos from Debian when missing. Throws, failing the tests, when that is impossible. */
export function ensureCalDavServers(): void {
  const missing = Object.entries(BINARIES).filter(([, bin]) => !existsSync(bin)).map(([pkg]) => pkg);
  if (!missing.length) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env, timeout: 600_000 });
  try {
    install();
  } catch {
    // The package lists may be missing or stale on a fresh machine.
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300_000 });
    install();
  }
  for (const [pkg, bin] of Object.entries(BINARIES)) if (!existsSync(bin)) throw new Error(`apt-get install ${pkg} ran but ${bin} is still missing`);
}

export interface CalDavServer {
  kind: 'radicale' | 'xandikos';
  /** What a user types as the server's address. */
  url: string;
  /** A calendar collection's URL for a user. */
  calendarUrl(user: string, name: string): string;
  /** Makes a calendar (MKCALENDAR) as the user. */
  makeCalendar(user: string, password: string, name: string, displayName: string): Promise<string>;
  /** Deletes a collection or an object, as the user. */
  remove(url: string, user: string, password: string): Promise<number>;
  output(): string;
  stop(): Promise<void>;
}

const auth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function waitForPort(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`CalDAV server exited (${child.exitCode}): ${output()}`);
    try {
      await fetch(url, { method: 'OPTIONS' });
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`CalDAV server at ${url} did not answer in 20 s: ${output()}`);
}

async function start(kind: CalDavServer['kind'], args: (port: number, dir: string) => string[], base: (url: string, user: string) => string): Promise<CalDavServer> {
  ensureCalDavServers();
  const dir = mkdtempSync(path.join(tmpdir(), `tripcal-${kind}-`));
  const port = await freePort();
  let log = '';
  const child = spawn(BINARIES[kind], args(port, dir), { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.on('data', (d) => (log += d));
  child.stderr!.on('data', (d) => (log += d));
  const url = `http://127.0.0.1:${port}`;
  await waitForPort(url, child, () => log);
  const calendarUrl = (user: string, name: string) => `${base(url, user)}${name}/`;
  return {
    kind, url, calendarUrl,
    async makeCalendar(user, password, name, displayName) {
      const target = calendarUrl(user, name);
      const res = await fetch(target, {
        method: 'MKCALENDAR',
        headers: { authorization: auth(user, password), 'content-type': 'application/xml; charset=utf-8' },
        body: `<?xml version="1.0" encoding="utf-8"?><c:mkcalendar xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:set><d:prop><d:displayname>${displayName}</d:displayname><c:supported-calendar-component-set><c:comp name="VEVENT"/></c:supported-calendar-component-set></d:prop></d:set></c:mkcalendar>`,
      });
      if (res.status !== 201) throw new Error(`MKCALENDAR ${target}: ${res.status} ${await res.text()}`);
      return target;
    },
    async remove(target, user, password) {
      return (await fetch(target, { method: 'DELETE', headers: { authorization: auth(user, password) } })).status;
    },
    output: () => log,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Radicale with these accounts (htpasswd, plain), each seeing only their own collections. */
export function startRadicale(users: Record<string, string>): Promise<CalDavServer> {
  return start('radicale', (port, dir) => {
    const htpasswd = path.join(dir, 'users');
    writeFileSync(htpasswd, Object.entries(users).map(([u, p]) => `${u}:${p}`).join('\n') + '\n');
    return [
      '--server-hosts', `127.0.0.1:${port}`, '--storage-filesystem-folder', path.join(dir, 'collections'),
      '--auth-type', 'htpasswd', '--auth-htpasswd-filename', htpasswd, '--auth-htpasswd-encryption', 'plain', '--rights-type', 'owner_only',
    ];
  }, (url, user) => `${url}/${user}/`);
}

/** Xandikos with its default principal (/user/) and calendar (/user/calendars/calendar/); any password is accepted. */
export function startXandikos(): Promise<CalDavServer> {
  return start('xandikos', (port, dir) => ['-d', dir, '--defaults', '-l', '127.0.0.1', '-p', String(port)], (url) => `${url}/user/calendars/`);
}
