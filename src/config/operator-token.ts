// The platform operator's bearer token for the operator API (/api/operator/v1). OPERATOR_TOKEN
// sets it. On the embedded default with none set, one is generated into the data folder and the
// file is named on start, so a local set-up can onboard a company at once; with DATABASE_URL and
// none set, the operator API is off.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SettingsError } from './settings.ts';

export const OPERATOR_TOKEN_VARIABLE = 'OPERATOR_TOKEN';

/** A token shorter than this is refused: it guards every company's onboarding. */
const MIN_LENGTH = 24;

export interface OperatorToken {
  token: string;
  /** The file it was read from or generated into; undefined when it came from OPERATOR_TOKEN. */
  file?: string;
}

export function loadOperatorToken(env: Record<string, string | undefined> = process.env, opts: { dataDir: string; embedded: boolean }): OperatorToken | undefined {
  const raw = env[OPERATOR_TOKEN_VARIABLE];
  if (raw) {
    if (raw.trim().length < MIN_LENGTH) throw new SettingsError(OPERATOR_TOKEN_VARIABLE, `must be at least ${MIN_LENGTH} characters (generate one with: openssl rand -base64 32)`);
    return { token: raw.trim() };
  }
  if (!opts.embedded) return undefined;
  const file = path.join(opts.dataDir, 'operator-token');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    fs.writeFileSync(file, `tco_${randomBytes(32).toString('base64url')}\n`, { mode: 0o600, flag: 'wx' });
  }
  return { token: fs.readFileSync(file, 'utf8').trim(), file };
}

/** Where `tripcal operator …` sends its calls, and with which token: TRIPCAL_URL and OPERATOR_TOKEN (or the token file in DATA_DIR). */
export function operatorClientSettings(env: Record<string, string | undefined> = process.env, cwd: string = process.cwd()): { url: string; token: string | undefined } {
  const url = (env.TRIPCAL_URL || env.PUBLIC_URL || `http://localhost:${env.PORT || 3000}`).replace(/\/$/, '');
  const file = path.join(path.resolve(cwd, env.DATA_DIR || 'data'), 'operator-token');
  const token = env[OPERATOR_TOKEN_VARIABLE]?.trim() || (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim() : undefined);
  return { url, token };
}
