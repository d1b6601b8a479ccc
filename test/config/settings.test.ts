import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadSettings, SettingsError } from '../../src/config/settings.ts';

test('defaults need no set-up: port 3000, ./data, the outbox inside it', () => {
  const s = loadSettings({}, '/srv/tripcal');
  assert.equal(s.port, 3000);
  assert.equal(s.dataDir, '/srv/tripcal/data');
  assert.equal(s.mail.outboxDir, '/srv/tripcal/data/outbox');
  assert.equal(s.databaseUrl, undefined);
  assert.equal(s.databasePreparedStatements, true);
  assert.equal(s.publicUrl, 'http://localhost:3000');
});

test('a bad value stops start-up with a message naming the variable and never its secret value', () => {
  const bad = (env: Record<string, string>, variable: string) =>
    assert.throws(() => loadSettings(env, '/'), (e: unknown) => e instanceof SettingsError && e.variable === variable && !e.message.includes('hunter2'));
  bad({ PORT: 'eighty' }, 'PORT');
  bad({ DATABASE_PREPARED_STATEMENTS: 'sometimes' }, 'DATABASE_PREPARED_STATEMENTS');
  bad({ DATABASE_URL: 'mysql://u:hunter2@db/x' }, 'DATABASE_URL');
  bad({ SMTP_URL: 'not a url hunter2' }, 'SMTP_URL');
});

test('PORT, DATA_DIR and DATABASE_URL change where it runs', () => {
  const s = loadSettings({ PORT: '8080', DATA_DIR: '/var/lib/tripcal', DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/tripcal' }, '/');
  assert.deepEqual([s.port, s.dataDir, s.databaseUrl, s.publicUrl], [8080, '/var/lib/tripcal', 'postgres://postgres@127.0.0.1:5432/tripcal', 'http://localhost:8080']);
  assert.equal(loadSettings({ DATABASE_PREPARED_STATEMENTS: 'false' }, '/').databasePreparedStatements, false, 'off behind a pooler in transaction mode');
});

test('TRUST_PROXY: off by default; true, a number of hops, or the proxies\' addresses; anything else names the variable', () => {
  assert.equal(loadSettings({}, '/').trustProxy, false);
  assert.equal(loadSettings({ TRUST_PROXY: 'true' }, '/').trustProxy, true);
  assert.equal(loadSettings({ TRUST_PROXY: 'off' }, '/').trustProxy, false);
  assert.equal(loadSettings({ TRUST_PROXY: '2' }, '/').trustProxy, 2);
  assert.deepEqual(loadSettings({ TRUST_PROXY: '10.0.0.0/8, 127.0.0.1,::1' }, '/').trustProxy, ['10.0.0.0/8', '127.0.0.1', '::1']);
  assert.throws(() => loadSettings({ TRUST_PROXY: 'the load balancer' }, '/'), (e: unknown) => e instanceof SettingsError && e.variable === 'TRUST_PROXY');
});
