// `npm start` with nothing configured (the demo): the product, its workers and both stand-ins, the
// Microsoft one and the Google one, started as `npm start` starts them (node src/main.ts, on free
// ports, a fresh data folder). The demo company's admin sees both rows; the Google row works
// against the Google stand-in: the Workspace administrator authorizes our client id in its Admin
// console, the check passes, sync on writes the demo bookings into the travelers' Google calendars.
// Stopping the product stops both stand-ins.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { rootCertificates } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { calendar as calendarApi } from '@googleapis/calendar';
import { JWT } from 'google-auth-library';
import { Agent, fetch as undiciFetch } from 'undici';
import { SEGMENT_KEY_PROPERTY } from '../../src/calendars/google/index.ts';
import { transporterOptions } from '../../src/calendars/google/network.ts';
import { browsingWorld } from '../scale/fleet.ts';
import { DEMO_PASSWORD, startProduct, type Product } from '../web/helpers.ts';

const HANAKO = 'hanako.sato@sakura-trading.example';
const TARO = 'taro.yamada@sakura-trading.example';
const WORKSPACE_SUPER_ADMIN = 'it-admin@sakura-trading.example';

describe('npm start (the demo, embedded default)', () => {
  let product: Product;
  let dispatcher: Agent;

  before(async () => {
    product = await startProduct();
    const ca = readFileSync(path.join(product.dataDir, 'sandbox', 'tls', 'sandbox-ca.pem'), 'utf8');
    dispatcher = new Agent({ connect: { ca: [...rootCertificates, ca] } });
  });
  after(async () => {
    await dispatcher?.close();
    await product?.stop();
  });

  const sandboxInfo = async (url: string) => {
    const res = await undiciFetch(`${url}/_sandbox/info`, { dispatcher });
    assert.equal(res.status, 200, `${url} answers`);
    return (await res.json()) as Record<string, any>;
  };

  it('starts the Microsoft and the Google stand-ins beside the product, and says where they are', async () => {
    await sandboxInfo(product.sandboxUrl);
    const google = await sandboxInfo(product.googleSandboxUrl);
    assert.ok(google.domains.some((d: { domain: string }) => d.domain === 'sakura-trading.example'), 'the demo company is a Workspace domain of the Google stand-in');
    assert.match(product.output(), new RegExp(`using the local Google sandbox at ${product.googleSandboxUrl.replace(/[.]/g, '\\.')}`));
  });

  it('the demo shows Google: delegation authorized in the stand-in\'s Admin console, the check passes, sync on fills the travelers\' calendars', async () => {
    const admin = browsingWorld(product.url).browser();
    await admin.logIn(HANAKO, DEMO_PASSWORD);
    const all = await admin.api('GET', '/api/company/calendars');
    assert.equal(all.status, 200);
    const ids = all.body.calendars.map((c: { provider: { id: string } }) => c.provider.id);
    assert.ok(ids.includes('outlook') && ids.includes('google'), `rows: ${ids.join(', ')}`);
    const { delegation } = all.body.calendars.find((c: { provider: { id: string } }) => c.provider.id === 'google');
    const google = await sandboxInfo(product.googleSandboxUrl);
    assert.equal(delegation.clientId, google.serviceAccount.clientId, 'the dialog shows the stand-in\'s service account');

    // Not yet authorized: the check says so.
    assert.equal((await admin.api('POST', '/api/company/calendars/google/delegation')).status, 409);

    // The Workspace super administrator at the stand-in's Admin console.
    const signIn = await undiciFetch(`${product.googleSandboxUrl}/ServiceLogin`, {
      dispatcher, method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ email: WORKSPACE_SUPER_ADMIN, continue: '/ac/owl/domainwidedelegation' }).toString(),
    });
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const page = await undiciFetch(`${product.googleSandboxUrl}/ac/owl/domainwidedelegation`, {
      dispatcher, method: 'POST', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action: 'add', client_id: delegation.clientId, scopes: delegation.scopes.join(',') }).toString(),
    });
    assert.equal(page.status, 200);

    const check = await admin.api('POST', '/api/company/calendars/google/delegation');
    assert.equal(check.status, 200, JSON.stringify(check.body));
    assert.equal(check.body.delegation.active, true);
    const sync = await admin.api('PUT', '/api/company/calendars/google/sync', { enabled: true });
    assert.equal(sync.status, 200);

    // The demo's bookings reach Taro's Google calendar, read back as Google's own libraries read
    // it: the service account's key, impersonating him (what the Admin console authorized).
    const key = JSON.parse(readFileSync(google.serviceAccount.keyFile, 'utf8')) as { client_email: string; private_key: string };
    const ca = readFileSync(path.join(product.dataDir, 'sandbox', 'tls', 'sandbox-ca.pem'), 'utf8');
    const url = product.googleSandboxUrl;
    const auth = new JWT({ email: key.client_email, key: key.private_key, scopes: delegation.scopes, subject: TARO, transporterOptions: transporterOptions({ accountsUrl: url, oauthUrl: url, apiUrl: url }, ca, 10_000) });
    const calendar = calendarApi({ version: 'v3', auth, rootUrl: `${url}/` });
    const deadline = Date.now() + 60_000;
    let items: Array<{ status?: string | null; extendedProperties?: { private?: Record<string, string> | null } | null }> = [];
    for (;;) {
      items = (await calendar.events.list({ calendarId: 'primary' })).data.items ?? [];
      if (items.length >= 3) break;
      if (Date.now() > deadline) throw new Error(`Taro's Google calendar holds ${items.length} events after 60 s`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(items.every((e) => e.status === 'tentative'));
    const keys = items.map((e) => e.extendedProperties?.private?.[SEGMENT_KEY_PROPERTY]);
    assert.ok(keys.every(Boolean));
    assert.equal(new Set(keys).size, keys.length, 'no duplicates');
  });

  it('stopping the product stops both stand-ins', async () => {
    await product.stop();
    for (const url of [product.sandboxUrl, product.googleSandboxUrl]) {
      await assert.rejects(undiciFetch(`${url}/_sandbox/info`, { dispatcher }), `${url} no longer answers`);
    }
  });
});
