// The CalDAV row and connect form of the web app in Debian's Chromium, in Japanese and English, at
// desktop width and on a 390 px phone, against the product as `npm start` runs it and a Radicale
// server the test starts (each traveler an account there with two calendars). The admin turns
// CalDAV sync on in the company's dialog; a traveler reads the iCloud app-specific-password
// advice, types the server's address (discovery finds the calendars), a username and a wrong
// password (a sentence in their language), then the right one, chooses a calendar, and the demo
// trips arrive in that calendar only. Every screen of ours passes axe-core and the translation check.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { startRadicale, type CalDavServer } from '../support/caldav-servers.ts';
import { ChromiumPages, EMILY, HANAKO, logIn, LOGIN_EN as EN, LOGIN_JA as JA, poll, screen, startProduct, TARO, type Product } from './helpers.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };
/** The travelers' accounts on the CalDAV server, with app-specific passwords. */
const DAV = { taro: 'taro-app-pass-0001', emily: 'emily-app-pass-0001' };

let product: Product;
let dav: CalDavServer;
const pages = new ChromiumPages();
const calendars: Record<string, { work: string; family: string }> = {};

const open = (locale: 'ja-JP' | 'en-US') => pages.open(locale);

/** How many events a calendar collection holds, as its owner reads it (REPORT calendar-query). */
async function eventCount(url: string, user: keyof typeof DAV): Promise<number> {
  const res = await fetch(url, {
    method: 'REPORT', headers: { authorization: `Basic ${Buffer.from(`${user}:${DAV[user]}`).toString('base64')}`, depth: '1', 'content-type': 'application/xml' },
    body: '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR"><c:comp-filter name="VEVENT"/></c:comp-filter></c:filter></c:calendar-query>',
  });
  assert.equal(res.status, 207);
  return [...(await res.text()).matchAll(/BEGIN:VEVENT/g)].length;
}

/** Nothing on the page is wider than the viewport (no sideways scrolling on a phone). */
async function fitsWidth(page: Page): Promise<void> {
  const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
  assert.ok(scroll <= width, `the page is ${scroll} px wide in a ${width} px viewport`);
}

interface Words {
  tile: string;
  connect: string;
  server: string;
  username: string;
  password: string;
  /** The iCloud advice: where an app-specific password is made, and that the Apple ID password is not it. */
  advice: RegExp[];
  refused: string;
  choose: string;
  use: string;
  work: string;
  family: string;
  connected: string;
}

const WORDS: Record<'ja' | 'en', Words> = {
  ja: {
    tile: 'CalDAV (iCloud・Fastmail・Nextcloud)', connect: 'CalDAVカレンダーと接続', server: 'サーバーのアドレス', username: 'ユーザー名', password: 'アプリ用パスワード',
    advice: [/https:\/\/caldav\.icloud\.com/, /Apple IDのパスワードではなく/, /account\.apple\.com の「サインインとセキュリティ」→「アプリ用パスワード」/],
    refused: 'サーバーがこのユーザー名とパスワードを拒否しました。入力内容を確認し、サービスが求める場合はアプリ用パスワードを使用してください。',
    choose: '出張予定を追加するカレンダー', use: 'このカレンダーを使用', work: '仕事', family: '家族', connected: '接続済み',
  },
  en: {
    tile: 'CalDAV (iCloud, Fastmail, Nextcloud)', connect: 'Connect to a CalDAV calendar', server: 'Server address', username: 'Username', password: 'App-specific password',
    advice: [/https:\/\/caldav\.icloud\.com/, /do not use your Apple ID password/, /account\.apple\.com, under Sign-In and Security → App-Specific Passwords/],
    refused: 'The server refused this username and password. Check them, and use an app-specific password where your service asks for one.',
    choose: 'Calendar to add your trips to', use: 'Use this calendar', work: 'Work', family: 'Family', connected: 'Connected',
  },
};

/**
 * A traveler connects from Connected apps: the wrong password at `first` width, the right one and
 * the calendar's choice at the other; screenshots and checks of both widths at each state.
 */
