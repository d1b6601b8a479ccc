import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readMicrosoftSettings } from '../../../src/calendars/outlook/index.ts';
import { SettingsError } from '../../../src/config/settings.ts';

test('with no Microsoft app configured, Outlook has no settings (npm start runs the sandbox instead)', () => {
  assert.equal(readMicrosoftSettings({}), undefined);
});

test('a Microsoft app: its id and secret, Microsoft\'s hosts by default', () => {
  const s = readMicrosoftSettings({ MICROSOFT_CLIENT_ID: '3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14', MICROSOFT_CLIENT_SECRET: 'hunter2' });
  assert.deepEqual(s, {
    clientId: '3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14', clientSecret: 'hunter2',
    authorityHost: 'https://login.microsoftonline.com', graphUrl: 'https://graph.microsoft.com', caFile: undefined,
  });
});

test('a bad value stops start-up with a message naming the variable and never the secret', () => {
  const bad = (env: Record<string, string>, variable: string) =>
    assert.throws(() => readMicrosoftSettings(env), (e: unknown) => e instanceof SettingsError && e.variable === variable && !e.message.includes('hunter2'));
  bad({ MICROSOFT_CLIENT_ID: '3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14' }, 'MICROSOFT_CLIENT_SECRET');
  bad({ MICROSOFT_CLIENT_ID: 'tripcal', MICROSOFT_CLIENT_SECRET: 'hunter2' }, 'MICROSOFT_CLIENT_ID');
  bad({ MICROSOFT_CLIENT_ID: '3f6c1a52-8d4e-4b7a-9c21-5e0f7d2b9a14', MICROSOFT_CLIENT_SECRET: 'hunter2', MICROSOFT_AUTHORITY_HOST: 'http://login.example' }, 'MICROSOFT_AUTHORITY_HOST');
});
