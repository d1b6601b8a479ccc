// Authenticated encryption of secrets at rest (token caches): AES-256-GCM, a fresh 96-bit IV per
// message, the key's id in the envelope so old keys keep decrypting after a rotation.
import { createCipheriv, createDecipheriv, createHash, createSecretKey, randomBytes, type KeyObject } from 'node:crypto';

export class SecretBoxError extends Error {
  readonly code: 'unknown_key' | 'tampered' | 'malformed';
  constructor(code: SecretBoxError['code'], message: string) {
    super(message);
    this.name = 'SecretBoxError';
    this.code = code;
  }
}

export interface SecretBox {
  seal(plaintext: string, context: string): string;
  open(sealed: string, context: string): string;
  /** Whether `sealed` was made with a key other than the current one (re-seal it). */
  isStale(sealed: string): boolean;
}

const keyId = (key: Buffer) => createHash('sha256').update(key).digest('hex').slice(0, 12);

/** `keys[0]` seals; every key opens. `context` (e.g. the user id) is bound as associated data. */
export function secretBox(keys: Buffer[]): SecretBox {
  if (!keys.length || keys.some((k) => k.length !== 32)) throw new Error('secretBox needs 32-byte keys');
  // Key objects made once: a raw key Buffer is turned into one on every cipher (the token cache is
  // opened on every reconcile; 3% of a sync worker's CPU in `npm run bench`).
  const byId = new Map<string, KeyObject>(keys.map((k) => [keyId(k), createSecretKey(k)]));
  const currentId = keyId(keys[0]);
  const current = byId.get(currentId)!;
  return {
    seal(plaintext, context) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', current, iv);
      cipher.setAAD(Buffer.from(context));
      const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
      return `v1.${currentId}.${iv.toString('base64url')}.${body.toString('base64url')}`;
    },
    open(sealed, context) {
      const [version, id, iv, body] = sealed.split('.');
      if (version !== 'v1' || !id || !iv || !body) throw new SecretBoxError('malformed', 'sealed value is malformed');
      const key = byId.get(id);
      if (!key) throw new SecretBoxError('unknown_key', `sealed with key ${id}, which is not configured`);
      const data = Buffer.from(body, 'base64url');
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
        decipher.setAAD(Buffer.from(context));
        decipher.setAuthTag(data.subarray(data.length - 16));
        return Buffer.concat([decipher.update(data.subarray(0, data.length - 16)), decipher.final()]).toString('utf8');
      } catch {
        throw new SecretBoxError('tampered', 'sealed value failed authentication');
      }
    },
    isStale(sealed) {
      return sealed.split('.')[1] !== currentId;
    },
  };
}
