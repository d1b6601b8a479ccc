// The カレンダーフィード / Calendar feed tile in Debian's Chromium, in Japanese at desktop width and
// in English on a 390 px phone (each screen also checked at the other width), against the product
// as `npm start` runs it: how often calendar apps refresh a subscription and that a connected
// calendar is the way to changes within a minute; turning the feed on shows a private address (and
// a webcal:// link) that serves the traveler's trips as a calendar ical.js reads, answers 304 to
// its ETag, stops at once when a new address is made, and stops for good when the feed is off.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import ICAL from 'ical.js';
import type { Page } from 'playwright-core';
import { ChromiumPages, EMILY, logIn, screen, startProduct, TARO, type Product } from './helpers.ts';

const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

const WORDS = {
  ja: {
    login: { email: 'メールアドレス', password: 'パスワード', submit: 'ログイン' }, home: 'ホーム',
    tile: 'カレンダーフィード', enable: 'カレンダーフィードをオンにする', address: 'フィードのアドレス', open: 'カレンダーアプリで開く', replace: '新しいアドレスを作成', disable: 'オフにする',
    refresh: ['Googleカレンダーは独自の間隔で購読を更新します。通常は数時間ごとで、1日ほどかかることもあります。', 'Outlook on the webは約3時間ごとに更新します。', 'Appleのカレンダーは、購読の設定で選んだ間隔で更新します（最短5分）。'],
    live: '変更を1分以内に反映させたい場合は、会社が提供していれば、このページのほかのタイルからカレンダーを接続してください。',
  },
  en: {
    login: { email: 'Email', password: 'Password', submit: 'Log in' }, home: 'Home',
    tile: 'Calendar feed', enable: 'Turn on calendar feed', address: 'Feed address', open: 'Open in calendar app', replace: 'Make a new address', disable: 'Turn off',
    refresh: ['Google Calendar refreshes a subscription on its own schedule, usually every few hours (sometimes up to a day).', 'Outlook on the web refreshes about every three hours.', 'Apple Calendar refreshes as often as you choose in the subscription\'s settings (every 5 minutes at the most).'],
    live: 'For changes that appear within a minute, connect your calendar with one of the other tiles on this page instead, where your company offers it.',
  },
} as const;

let product: Product;
const pages = new ChromiumPages();
const open = (locale: 'ja-JP' | 'en-US') => pages.open(locale);

/** Screenshots and checks at both widths (the first one last, to carry on with). */
async function bothWidths(page: Page, name: string, first: typeof DESKTOP): Promise<void> {
  for (const size of first === DESKTOP ? [PHONE, DESKTOP] : [DESKTOP, PHONE]) {
    await page.setViewportSize(size);
    await screen(page, `${name}-${size.width}`);
    if (size === PHONE) {
      const { scroll, width } = await page.evaluate(() => ({ scroll: document.documentElement.scrollWidth, width: window.innerWidth }));
      assert.ok(scroll <= width, `${name}: the page is ${scroll} px wide in a ${width} px viewport`);
    }
  }
}

async function feedTile(lang: 'ja' | 'en', email: string, first: typeof DESKTOP): Promise<void> {
  const w = WORDS[lang];
  const page = await open(lang === 'ja' ? 'ja-JP' : 'en-US');
  await page.setViewportSize(first);
  await logIn(page, product, email, w.login);
  await page.getByRole('heading', { level: 1, name: w.home }).waitFor();
  await page.goto(`${product.url}/profile/connected-apps`);
  const tile = page.getByRole('region', { name: w.tile, exact: true });
  await tile.waitFor();
  for (const sentence of [...w.refresh, w.live]) await tile.getByText(sentence, { exact: true }).waitFor();
  await bothWidths(page, `feed-${lang}-off`, first);

  await tile.getByRole('button', { name: w.enable, exact: true }).click();
  const address = tile.getByRole('textbox', { name: w.address });
  await address.waitFor();
  const url = await address.inputValue();
  assert.match(url, new RegExp(`^${product.url.replace(/[.]/g, '\\.')}/calendar-feed/[A-Za-z0-9_-]{40,}\\.ics$`));
  assert.equal(await tile.getByRole('link', { name: w.open }).getAttribute('href'), url.replace(/^https?:/, 'webcal:'));
  await bothWidths(page, `feed-${lang}-on`, first);

  // The address serves the traveler's trips, read back by an independent parser, and answers 304 to its ETag.
  const res = await fetch(url);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/calendar/);
  const events = new ICAL.Component(ICAL.parse(await res.text())).getAllSubcomponents('vevent');
  assert.ok(events.length >= 1, 'the demo trip is in the feed');
  assert.ok(events.every((e) => String(e.getFirstPropertyValue('uid')).endsWith('@tripcal')));
  const etag = res.headers.get('etag');
  assert.ok(etag);
  assert.equal((await fetch(url, { headers: { 'if-none-match': etag } })).status, 304);

  // A new address: the old one stops at once.
  await tile.getByRole('button', { name: w.replace, exact: true }).click();
  await page.waitForFunction(([id, old]) => (document.getElementById(id) as HTMLInputElement | null)?.value !== old, ['calendar-feed-https', url] as const);
  const renewed = await address.inputValue();
  assert.equal((await fetch(url)).status, 404);
  assert.equal((await fetch(renewed)).status, 200);

  // Off: the address stops, and the tile offers to turn it on again.
  await tile.getByRole('button', { name: w.disable, exact: true }).click();
  await tile.getByRole('button', { name: w.enable, exact: true }).waitFor();
  assert.equal((await fetch(renewed)).status, 404);
  await bothWidths(page, `feed-${lang}-turned-off`, first);
}

describe('web app in Chromium: the calendar feed tile', { concurrency: false }, () => {
  before(async () => {
    product = await startProduct();
    await pages.launch();
  });

  after(async () => {
    await pages.close();
    await product?.stop();
  });

  it('Japanese (desktop): カレンダーフィード on, its address served and replaced, then off', async () => {
    await feedTile('ja', TARO, DESKTOP);
  });

  it('English (390 px): Calendar feed on, its address served and replaced, then off', async () => {
    await feedTile('en', EMILY, PHONE);
  });
});
