// The Google row, dialog and tile of the web app in Debian's Chromium, in Japanese and English,
// against the product as `npm start` runs it with Google's settings pointing at the Google
// sandbox. Sakura Trading (ja) sets up domain-wide delegation: its travelers do nothing. Maple
// Logistics (en) uses per-user sign-in: its admin connects from the home prompt at Google's
// consent screen. Every screen of ours passes the same checks as the Outlook screens (axe-core,
// no missing translation).
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startGoogleSandbox, type GoogleSandbox } from '../../sandbox/google/server.ts';
import { ChromiumPages, EMILY, foreignScreen, HANAKO, logIn, LOGIN_EN as EN, LOGIN_JA as JA, MORGAN, poll, screen, startProduct, TARO, type Product } from './helpers.ts';


let product: Product;
let google: GoogleSandbox;
let googleDir: string;
const pages = new ChromiumPages();
const open = (locale: 'ja-JP' | 'en-US') => pages.open(locale);

/** プログラム → 会社 → 設定 → 連携 → カレンダー → (row) 管理: the dialog. */
async function openDialog(page: Page, l: { program: string; company: string; settings: string; integrations: string; calendar: string; row: string; manage: string }) {
  await page.getByRole('button', { name: l.program, exact: true }).click();
  await page.getByRole('menuitem', { name: l.company, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: l.company }).waitFor();
  await page.getByRole('button', { name: l.settings, exact: true }).click();
  await page.getByRole('link', { name: l.integrations, exact: true }).click();
  await page.getByRole('tab', { name: l.calendar, exact: true }).click();
  const row = page.getByRole('row', { name: new RegExp(l.row) });
  await row.getByRole('button', { name: l.manage, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: l.row });
  await dialog.waitFor();
  return dialog;
}

