// Development only: with no Microsoft app configured, `npm start` runs the local sandbox (sandbox/,
// a separate program) beside the product and points the product at it, by settings alone.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent } from 'undici';
import type { MicrosoftSettings } from './calendars/outlook/index.ts';
import { childEnvironment } from './config/settings.ts';

// The sandbox's seeded app registration (sandbox/README.md). A local stand-in's credentials,
// never valid anywhere else.
const SANDBOX_APP = { clientId: '3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14', clientSecret: 'sandbox-secret~tripcal.Outlook.Integration.0001' };

export interface DevSandbox {
  settings: MicrosoftSettings;
  url: string;
  stop(): void;
}

async function answers(url: string, caFile: string): Promise<boolean> {
  if (!fs.existsSync(caFile)) return false;
  const dispatcher = new Agent({ connect: { ca: fs.readFileSync(caFile, 'utf8') } });
  try {
    return await fetch(`${url}/_sandbox/info`, { dispatcher } as RequestInit).then((r) => r.ok, () => false);
  } finally {
    await dispatcher.close();
  }
}

/**
 * Starts the sandbox, or uses the one already running on that port with that data folder (when
 * `tripcal serve` and `tripcal worker` run beside each other without a Microsoft app).
 */
export async function startDevSandbox(opts: { port: number; dataDir: string; log: (line: string) => void }): Promise<DevSandbox> {
  const caFile = path.join(opts.dataDir, 'tls', 'sandbox-ca.pem');
  const url = `https://localhost:${opts.port}`;
  const settings = { ...SANDBOX_APP, authorityHost: url, graphUrl: url, caFile };
  if (await answers(url, caFile)) {
    opts.log(`tripcal: no Microsoft app configured (MICROSOFT_CLIENT_ID); using the local sandbox already running at ${url}`);
    return { url, settings, stop: () => {} };
  }
  const entry = path.resolve(import.meta.dirname, '../sandbox/main.ts');
  const child: ChildProcess = spawn(process.execPath, [entry], {
    env: childEnvironment({ SANDBOX_PORT: String(opts.port), SANDBOX_DATA_DIR: opts.dataDir }),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  // The sandbox lives and dies with the product that started it.
  process.once('exit', () => child.kill('SIGTERM'));
  const deadline = Date.now() + 30_000;
  while (!(await answers(url, caFile))) {
    if (child.exitCode !== null) throw new Error(`the sandbox exited (${child.exitCode}): ${output.slice(-500)}`);
    if (Date.now() > deadline) {
      child.kill();
      throw new Error('the sandbox did not start within 30 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  opts.log(`tripcal: no Microsoft app configured (MICROSOFT_CLIENT_ID); using the local sandbox at ${url} (calendars: ${url}/)`);
  return { url, settings, stop: () => child.kill('SIGTERM') };
}
