// Development only: with no Microsoft app configured, `npm start` runs the local stand-ins (sandbox/,
// separate programs) beside the product and points the product at them, by settings alone: the
// Microsoft one (Entra ID and Graph), and, unless Google's settings are given, the Google one
// (OAuth 2.0, domain-wide delegation, Calendar API v3), so that the demo shows both providers.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent } from 'undici';
import { readGoogleSettings, type GoogleSettings } from './calendars/google/index.ts';
import type { MicrosoftSettings } from './calendars/outlook/index.ts';
import { childEnvironment } from './config/settings.ts';

// The sandboxes' seeded app registrations (sandbox/README.md). A local stand-in's credentials,
// never valid anywhere else.
const SANDBOX_APP = { clientId: '3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14', clientSecret: 'sandbox-secret~tripcal.Outlook.Integration.0001' };
const SANDBOX_GOOGLE_WEB_CLIENT = { clientId: '730145628815-tripcal0sandbox0web0client.apps.googleusercontent.com', clientSecret: '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001' };

export interface DevSandbox {
  settings: MicrosoftSettings;
  url: string;
  stop(): void;
}

export interface DevGoogleSandbox {
  settings: GoogleSettings;
  url: string;
  stop(): void;
}

interface StandIn {
  /** What `/_sandbox/info` answered. */
  info: Record<string, unknown>;
  /** True when this process started it (false: one already running was found). */
  started: boolean;
  stop(): void;
}

async function info(url: string, caFile: string): Promise<Record<string, unknown> | undefined> {
  if (!fs.existsSync(caFile)) return undefined;
  const dispatcher = new Agent({ connect: { ca: fs.readFileSync(caFile, 'utf8') } });
  try {
    return await fetch(`${url}/_sandbox/info`, { dispatcher } as RequestInit).then((r) => (r.ok ? (r.json() as Promise<Record<string, unknown>>) : undefined), () => undefined);
  } finally {
    await dispatcher.close();
  }
}

/**
 * Starts a stand-in program, or uses the one already running on that port with that data folder
 * (when `tripcal serve` and `tripcal worker` run beside each other), and waits until it answers.
 */
async function startStandIn(name: string, entry: string, url: string, caFile: string, env: Record<string, string>): Promise<StandIn> {
  const running = await info(url, caFile);
  if (running) return { info: running, started: false, stop: () => {} };
  const child: ChildProcess = spawn(process.execPath, [entry], { env: childEnvironment(env), stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  // A stand-in lives and dies with the product that started it.
  process.once('exit', () => child.kill('SIGTERM'));
  const deadline = Date.now() + 30_000;
  for (;;) {
    const answer = await info(url, caFile);
    if (answer) return { info: answer, started: true, stop: () => child.kill('SIGTERM') };
    if (child.exitCode !== null) throw new Error(`the ${name} exited (${child.exitCode}): ${output.slice(-500)}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error(`the ${name} did not start within 30 s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The Microsoft stand-in (sandbox/main.ts) on `port`. */
export async function startDevSandbox(opts: { port: number; dataDir: string; log: (line: string) => void }): Promise<DevSandbox> {
  const caFile = path.join(opts.dataDir, 'tls', 'sandbox-ca.pem');
  const url = `https://localhost:${opts.port}`;
  const settings = { ...SANDBOX_APP, authorityHost: url, graphUrl: url, caFile };
  const entry = path.resolve(import.meta.dirname, '../sandbox/main.ts');
  const standIn = await startStandIn('sandbox', entry, url, caFile, { SANDBOX_PORT: String(opts.port), SANDBOX_DATA_DIR: opts.dataDir });
  opts.log(standIn.started
    ? `tripcal: no Microsoft app configured (MICROSOFT_CLIENT_ID); using the local sandbox at ${url} (calendars: ${url}/)`
    : `tripcal: no Microsoft app configured (MICROSOFT_CLIENT_ID); using the local sandbox already running at ${url}`);
  return { url, settings, stop: standIn.stop };
}

/**
 * The Google stand-in (sandbox/google/main.ts) on `port`, with the same data folder (so the same CA
 * as the Microsoft one), and the Google settings that point the product at it: its service
 * account's key file (domain-wide delegation) and its web client (per-user sign-in).
 */
export async function startDevGoogleSandbox(opts: { port: number; dataDir: string; log: (line: string) => void }): Promise<DevGoogleSandbox> {
  const caFile = path.join(opts.dataDir, 'tls', 'sandbox-ca.pem');
  const url = `https://localhost:${opts.port}`;
  const entry = path.resolve(import.meta.dirname, '../sandbox/google/main.ts');
  const standIn = await startStandIn('Google sandbox', entry, url, caFile, { SANDBOX_GOOGLE_PORT: String(opts.port), SANDBOX_DATA_DIR: opts.dataDir });
  const keyFile = (standIn.info.serviceAccount as { keyFile?: string } | undefined)?.keyFile;
  if (!keyFile) {
    standIn.stop();
    throw new Error(`the Google sandbox at ${url} named no service account key file`);
  }
  const settings = readGoogleSettings({
    GOOGLE_SERVICE_ACCOUNT_KEY_FILE: keyFile, GOOGLE_CLIENT_ID: SANDBOX_GOOGLE_WEB_CLIENT.clientId, GOOGLE_CLIENT_SECRET: SANDBOX_GOOGLE_WEB_CLIENT.clientSecret,
    GOOGLE_ACCOUNTS_URL: url, GOOGLE_OAUTH_URL: url, GOOGLE_API_URL: url, GOOGLE_CA_FILE: caFile,
  })!;
  opts.log(`tripcal: no Google settings (GOOGLE_SERVICE_ACCOUNT_KEY_FILE, GOOGLE_CLIENT_ID); using the local Google sandbox ${standIn.started ? 'at' : 'already running at'} ${url} (Admin console: ${url}/ac/owl/domainwidedelegation)`);
  return { url, settings, stop: standIn.stop };
}
