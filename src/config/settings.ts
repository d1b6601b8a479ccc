// The only reader of process.env. Settings are validated once at start; a bad value stops the
// process with a message that names the variable (and never echoes a secret's value).
import path from 'node:path';

export interface MailSettings {
  /** smtp://user:pass@host:port; when absent, messages are written as .eml files to outboxDir. */
  smtpUrl: string | undefined;
  outboxDir: string;
  from: { name: string; address: string };
}

export interface MicrosoftSettings {
  clientId: string;
  clientSecret: string;
  /** Identity host root, e.g. https://login.microsoftonline.com */
  authorityHost: string;
  /** Graph host root, e.g. https://graph.microsoft.com */
  graphUrl: string;
  /** An extra CA certificate file to trust for those hosts (the sandbox's). */
  caFile: string | undefined;
}

export interface Settings {
  port: number;
  host: string;
  /** The address travelers and Microsoft reach this server at (OAuth redirects, links in emails). */
  publicUrl: string;
  dataDir: string;
  /** postgres://… for a PostgreSQL server; undefined for the embedded PGlite in dataDir. */
  databaseUrl: string | undefined;
  /** Prepare statements run often on the PostgreSQL server (off behind a pooler in transaction mode). */
  databasePreparedStatements: boolean;
  mail: MailSettings;
  /** Seed a demo company when the database is empty. */
  seedDemo: boolean;
  /** Microsoft's identity platform and Graph; undefined: `npm start` runs the local sandbox instead. */
  microsoft: MicrosoftSettings | undefined;
  /** Port of the local sandbox started when no Microsoft app is configured. */
  sandboxPort: number;
  /** Development pages (outbox, demo-booking changes); see the default below. */
  devTools: boolean;
}

export class SettingsError extends Error {
  readonly variable: string;
  constructor(variable: string, problem: string) {
    super(`${variable}: ${problem}`);
    this.name = 'SettingsError';
    this.variable = variable;
  }
}

type Env = Record<string, string | undefined>;

function readPort(env: Env, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new SettingsError(name, 'must be a port number (0-65535)');
  return n;
}

function readUrl(env: Env, name: string, protocols: string[]): string | undefined {
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
    microsoft: readMicrosoft(env),
    sandboxPort: readPort(env, 'SANDBOX_PORT', 3443),
    // Development pages list every company's outbox: on by default only in a local set-up (no
    // Microsoft app configured, so the sandbox stands in) and never under NODE_ENV=production.
    devTools: readBoolean(env, 'DEV_TOOLS', env.NODE_ENV !== 'production' && !env.MICROSOFT_CLIENT_ID),
  };
}

function readMicrosoft(env: Env): MicrosoftSettings | undefined {
  const clientId = env.MICROSOFT_CLIENT_ID;
  if (!clientId) return undefined;
  const clientSecret = env.MICROSOFT_CLIENT_SECRET;
  if (!clientSecret) throw new SettingsError('MICROSOFT_CLIENT_SECRET', 'is required with MICROSOFT_CLIENT_ID');
  if (!/^[0-9a-f-]{36}$/i.test(clientId)) throw new SettingsError('MICROSOFT_CLIENT_ID', 'must be the application (client) id, a GUID');
  return {
    clientId,
    clientSecret,
    authorityHost: (readUrl(env, 'MICROSOFT_AUTHORITY_HOST', ['https:']) ?? 'https://login.microsoftonline.com').replace(/\/$/, ''),
    graphUrl: (readUrl(env, 'MICROSOFT_GRAPH_URL', ['https:']) ?? 'https://graph.microsoft.com').replace(/\/$/, ''),
    caFile: env.MICROSOFT_CA_FILE || undefined,
  };
}

/** The environment for a child process this one starts (the dev sandbox), with additions. */
export function childEnvironment(extra: Record<string, string>): Record<string, string | undefined> {
  return { ...process.env, ...extra };
}
