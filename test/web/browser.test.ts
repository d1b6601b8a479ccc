// The web app in Debian's Chromium, driven by playwright-core, against the product as `npm start`
// runs it (with the sandbox standing in for Microsoft). Follows the source document step by step:
// in Japanese, then in English, then a traveler whose token lapsed reconnecting from the home
// screen. Every screen of ours is screenshotted (test-artifacts/web/) and checked with axe-core
// and for missing translations.
import assert from 'node:assert/strict';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { ARTIFACTS, ChromiumPages, EMILY, foreignScreen, HANAKO, logIn, LOGIN_EN as EN, LOGIN_JA as JA, mailboxEvents, MAPLE_ENTRA_ADMIN, MORGAN, poll, SAKURA_ENTRA_ADMIN, sandboxSignIn, screen, startProduct, TARO, type Product } from './helpers.ts';



let product: Product;
const pages = new ChromiumPages();
const open = (locale: 'ja-JP' | 'en-US') => pages.open(locale);

async function json<T>(page: Page, path: string): Promise<{ status: number; body: T }> {
  const res = await page.request.get(`${product.url}${path}`);
  return { status: res.status(), body: (await res.json().catch(() => null)) as T };
}

/** プログラム → 会社 → 設定 → 連携 → カレンダー → (Outlookカレンダー連携) 管理: the dialog. */
async function openOutlookDialog(page: Page, l: { program: string; company: string; settings: string; integrations: string; calendar: string; row: string; manage: string }, shots: string) {
  await page.getByRole('button', { name: l.program, exact: true }).click();
  await page.getByRole('menuitem', { name: l.company, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: l.company }).waitFor();
  await screen(page, `${shots}-company`);
  await page.getByRole('button', { name: l.settings, exact: true }).click();
  await page.getByRole('link', { name: l.integrations, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: l.integrations }).waitFor();
  await page.getByRole('tab', { name: l.calendar, exact: true }).click();
  assert.equal(await page.getByRole('tab', { name: l.calendar, exact: true }).getAttribute('aria-selected'), 'true');
  await screen(page, `${shots}-integrations-calendar`);
  const row = page.getByRole('row', { name: new RegExp(l.row) });
  await row.getByRole('button', { name: l.manage, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: l.row });
  await dialog.waitFor();
  return dialog;
}

/** Back on the Integrations page after a reload or an OAuth round trip: the dialog, open. */
async function reopenDialogIfClosed(page: Page, l: { row: string; manage: string }) {
  const dialog = page.getByRole('dialog', { name: l.row });
  // The dialog has its own URL, and Microsoft's return (?calendar=outlook&result=…) reopens it:
  // there it opens by itself; elsewhere 管理 opens it.
  const url = new URL(page.url());
  if (!url.pathname.endsWith('/calendar/outlook') && !url.searchParams.has('calendar')) {
    await page.getByRole('row', { name: new RegExp(l.row) }).getByRole('button', { name: l.manage, exact: true }).click();
  }
  await dialog.waitFor();
  return dialog;
}

