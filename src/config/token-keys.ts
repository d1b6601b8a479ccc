// The keys that encrypt stored tokens (AES-256-GCM). TOKEN_ENCRYPTION_KEYS lists base64 keys of
// 32 bytes, the first one current; older ones stay listed while data is re-encrypted (rotation).
// On the embedded default with none set, one is generated into the data folder, with a warning,
// so `npm start` needs no set-up; a PostgreSQL deployment must set it.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { SettingsError } from './settings.ts';

export const TOKEN_KEYS_VARIABLE = 'TOKEN_ENCRYPTION_KEYS';

function decodeKeys(raw: string, source: string): Buffer[] {
  const keys = raw.split(/[,\s]+/).filter(Boolean).map((k) => Buffer.from(k, 'base64'));
  if (!keys.length) throw new SettingsError(source, 'holds no key');
  keys.forEach((k, i) => {
    if (k.length !== 32) throw new SettingsError(source, `key ${i + 1} is not 32 bytes of base64 (generate one with: openssl rand -base64 32)`);
  });
  return keys;
}

export function loadTokenKeys(env: Record<string, string | undefined> = process.env, opts: { dataDir: string; embedded: boolean; warn?: (line: string) => void }): Buffer[] {
  const raw = env[TOKEN_KEYS_VARIABLE];
  if (raw) return decodeKeys(raw, TOKEN_KEYS_VARIABLE);
  if (!opts.embedded) throw new SettingsError(TOKEN_KEYS_VARIABLE, 'is required with DATABASE_URL (base64 of 32 random bytes; openssl rand -base64 32)');
  const file = path.join(opts.dataDir, 'token-encryption.key');
  if (!fs.existsSync(file)) {
    fs.mkdirSync(opts.dataDir, { recursive: true });
    fs.writeFileSync(file, `${randomBytes(32).toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    (opts.warn ?? console.warn)(`tripcal: ${TOKEN_KEYS_VARIABLE} is not set; generated a token encryption key in ${file}. Set ${TOKEN_KEYS_VARIABLE} in production.`);
  }
  return decodeKeys(fs.readFileSync(file, 'utf8'), file);
}
