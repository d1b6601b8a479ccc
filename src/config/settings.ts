// The only reader of process.env. Settings are validated once at start; a bad value stops the
// process with a message that names the variable (and never echoes a secret's value).
import path from 'node:path';

export interface MailSettings {
  /** smtp://user:pass@host:port; when absent, messages are written as .eml files to outboxDir. */
  smtpUrl: string | undefined;
  outboxDir: string;
  from: { name: string; address: string };
}

export interface Settings {
  port: number;
  host: string;
  /** The address travelers and calendar providers reach this server at (OAuth redirects, links in emails). */
  publicUrl: string;
  dataDir: string;
  /** postgres://… for a PostgreSQL server; undefined for the embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  /** Prepare statements run often on the PostgreSQL server (off behind a pooler in transaction mode). */
  databasePreparedStatements: boolean;
  mail: MailSettings;
  /** Seed a demo company when the database is empty. */
  seedDemo: boolean;
  /** Port of the local sandbox started when no calendar provider is configured. */
  sandboxPort: number;
  /** Development pages (outbox, demo-booking changes); undefined: on when the local sandbox stands in, outside production. */
  devTools: boolean | undefined;
  /** NODE_ENV is "production": development pages never appear. */
  production: boolean;
  /**
   * Fastify's `trustProxy`: false (the default) takes the TCP peer as the client; true trusts
   * every proxy's X-Forwarded-For / X-Forwarded-Proto; a number trusts that many hops; otherwise
   * a comma-separated list of the proxies' addresses or CIDR ranges.
   */
  trustProxy: boolean | number | string[];
  /**
   * The environment as read at start, for the calendar providers' own settings: each provider
   * reads its variables with the readers below (src/calendars/<provider>/settings.ts), so this
   * module stays the one that reads process.env and knows no provider.
   */
  environment: Readonly<Env>;
}

export class SettingsError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'SettingsError';
    this.variable = variable;
  }
}

export type Env = Record<string, string | undefined>;

function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new SettingsError(name, 'must be a port number (0-65535)');
  return n;
}

export function readUrl(env: Env, name: string, protocols: string[]): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The value may hold a password: name the variable, never the value.
    throw new SettingsError(name, 'is not a valid URL');
  }
  if (!protocols.includes(url.protocol)) {
    throw new SettingsError(name, `must start with ${protocols.map((p) => `${p}//`).join(' or ')}`);
  }
  return raw;
}

function readBoolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  throw new SettingsError(name, 'must be true or false');
}

function readTrustProxy(env: Env, name: string): boolean | number | string[] {
  const raw = (env[name] ?? '').trim();
  if (raw === '') return false;
  if (/^\d+$/.test(raw)) return Number(raw) === 0 ? false : Number(raw);
  if (['1', 'true', 'yes', 'on'].includes(raw.toLowerCase())) return true;
  if (['0', 'false', 'no', 'off'].includes(raw.toLowerCase())) return false;
  const entries = raw.split(',').map((e) => e.trim()).filter(Boolean);
  const address = /^(\d{1,3}(\.\d{1,3}){3}|[0-9a-f:]*:[0-9a-f:.]*)(\/\d{1,3})?$/i;
  if (!entries.every((e) => address.test(e))) throw new SettingsError(name, 'must be true, false, a number of proxy hops, or a comma-separated list of proxy addresses (CIDR allowed)');
  return entries;
}

function readEmail(env: Env, name: string, fallback: string): string {
  const raw = env[name] || fallback;
  if (!/^[^\s@]+@[^\s@]+$/.test(raw)) throw new SettingsError(name, 'must be an email address');
  return raw;
}

export function loadSettings(env: Env = process.env, cwd: string = process.cwd()): Settings {
  const port = readPort(env, 'PORT', 3000);
  const host = env.HOST || '127.0.0.1';
  const dataDir = path.resolve(cwd, env.DATA_DIR || 'data');
  const publicUrl = (readUrl(env, 'PUBLIC_URL', ['http:', 'https:']) ?? `http://localhost:${port}`).replace(/\/$/, '');
  return {
    port,
    host,
    publicUrl,
    dataDir,
    databaseUrl: readUrl(env, 'DATABASE_URL', ['postgres:', 'postgresql:']),
    databasePreparedStatements: readBoolean(env, 'DATABASE_PREPARED_STATEMENTS', true),
    mail: {
      smtpUrl: readUrl(env, 'SMTP_URL', ['smtp:', 'smtps:']),
      outboxDir: path.resolve(dataDir, env.OUTBOX_DIR || 'outbox'),
      from: {
        name: env.MAIL_FROM_NAME || 'tripcal',
        address: readEmail(env, 'MAIL_FROM', 'itinerary@tripcal.example'),
      },
    },
    seedDemo: readBoolean(env, 'SEED_DEMO', true),
    sandboxPort: readPort(env, 'SANDBOX_PORT', 3443),
    devTools: env.DEV_TOOLS === undefined || env.DEV_TOOLS === '' ? undefined : readBoolean(env, 'DEV_TOOLS', false),
    production: env.NODE_ENV === 'production',
    trustProxy: readTrustProxy(env, 'TRUST_PROXY'),
    environment: Object.freeze({ ...env }),
  };
}

/** The environment for a child process this one starts (the dev sandbox), with additions. */
export function childEnvironment(extra: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...extra };
}