async function connectFromTile(page: Page, lang: 'ja' | 'en', user: keyof typeof DAV, first: 'desktop' | 'phone') {
  const w = WORDS[lang];
  const widths = first === 'desktop' ? [DESKTOP, PHONE] : [PHONE, DESKTOP];
  const both = async (name: string) => {
    for (const size of [widths[0]!, widths[1]!]) {
      await page.setViewportSize(size);
      await screen(page, `${name}-${size.width}`);
      if (size === PHONE) await fitsWidth(page);
    }
    await page.setViewportSize(widths[0]!);
  };
  await page.setViewportSize(widths[0]!);
  await page.goto(`${product.url}/profile/connected-apps`);
  const tile = page.getByRole('region', { name: w.tile, exact: true });
  const form = tile.getByRole('form', { name: w.connect });
  await form.waitFor();
  const text = (await form.textContent()) ?? '';
  for (const advice of w.advice) assert.match(text, advice);
  await both(`caldav-form-${lang}`);

  // The server's root address only: the calendars are found by discovery (RFC 6764).
  await form.getByRole('textbox', { name: w.server }).fill(dav.url);
  await form.getByRole('textbox', { name: w.username }).fill(user);
  await form.getByLabel(w.password).fill('not-the-app-password');
  await form.getByRole('button', { name: w.connect, exact: true }).click();
  const alert = form.getByRole('alert');
  await alert.waitFor();
  assert.equal((await alert.textContent())?.trim(), w.refused);
  assert.equal(await form.getByLabel(w.password).getAttribute('aria-invalid'), 'true', 'the password field is the one marked');
  await both(`caldav-form-${lang}-wrong-password`);

  // Correcting the password clears the mark and lets the form be sent again.
  await page.setViewportSize(widths[1]!);
  await form.getByLabel(w.password).fill(DAV[user]);
  assert.notEqual(await form.getByLabel(w.password).getAttribute('aria-invalid'), 'true');
  await form.getByRole('button', { name: w.connect, exact: true }).click();
  const group = form.getByRole('radiogroup', { name: w.choose });
  await group.waitFor();
  assert.deepEqual((await group.getByRole('radio').evaluateAll((radios) => radios.map((r) => r.closest('label')?.textContent?.trim()))).sort(), [w.family, w.work].sort());
  assert.equal(await form.getByRole('alert').count(), 0, 'the error is gone');
  await screen(page, `caldav-form-${lang}-choose-${widths[1]!.width}`);
  if (widths[1] === PHONE) await fitsWidth(page);
  await group.getByText(w.work, { exact: true }).click();
  await form.getByRole('button', { name: w.use, exact: true }).click();
  await tile.getByTestId('calendar-status-caldav').getByText(w.connected, { exact: true }).waitFor();
  await tile.getByText(user).first().waitFor();
  await screen(page, `caldav-tile-${lang}-connected-${widths[1]!.width}`);

  // The traveler's demo trips reach the chosen calendar, and only it.
  await poll(`${user}'s trips in the chosen calendar`, async () => (await eventCount(calendars[user]!.work, user)) >= 1);
  assert.equal(await eventCount(calendars[user]!.family, user), 0, 'the other calendar is left alone');
}

describe('web app in Chromium: CalDAV', { concurrency: false }, () => {
  before(async () => {
    dav = await startRadicale(DAV);
    calendars.taro = { work: await dav.makeCalendar('taro', DAV.taro, 'work', '仕事'), family: await dav.makeCalendar('taro', DAV.taro, 'family', '家族') };
    calendars.emily = { work: await dav.makeCalendar('emily', DAV.emily, 'work', 'Work'), family: await dav.makeCalendar('emily', DAV.emily, 'family', 'Family') };
    product = await startProduct();
    await pages.launch();
  });

  after(async () => {
    await pages.close();
    await product?.stop();
    await dav?.stop();
  });

  it('Japanese: the admin turns CalDAV sync on in CalDAVカレンダー連携, with no calendar of their own to connect first', async () => {
    const admin = await open('ja-JP');
    await logIn(admin, product, HANAKO, JA);
    await admin.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
    await admin.getByRole('button', { name: 'プログラム', exact: true }).click();
    await admin.getByRole('menuitem', { name: '会社', exact: true }).click();
    await admin.getByRole('heading', { level: 1, name: '会社' }).waitFor();
    await admin.getByRole('button', { name: '設定', exact: true }).click();
    await admin.getByRole('link', { name: '連携', exact: true }).click();
    await admin.getByRole('tab', { name: 'カレンダー', exact: true }).click();
    await admin.getByRole('row', { name: /CalDAVカレンダー連携/ }).getByRole('button', { name: '管理', exact: true }).click();
    const dialog = admin.getByRole('dialog', { name: 'CalDAVカレンダー連携' });
    await dialog.waitFor();
    // Each traveler connects their own server: the dialog asks the admin for no connection of theirs.
    assert.equal(await dialog.getByRole('button', { name: 'CalDAVカレンダーと接続', exact: true }).count(), 0);
    const sync = dialog.getByRole('switch', { name: 'カレンダー同期' });
    assert.equal(await sync.isDisabled(), false, 'the switch can be turned on');
    await screen(admin, 'caldav-dialog-ja');
    await sync.click({ force: true });
    await poll('CalDAV sync on', async () => sync.isChecked());
    await dialog.getByTestId('sync-confirmation').getByText(/カレンダー同期をオンにしました/).waitFor();
    await screen(admin, 'caldav-dialog-ja-sync-on');
  });

  it('Japanese (desktop, then 390 px): Taro connects his CalDAV calendar from 接続済みアプリ', async () => {
    const page = await open('ja-JP');
    await logIn(page, product, TARO, JA);
    await page.getByRole('heading', { level: 1, name: 'ホーム' }).waitFor();
    await connectFromTile(page, 'ja', 'taro', 'desktop');
  });

  it('English (390 px, then desktop): Emily connects hers from Connected apps', async () => {
    const page = await open('en-US');
    await logIn(page, product, EMILY, EN);
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    await connectFromTile(page, 'en', 'emily', 'phone');
  });
});