describe('web app in Chromium', { concurrency: false }, () => {
  before(async () => {
    rmSync(ARTIFACTS, { recursive: true, force: true });
    product = await startProduct();
    await pages.launch();
  });

  after(async () => {
    await pages.close();
    if (product) {
      mkdirSync(ARTIFACTS, { recursive: true });
      writeFileSync(path.join(ARTIFACTS, 'product.log'), product.output());
      await product.stop();
    }
  });

  let taroTripId = '';

  it('log-in, home, trip, profile and the language switch, in Japanese and English', async () => {
    const page = await open('ja-JP');
    await page.goto(product.url);
    await page.waitForURL(/\/login/);
    await page.getByRole('heading', { level: 1, name: 'ログイン' }).waitFor();
    await screen(page, 'login-ja');

    await page.getByLabel(JA.email).fill(TARO);
    await page.getByLabel(JA.password).fill('wrong password');
    await page.getByRole('button', { name: 'ログイン', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'メールアドレスまたはパスワードが正しくありません' }).waitFor();

    await logIn(page, product, TARO, JA);
    await page.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
    const upcoming = page.getByRole('region', { name: '今後の出張' });
    await upcoming.getByRole('link', { name: '大阪出張' }).waitFor();
    // Calendar sync is off in the company: no prompt yet.
    assert.equal(await page.getByRole('button', { name: 'Outlookカレンダーと接続' }).count(), 0);
    await screen(page, 'home-ja-traveler');

    await upcoming.getByRole('link', { name: '大阪出張' }).click();
    await page.getByRole('heading', { level: 1, name: '大阪出張' }).waitFor();
    assert.equal(await page.title(), '大阪出張 – tripcal');
    taroTripId = page.url().split('/trips/')[1]!;
    const rail = page.getByRole('listitem', { name: /のぞみ 15号/ });
    await rail.getByText('日本標準時').first().waitFor();
    assert.match((await rail.textContent())!, /08:00/);
    assert.match((await rail.textContent())!, /Asia\/Tokyo/);
    await page.getByRole('listitem', { name: /ホテル阪急インターナショナル/ }).getByText('チェックイン').waitFor();
    const ics = page.getByRole('link', { name: 'カレンダーファイル (.ics) をダウンロード' });
    const icsRes = await page.request.get(new URL((await ics.getAttribute('href'))!, product.url).href);
    assert.equal(icsRes.status(), 200);
    assert.match(icsRes.headers()['content-type']!, /text\/calendar/);
    const icsText = await icsRes.text();
    assert.match(icsText, /BEGIN:VCALENDAR/);
    assert.match(icsText, /X-MICROSOFT-CDO-BUSYSTATUS:TENTATIVE/);
    await screen(page, 'trip-ja');

    // マイプロフィール under the name icon, top right → プロフィール → 接続済みアプリ → Outlook tile.
    await page.getByRole('button', { name: '山田 太郎' }).click();
    await page.getByRole('menuitem', { name: 'マイプロフィール', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'プロフィール' }).waitFor();
    await screen(page, 'profile-ja');
    await page.getByRole('link', { name: '接続済みアプリ', exact: true }).click();
    const tile = page.getByRole('region', { name: 'Outlook', exact: true });
    await tile.getByText('未接続').waitFor();
    assert.equal(await tile.getByRole('button', { name: 'Outlookカレンダーと接続' }).isDisabled(), true, 'sync is off: cannot connect yet');
    await screen(page, 'profile-connected-apps-ja');

    // The switch changes the user's own setting: it survives a reload and a new log-in.
    await page.getByRole('button', { name: 'English', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
    await page.reload();
    await page.getByRole('heading', { level: 1, name: 'Profile' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    await screen(page, 'profile-connected-apps-en');
    await page.getByRole('button', { name: '日本語', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'プロフィール' }).waitFor();

    // A traveler has no company screens.
    assert.equal(await page.getByRole('button', { name: 'プログラム' }).count(), 0);
    await page.goto(`${product.url}/company/settings/integrations/calendar/outlook`);
    await page.getByRole('heading', { level: 1, name: 'このページを表示する権限がありません' }).waitFor();
    assert.equal(await page.getByRole('dialog').count(), 0);
    await screen(page, 'company-forbidden-ja');
    assert.equal((await json(page, '/api/company/calendars')).status, 403);
    assert.equal((await json(page, '/api/company/calendars/outlook')).status, 403);

    await page.goto(`${product.url}/no/such/page`);
    await page.getByRole('heading', { level: 1, name: 'ページが見つかりません' }).waitFor();
    await screen(page, 'not-found-ja');

    await page.getByRole('button', { name: '山田 太郎' }).click();
    await page.getByRole('menuitem', { name: 'ログアウト', exact: true }).click();
    await page.getByRole('heading', { level: 1, name: 'ログイン' }).waitFor();
    assert.equal((await json(page, '/api/me')).status, 401);

    // Emily's setting is English: the app follows it, whatever the browser's language.
    await logIn(page, product, EMILY, JA);
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await page.getByRole('region', { name: 'Past trips' }).getByRole('link', { name: 'San Francisco customer day' }).waitFor();
    await screen(page, 'home-en-traveler');
    await page.getByRole('region', { name: 'Upcoming trips' }).getByRole('link', { name: 'Tokyo headquarters visit' }).click();
    const flight = page.getByRole('listitem', { name: /NH 5 LAX → HND/ });
    await flight.getByText(/Pacific (Standard|Daylight) Time/).waitFor();
    await flight.getByText(/Japan Standard Time/).waitFor();
    await screen(page, 'trip-en');
  });

  it('never shows one company its neighbour’s screens or data', async () => {
    const page = await open('en-US');
    await logIn(page, product, MORGAN, EN);
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    const trips = await json<{ trips: Array<{ bookingRef: string }> }>(page, '/api/trips');
    assert.equal(trips.status, 200);
    assert.deepEqual(trips.body.trips.filter((t) => t.bookingRef.startsWith('DEMO-')), []);

    // Taro's trip, by its id: not found, on screen and through the API, .ics included.
    await page.goto(`${product.url}/trips/${taroTripId}`);
    await page.getByRole('heading', { level: 1, name: 'Page not found' }).waitFor();
    assert.equal(await page.getByText('大阪出張').count(), 0);
    await screen(page, 'other-company-trip-en');
    assert.equal((await json(page, `/api/trips/${taroTripId}`)).status, 404);
    assert.equal((await page.request.get(`${product.url}/api/trips/${taroTripId}/itinerary.ics`)).status(), 404);

    // Maple's admin sees Maple's travelers only.
    const status = await json<{ travelers: Array<{ email: string }> }>(page, '/api/company/calendars/outlook');
    assert.equal(status.status, 200);
    assert.ok(status.body.travelers.length > 0);
    for (const t of status.body.travelers) assert.match(t.email, /@maple-logistics\.example$/);
    const dialog = await openOutlookDialog(page, { program: 'Program', company: 'Company', settings: 'Settings', integrations: 'Integrations', calendar: 'Calendar', row: 'Outlook calendar integration', manage: 'Manage' }, 'maple');
    await dialog.getByRole('table', { name: 'Status of each traveler' }).getByText('ken.ito@maple-logistics.example').waitFor();
    assert.equal(await dialog.getByText(/sakura-trading/).count(), 0);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
  });

  it('Japanese: the source document end to end (admin consent, connect, sync on, a traveler connects from the home prompt)', async () => {
    const L = { program: 'プログラム', company: '会社', settings: '設定', integrations: '連携', calendar: 'カレンダー', row: 'Outlookカレンダー連携', manage: '管理' };
    const admin = await open('ja-JP');
    await logIn(admin, product, HANAKO, JA);
    await admin.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
    await screen(admin, 'home-ja-admin');

    // 1. The link for the Entra administrator.
    let dialog = await openOutlookDialog(admin, L, 'ja');
    await dialog.getByRole('region', { name: '下記のリンクを利用してアクセスを承認' }).waitFor();
    await dialog.getByText('組織を代表して同意する', { exact: false }).first().waitFor();
    const field = dialog.getByRole('textbox', { name: 'アクセス承認用リンク' });
    assert.equal(await field.getAttribute('readonly'), '');
    const link = await poll('the access approval link', async () => (await field.inputValue()) || undefined);
    assert.match(link, /^https:\/\/localhost:\d+\/.+adminconsent\?/);
    assert.equal(await dialog.getByRole('switch', { name: 'カレンダー同期' }).isDisabled(), true, 'no sync before consent and connection');
    await screen(admin, 'outlook-dialog-ja');
    await dialog.getByRole('button', { name: /コピー/ }).click();
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), link);

    // 2. The Entra administrator opens it, consents on behalf of the organisation, 承認.
    const entra = await open('ja-JP');
    await entra.goto(link);
    await sandboxSignIn(entra, SAKURA_ENTRA_ADMIN);
    const onBehalf = entra.getByLabel('組織を代表して同意する');
    await onBehalf.waitFor();
    await onBehalf.check();
    await foreignScreen(entra, 'sandbox-admin-consent-ja');
    await entra.getByRole('button', { name: '承認', exact: true }).click();
    await entra.waitForURL((u) => u.href.startsWith(product.url));
    await foreignScreen(entra, 'consent-callback-ja');

    // 3. Back on the same page: Outlookカレンダーと接続, then カレンダー同期.
    await admin.reload();
    dialog = await reopenDialogIfClosed(admin, L);
    // The consent redirect's tenant is a claim: 未承認 until the admin's own sign-in proves it.
    await dialog.getByTestId('grant-status').getByText('未承認').waitFor();
    await dialog.getByRole('button', { name: 'Outlookカレンダーと接続', exact: true }).click();
    await sandboxSignIn(admin, HANAKO);
    await admin.waitForURL((u) => u.href.startsWith(product.url));
    await admin.getByTestId('calendar-notice').getByText('Outlookカレンダーと接続しました').waitFor();
    dialog = await reopenDialogIfClosed(admin, L);
    await dialog.getByTestId('grant-status').getByText('承認済み').waitFor();
    await dialog.getByTestId('connected-by').getByText(/佐藤 花子/).waitFor();
    const sync = dialog.getByRole('switch', { name: 'カレンダー同期' });
    assert.equal(await sync.isChecked(), false);
    await sync.click({ force: true });
    await poll('sync on', async () => sync.isChecked());
    await screen(admin, 'outlook-dialog-ja-sync-on');

    // A traveler: the home screen offers Outlookカレンダーと接続.
    const traveler = await open('ja-JP');
    await logIn(traveler, product, TARO, JA);
    const prompt = traveler.getByRole('region', { name: '予約をOutlookカレンダーに自動で追加' });
    await prompt.waitFor();
    await screen(traveler, 'home-ja-prompt');
    await prompt.getByRole('button', { name: 'Outlookカレンダーと接続', exact: true }).click();
    await sandboxSignIn(traveler, TARO);
    await traveler.waitForURL((u) => u.href.startsWith(product.url));
    await traveler.getByTestId('calendar-notice').waitFor();
    assert.equal(await traveler.getByRole('region', { name: '予約をOutlookカレンダーに自動で追加' }).count(), 0);
    await screen(traveler, 'home-ja-connected');

    // Backfill: his three segments, tentative, in his calendar.
    const events = await poll('Taro’s events', async () => {
      const e = await mailboxEvents(product, TARO);
      return e.length >= 3 ? e : undefined;
    });
    assert.equal(events.length, 3);
    for (const e of events) assert.equal(e.showAs, 'tentative');
    await traveler.goto(`${product.sandboxUrl}/_sandbox/calendar/${encodeURIComponent(TARO)}`);
    await traveler.getByText(/のぞみ 15号/).first().waitFor();
    assert.ok((await traveler.locator('article[data-show-as="tentative"]').count()) >= 3);
    await traveler.getByText('仮の予定').first().waitFor();
    await foreignScreen(traveler, 'sandbox-calendar-taro');

    await traveler.goto(`${product.url}/trips/${taroTripId}`);
    await poll('segments synced', async () => {
      await traveler.reload();
      await traveler.getByRole('heading', { level: 1, name: '大阪出張' }).waitFor();
      return (await traveler.getByText('Outlookカレンダー: 同期済み').count()) === 3;
    });
    await screen(traveler, 'trip-ja-synced');

    await admin.reload();
    dialog = await reopenDialogIfClosed(admin, L);
    await dialog.getByTestId(`traveler-${TARO}`).getByText('接続済み').waitFor();
    assert.equal(await dialog.getByTestId('company-policy-count').textContent(), '（うち会社のサインインポリシーによる失効 0 人）');
    assert.equal(await dialog.getByText(/maple-logistics/).count(), 0, 'no other company’s people');
    await screen(admin, 'outlook-dialog-ja-travelers');
  });

  it('English: the same steps for Maple Logistics, and Emily connects from the home prompt', async () => {
    const L = { program: 'Program', company: 'Company', settings: 'Settings', integrations: 'Integrations', calendar: 'Calendar', row: 'Outlook calendar integration', manage: 'Manage' };
    const admin = await open('en-US');
    await logIn(admin, product, MORGAN, EN);
    let dialog = await openOutlookDialog(admin, L, 'en');
    await dialog.getByRole('region', { name: 'Approve access using the link below' }).waitFor();
    const field = dialog.getByRole('textbox', { name: 'Access approval link' });
    const link = await poll('the access approval link', async () => (await field.inputValue()) || undefined);
    await screen(admin, 'outlook-dialog-en');
    await dialog.getByRole('button', { name: /Copy/ }).click();
    assert.equal(await admin.evaluate(() => navigator.clipboard.readText()), link);

    const entra = await open('en-US');
    await entra.goto(link);
    await sandboxSignIn(entra, MAPLE_ENTRA_ADMIN);
    await entra.getByLabel('Consent on behalf of your organization').check();
    await foreignScreen(entra, 'sandbox-admin-consent-en');
    await entra.getByRole('button', { name: 'Accept', exact: true }).click();
    await entra.waitForURL((u) => u.href.startsWith(product.url));

    await admin.reload();
    dialog = await reopenDialogIfClosed(admin, L);
    await dialog.getByRole('button', { name: 'Connect to Outlook calendar', exact: true }).click();
    await sandboxSignIn(admin, MORGAN);
    await admin.waitForURL((u) => u.href.startsWith(product.url));
    dialog = await reopenDialogIfClosed(admin, L);
    await dialog.getByTestId('grant-status').getByText(/^Approved/).waitFor();
    await dialog.getByTestId('connected-by').getByText(/Morgan Lee/).waitFor();
    const sync = dialog.getByRole('switch', { name: 'Calendar sync' });
    await sync.click({ force: true });
    await poll('sync on', async () => sync.isChecked());
    await screen(admin, 'outlook-dialog-en-sync-on');

    // Emily (Sakura Trading, English): the prompt on her home screen.
    const traveler = await open('en-US');
    await logIn(traveler, product, EMILY, EN);
    const prompt = traveler.getByRole('region', { name: 'Add your bookings to Outlook automatically' });
    await prompt.waitFor();
    await screen(traveler, 'home-en-prompt');
    await prompt.getByRole('button', { name: 'Connect to Outlook calendar', exact: true }).click();
    await sandboxSignIn(traveler, EMILY);
    await traveler.waitForURL((u) => u.href.startsWith(product.url));
    await traveler.getByTestId('calendar-notice').getByText('Connected to the Outlook calendar.').waitFor();
    await screen(traveler, 'home-en-connected');

    // Upcoming and past bookings alike: the round trip (3) and the past car rental (1).
    const events = await poll('Emily’s events', async () => {
      const e = await mailboxEvents(product, EMILY);
      return e.length >= 4 ? e : undefined;
    });
    assert.equal(events.length, 4);
    for (const e of events) assert.equal(e.showAs, 'tentative');
    await traveler.goto(`${product.sandboxUrl}/_sandbox/calendar/${encodeURIComponent(EMILY)}`);
    await traveler.getByText('Tentative').first().waitFor();
    await foreignScreen(traveler, 'sandbox-calendar-emily');

    // My profile → Connected apps → the Outlook tile shows the account.
    await traveler.goto(product.url);
    await traveler.getByRole('button', { name: 'Emily Clark' }).click();
    await traveler.getByRole('menuitem', { name: 'My profile', exact: true }).click();
    await traveler.getByRole('link', { name: 'Connected apps', exact: true }).click();
    const tile = traveler.getByRole('region', { name: 'Outlook', exact: true });
    await tile.getByText('Connected', { exact: true }).waitFor();
    await tile.getByText(new RegExp(EMILY.replace(/\./g, '\\.'))).waitFor();
    await screen(traveler, 'profile-connected-apps-en-connected');

    // Disconnect, removing our events; the prompt comes back; closed by mistake, it stays closed,
    // and the Outlook tile on Connected apps connects again (the source document's note).
    await tile.getByRole('checkbox', { name: 'Also remove the events this app created from Outlook' }).check({ force: true });
    await tile.getByRole('button', { name: 'Disconnect', exact: true }).click();
    await tile.getByText('Disconnected', { exact: true }).first().waitFor();
    await poll('events removed', async () => (await mailboxEvents(product, EMILY)).length === 0);
    await traveler.getByRole('link', { name: 'Home', exact: true }).click();
    const again = traveler.getByRole('region', { name: 'Add your bookings to Outlook automatically' });
    await again.getByRole('button', { name: 'Close this message', exact: true }).click();
    await again.waitFor({ state: 'detached' });
    await traveler.reload();
    await traveler.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await traveler.getByRole('region', { name: 'Upcoming trips' }).waitFor();
    assert.equal(await again.count(), 0, 'a dismissed prompt stays dismissed');
    await traveler.getByRole('button', { name: 'Emily Clark' }).click();
    await traveler.getByRole('menuitem', { name: 'My profile', exact: true }).click();
    await traveler.getByRole('link', { name: 'Connected apps', exact: true }).click();
    await tile.getByRole('button', { name: 'Connect to Outlook calendar', exact: true }).click();
    await sandboxSignIn(traveler, EMILY);
    // Connected from the tile: back on Connected apps (not the home screen), with the notice.
    await traveler.waitForURL((u) => u.href.startsWith(product.url) && u.pathname === '/profile/connected-apps');
    await traveler.getByTestId('calendar-notice').getByText('Connected to the Outlook calendar.').waitFor();
    await tile.getByText('Connected', { exact: true }).waitFor();
    await poll('Emily’s events again', async () => (await mailboxEvents(product, EMILY)).length === 4);
  });

  it('a traveler whose token lapsed (91 idle days) reconnects from the home screen, with no duplicates; a dismissed prompt comes back after a lapse', async () => {
    const res = await product.sandbox.post('/_sandbox/clock/advance', { data: { days: 91 } });
    assert.equal(res.status(), 200);

    // The booking engine changes Taro's trip (the development page, the demo company admin's,
    // calls the booking API with the company's key): the sync that follows finds the refresh
    // token expired.
    const admin = await open('ja-JP');
    await logIn(admin, product, HANAKO, JA);
    await admin.goto(`${product.url}/dev/bookings`);
    await admin.getByRole('textbox', { name: '予約番号' }).fill('DEMO-OSA-1');
    await admin.getByRole('button', { name: '読み込む', exact: true }).click();
    await admin.getByRole('button', { name: '1時間後に変更: R1', exact: true }).click();
    await admin.getByRole('status').getByText(/予約APIが変更を受け付けました/).waitFor();
    await screen(admin, 'dev-bookings-ja');
    // Emily's booking changes too (any booking reference can be typed in).
    await admin.getByRole('textbox', { name: '予約番号' }).fill('DEMO-LAX-1');
    await admin.getByRole('button', { name: '読み込む', exact: true }).click();
    await admin.getByRole('button', { name: '1時間後に変更: F1', exact: true }).click();
    await admin.getByRole('status').getByText(/予約APIが変更を受け付けました/).waitFor();

    const traveler = await open('ja-JP');
    await logIn(traveler, product, TARO, JA);

    const status = await poll('Taro lapsed', async () => {
      const s = await json<{ status: string; reason?: string; showConnectPrompt: boolean }>(traveler, '/api/me/calendars/outlook');
      return s.body.status === 'lapsed' || s.body.status === 'revoked' ? s.body : undefined;
    }, 45_000);
    assert.equal(status.showConnectPrompt, true);

    // The company admin sees him lapsed, and why.
    await admin.goto(`${product.url}/company/settings/integrations/calendar/outlook`);
    const row = admin.getByRole('dialog', { name: 'Outlookカレンダー連携' }).getByTestId(`traveler-${TARO}`);
    await row.getByText(/失効/).waitFor();
    assert.match((await row.textContent())!, /90日間使われなかったため、Microsoftとの接続が切れました|OBTに90日間ログインしなかった/);
    await screen(admin, 'outlook-dialog-ja-lapsed');

    await traveler.goto(product.url);
    const prompt = traveler.getByRole('region', { name: 'Outlookカレンダーとの接続の有効期限が切れました' });
    await prompt.waitFor();
    await screen(traveler, 'home-ja-lapsed');
    await prompt.getByRole('button', { name: 'Outlookカレンダーと接続', exact: true }).click();
    await sandboxSignIn(traveler, TARO);
    await traveler.waitForURL((u) => u.href.startsWith(product.url));
    await traveler.getByTestId('calendar-notice').waitFor();
    assert.equal(await traveler.getByRole('button', { name: 'Outlookカレンダーと接続' }).count(), 0);

    // A complete calendar again: one event per segment, R1 an hour later, nothing doubled.
    // Emily closed her prompt earlier: after a lapse it is back.
    const emily = await open('en-US');
    await logIn(emily, product, EMILY, EN);
    await poll('Emily lapsed', async () => {
      const s = await json<{ status: string }>(emily, '/api/me/calendars/outlook');
      return s.body.status === 'lapsed' || s.body.status === 'revoked';
    }, 45_000);
    await emily.reload();
    await emily.getByRole('region', { name: 'Your connection to the Outlook calendar has expired' }).getByRole('button', { name: 'Connect to Outlook calendar', exact: true }).waitFor();
    await screen(emily, 'home-en-lapsed');

    const events = await poll('Taro’s calendar after reconnecting', async () => {
      const e = await mailboxEvents(product, TARO);
      const r1 = e.find((x) => /のぞみ 15号/.test(x.subject ?? '') && JSON.stringify(x).includes('T09:00'));
      return e.length === 3 && r1 ? e : undefined;
    }, 45_000);
    assert.equal(events.length, 3);
    for (const e of events) assert.equal(e.showAs, 'tentative');

    // The booking engine cancels the return train: its event leaves the calendar.
    await admin.goto(`${product.url}/dev/bookings`);
    await admin.getByRole('textbox', { name: '予約番号' }).fill('DEMO-OSA-1');
    await admin.getByRole('button', { name: '読み込む', exact: true }).click();
    await admin.getByRole('button', { name: '区間をキャンセル: R2', exact: true }).click();
    await admin.getByRole('status').getByText(/予約APIが変更を受け付けました/).waitFor();
    await poll('the cancelled train gone', async () => (await mailboxEvents(product, TARO)).length === 2, 30_000);

    await admin.goto(`${product.url}/dev/outbox`);
    const latest = admin.getByRole('row', { name: /大阪出張|DEMO-OSA-1/ }).first();
    await latest.waitFor();
    const icsLink = latest.getByRole('link', { name: /\.ics$/ }).first();
    const icsRes = await admin.request.get(new URL((await icsLink.getAttribute('href'))!, product.url).href);
    assert.equal(icsRes.status(), 200);
    assert.match(await icsRes.text(), /BEGIN:VCALENDAR/);
    await screen(admin, 'dev-outbox-ja');

    // Sakura's Conditional Access now asks Taro for MFA: his next token refresh is refused, he
    // lapses for the company's policy, and the admin's summary counts him apart.
    assert.equal((await product.sandbox.put(`/_sandbox/users/${encodeURIComponent(TARO)}/settings`, { data: { conditionalAccess: 'mfa' } })).status(), 200);
    assert.equal((await product.sandbox.post('/_sandbox/clock/advance', { data: { hours: 2 } })).status(), 200);
    await admin.goto(`${product.url}/dev/bookings`);
    await admin.getByRole('textbox', { name: '予約番号' }).fill('DEMO-OSA-1');
    await admin.getByRole('button', { name: '読み込む', exact: true }).click();
    await admin.getByRole('button', { name: '区間をキャンセル: H1', exact: true }).click();
    await admin.getByRole('status').getByText(/予約APIが変更を受け付けました/).waitFor();
    await poll('Taro lapsed for the company policy', async () => {
      const s = await json<{ status: string; reason?: string }>(traveler, '/api/me/calendars/outlook');
      return s.body.status === 'lapsed' && s.body.reason?.startsWith('company_policy') ? true : undefined;
    }, 45_000);
    await admin.goto(`${product.url}/company/settings/integrations/calendar/outlook`);
    const policyCount = admin.getByRole('dialog', { name: 'Outlookカレンダー連携' }).getByTestId('company-policy-count');
    await policyCount.getByText('（うち会社のサインインポリシーによる失効 1 人）', { exact: true }).waitFor();
    await screen(admin, 'outlook-dialog-ja-company-policy');

    // The app's client secret expires at Microsoft: the next sync that needs a token is refused
    // (AADSTS7000222), and the company admin sees, without jargon, that sync is paused on our side.
    const clientId = (await (await product.sandbox.get('/_sandbox/info')).json()).apps[0].clientId as string;
    // First Taro, allowed again by the policy, reconnects from the home prompt.
    assert.equal((await product.sandbox.put(`/_sandbox/users/${encodeURIComponent(TARO)}/settings`, { data: { conditionalAccess: 'none' } })).status(), 200);
    await traveler.goto(product.url);
    await traveler.getByRole('region', { name: 'Outlookカレンダーとの接続の有効期限が切れました' }).getByRole('button', { name: 'Outlookカレンダーと接続', exact: true }).click();
    await sandboxSignIn(traveler, TARO);
    await traveler.waitForURL((u) => u.href.startsWith(product.url));
    await poll('Taro connected again', async () => ((await json<{ status: string }>(traveler, '/api/me/calendars/outlook')).body.status === 'connected' ? true : undefined));
    assert.equal((await product.sandbox.put(`/_sandbox/apps/${clientId}/settings`, { data: { secretExpired: true } })).status(), 200);
    assert.equal((await product.sandbox.post('/_sandbox/clock/advance', { data: { hours: 2 } })).status(), 200);
    await admin.goto(`${product.url}/dev/bookings`);
    await admin.getByRole('textbox', { name: '予約番号' }).fill('DEMO-OSA-1');
    await admin.getByRole('button', { name: '読み込む', exact: true }).click();
    await admin.getByRole('button', { name: '区間をキャンセル: R1', exact: true }).click();
    await admin.getByRole('status').getByText(/予約APIが変更を受け付けました/).waitFor();
    await poll('the operator alarm', async () => {
      const h = await (await admin.request.get(`${product.url}/healthz`)).json() as { status?: string };
      return h.status === 'degraded' ? true : undefined;
    }, 45_000);
    await admin.goto(`${product.url}/company/settings/integrations/calendar/outlook`);
    const banner = admin.getByRole('dialog', { name: 'Outlookカレンダー連携' }).getByRole('alert').filter({ has: admin.getByRole('heading', { name: 'カレンダー同期を一時停止しています' }) });
    await banner.waitFor();
    assert.match((await banner.textContent())!, /tripcal側の問題により、.+から予約がカレンダーに反映されていません。/);
    assert.doesNotMatch((await banner.textContent())!, /AADSTS|secret|シークレット/);
    await screen(admin, 'outlook-dialog-ja-operator-alarm');
    // The company overview and the Integrations page say it too, naming the provider.
    for (const page of ['/company', '/company/settings/integrations/calendar']) {
      await admin.goto(`${product.url}${page}`);
      const named = admin.getByRole('alert').filter({ has: admin.getByRole('heading', { name: 'Outlookカレンダー連携のカレンダー同期を一時停止しています' }) });
      await named.waitFor();
      assert.doesNotMatch((await named.textContent())!, /AADSTS|secret|シークレット/);
    }
    await screen(admin, 'integrations-ja-operator-alarm');
    await product.sandbox.put(`/_sandbox/apps/${clientId}/settings`, { data: { secretExpired: false } });
  });
});
