import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { SettingsError } from '../../src/config/settings.ts';
import { loadTokenKeys, TOKEN_KEYS_VARIABLE } from '../../src/config/token-keys.ts';
import { secretBox, SecretBoxError } from '../../src/store/secret-box.ts';

describe('token encryption at rest', () => {
  const oldKey = randomBytes(32);
  const newKey = randomBytes(32);

  test('seals with AES-256-GCM: the sealed text shows nothing of the token, and opens back', () => {
    const box = secretBox([oldKey]);
    const sealed = box.seal('{"RefreshToken":{"secret":"0.AAA-refresh"}}', 'user-1');
    assert.doesNotMatch(sealed, /RefreshToken|refresh/);
    assert.equal(box.open(sealed, 'user-1'), '{"RefreshToken":{"secret":"0.AAA-refresh"}}');
    assert.notEqual(box.seal('same', 'user-1'), box.seal('same', 'user-1'), 'a fresh IV every time');
  });

  test('a sealed value moved to another user, or altered, does not open', () => {
    const box = secretBox([oldKey]);
    const sealed = box.seal('token cache', 'user-1');
    assert.throws(() => box.open(sealed, 'user-2'), (e: unknown) => e instanceof SecretBoxError && e.code === 'tampered');
    const [version, key, iv, body] = sealed.split('.');
    const bytes = Buffer.from(body, 'base64url');
    bytes[0] ^= 0x01;
    const altered = [version, key, iv, bytes.toString('base64url')].join('.');
    assert.throws(() => box.open(altered, 'user-1'), (e: unknown) => e instanceof SecretBoxError && e.code === 'tampered');
  });

  test('key rotation: a new current key seals, the old one still opens what it sealed', () => {
    const before = secretBox([oldKey]).seal('token cache', 'user-1');
    const rotated = secretBox([newKey, oldKey]);
    assert.equal(rotated.open(before, 'user-1'), 'token cache');
    assert.equal(rotated.isStale(before), true);
    const resealed = rotated.seal('token cache', 'user-1');
    assert.equal(rotated.isStale(resealed), false);
    assert.throws(() => secretBox([oldKey]).open(resealed, 'user-1'), (e: unknown) => e instanceof SecretBoxError && e.code === 'unknown_key');
  });

  test('keys come from TOKEN_ENCRYPTION_KEYS; on the embedded default one is generated with a warning', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tripcal-keys-'));
    const warnings: string[] = [];
    const generated = loadTokenKeys({}, { dataDir: dir, embedded: true, warn: (l) => warnings.push(l) });
    assert.equal(generated[0].length, 32);
    assert.match(warnings[0], /TOKEN_ENCRYPTION_KEYS is not set/);
    assert.equal(statSync(path.join(dir, 'token-encryption.key')).mode & 0o777, 0o600);
    assert.deepEqual(loadTokenKeys({}, { dataDir: dir, embedded: true, warn: () => {} }), generated, 'the same key on the next start');
    assert.ok(!warnings.join('').includes(readFileSync(path.join(dir, 'token-encryption.key'), 'utf8').trim()), 'the key itself is never printed');

    const listed = loadTokenKeys({ [TOKEN_KEYS_VARIABLE]: `${newKey.toString('base64')},${oldKey.toString('base64')}` }, { dataDir: dir, embedded: false });
    assert.deepEqual(listed, [newKey, oldKey]);
    assert.throws(() => loadTokenKeys({}, { dataDir: dir, embedded: false }), (e: unknown) => e instanceof SettingsError && e.variable === TOKEN_KEYS_VARIABLE);
    assert.throws(() => loadTokenKeys({ [TOKEN_KEYS_VARIABLE]: 'c2hvcnQ=' }, { dataDir: dir, embedded: false }), /32 bytes/);
  });
});