describe('web app in Chromium: Google Calendar', { concurrency: false }, () => {
  before(async () => {
    googleDir = mkdtempSync(path.join(tmpdir(), 'tripcal-web-google-'));
    google = await startGoogleSandbox({ dataDir: googleDir, port: 0 });
    product = await startProduct({
      GOOGLE_SERVICE_ACCOUNT_KEY_FILE: google.serviceAccountKeyPath, GOOGLE_CLIENT_ID: google.webClient.clientId, GOOGLE_CLIENT_SECRET: google.webClient.clientSecret,
      GOOGLE_ACCOUNTS_URL: google.url, GOOGLE_OAUTH_URL: google.url, GOOGLE_API_URL: google.url, GOOGLE_CA_FILE: google.caPath,
    });
    await pages.launch();
  });

  after(async () => {
    await pages.close();
    await product?.stop();
    await google?.close();
    rmSync(googleDir, { recursive: true, force: true });
  });

  it('Japanese: Googleカレンダー連携 with domain-wide delegation; the traveler has nothing to do', async () => {
    const L = { program: 'プログラム', company: '会社', settings: '設定', integrations: '連携', calendar: 'カレンダー', row: 'Googleカレンダー連携', manage: '管理' };
    const admin = await open('ja-JP');
    await logIn(admin, product, HANAKO, JA);
    await admin.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
    const dialog = await openDialog(admin, L);
    await dialog.getByRole('heading', { name: /Google 管理コンソールでドメイン全体の委任を設定する/ }).waitFor();
    assert.equal(await dialog.getByRole('textbox', { name: 'クライアントID' }).inputValue(), google.serviceAccountKey.client_id);
    assert.equal(await dialog.getByRole('textbox', { name: 'OAuthスコープ' }).inputValue(), 'https://www.googleapis.com/auth/calendar.events');
    await dialog.getByRole('button', { name: 'Googleカレンダーと接続', exact: true }).waitFor();
    await screen(admin, 'google-dialog-ja');

    // Before the Workspace administrator has authorized it, the check says so.
    await dialog.getByRole('button', { name: '承認を確認', exact: true }).click();
    await dialog.getByRole('alert').getByText(/ドメイン全体の委任を確認できませんでした/).waitFor();
    await screen(admin, 'google-dialog-ja-check-refused');

    google.control.authorizeDelegation('sakura-trading.example');
    await dialog.getByRole('button', { name: '承認を確認', exact: true }).click();
    await dialog.getByTestId('delegation-state').getByText(/確認済み/).waitFor();
    await dialog.getByTestId('delegation-state').getByText(/ドメイン: sakura-trading\.example/).waitFor();
    // Delegation is the company's mode: the per-user sign-in step is gone.
    assert.equal(await dialog.getByRole('button', { name: 'Googleカレンダーと接続', exact: true }).count(), 0);
    const sync = dialog.getByRole('switch', { name: 'カレンダー同期' });
    await sync.click({ force: true });
    await poll('sync on', async () => sync.isChecked());
    await dialog.getByTestId(`traveler-${TARO}`).getByText('接続済み').waitFor();
    await screen(admin, 'google-dialog-ja-sync-on');

    // Taro's demo bookings reach his Google calendar, tentative, without his doing anything.
    const events = await poll('Taro’s Google events', async () => {
      const e = google.control.events(TARO);
      return e.length >= 3 ? e : undefined;
    });
    assert.ok(events.every((e) => e.status === 'tentative'));

    const traveler = await open('ja-JP');
    await logIn(traveler, product, TARO, JA);
    await traveler.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
    assert.equal(await traveler.getByRole('button', { name: 'Googleカレンダーと接続' }).count(), 0);
    await traveler.goto(`${product.url}/profile/connected-apps`);
    const tile = traveler.getByRole('region', { name: 'Google', exact: true });
    await tile.getByText('会社の管理者がGoogleカレンダーとの同期を設定しています。操作は不要です。').waitFor();
    await screen(traveler, 'google-tile-ja-managed');
  });

  it('English: the Google tile under Connected apps, and per-user sign-in from the dialog in another company', async () => {
    const emily = await open('en-US');
    await logIn(emily, product, EMILY, EN);
    await emily.goto(`${product.url}/profile/connected-apps`);
    const tile = emily.getByRole('region', { name: 'Google', exact: true });
    await tile.getByText('Your company administrator has set up sync with Google Calendar. There is nothing for you to do.').waitFor();
    await screen(emily, 'google-tile-en-managed');

    const L = { program: 'Program', company: 'Company', settings: 'Settings', integrations: 'Integrations', calendar: 'Calendar', row: 'Google Calendar integration', manage: 'Manage' };
    const admin = await open('en-US');
    await logIn(admin, product, MORGAN, EN);
    const dialog = await openDialog(admin, L);
    await dialog.getByRole('heading', { name: /Set up domain-wide delegation in the Google Admin console/ }).waitFor();
    await dialog.getByRole('textbox', { name: 'Client ID' }).waitFor();
    // Without the delegation, sync waits for the admin's own sign-in (per-user mode).
    const sync = dialog.getByRole('switch', { name: 'Calendar sync' });
    assert.equal(await sync.isDisabled(), true);
    await screen(admin, 'google-dialog-en-per-user');
    await dialog.getByRole('button', { name: 'Connect to Google Calendar', exact: true }).click();
    await admin.waitForURL((u) => u.href.startsWith(google.url));
    await admin.getByRole('button', { name: new RegExp(MORGAN.replace(/[.]/g, '\\.')) }).click();
    await admin.getByRole('heading', { name: /tripcal wants to access your Google Account/ }).waitFor();
    await foreignScreen(admin, 'google-consent-en');
    await admin.getByRole('button', { name: 'Allow', exact: true }).click();
    await admin.waitForURL((u) => u.href.startsWith(product.url));
    await admin.getByTestId('calendar-notice').getByText('Connected to Google Calendar.').waitFor();
    const back = admin.getByRole('dialog', { name: L.row });
    await back.getByTestId('connected-by').getByText(/Morgan|admin@maple-logistics\.example/).waitFor();
    const syncAfter = back.getByRole('switch', { name: 'Calendar sync' });
    await syncAfter.click({ force: true });
    await poll('sync on', async () => syncAfter.isChecked());
    await screen(admin, 'google-dialog-en-per-user-sync-on');
    await admin.goto(`${product.url}/profile/connected-apps`);
    await admin.getByTestId('calendar-status-google').getByText('Connected').waitFor();
    await screen(admin, 'google-tile-en-connected');
  });
});
