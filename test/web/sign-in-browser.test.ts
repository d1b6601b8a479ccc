// 「Microsoftでサインイン」 / "Sign in with Microsoft" in Chromium, against the product as `npm
// start` runs it (the sandbox standing in for Microsoft): the button on the log-in page in both
// languages, the refusal in the user's language while the company's tenant is not proven, and,
// once the company admin has consented and connected, a traveler signed in by Microsoft alone.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ChromiumPages, EMILY, HANAKO, logIn, SAKURA_ENTRA_ADMIN, sandboxSignIn, screen, startProduct, TARO, type Product } from './helpers.ts';

const OPERATOR_TOKEN = 'op_sign-in-browser-test-0123456789';

let product: Product;
const pages = new ChromiumPages();
const open = (locale: 'ja-JP' | 'en-US') => pages.open(locale);

describe('Sign in with Microsoft in Chromium', { concurrency: false }, () => {
  before(async () => {
    product = await startProduct({ OPERATOR_TOKEN });
    await pages.launch();
  });
  after(async () => {
    await pages.close();
    await product?.stop();
  });

  it('ja: the button is on the log-in page; a company whose tenant is not proven gets a Japanese sentence, not Microsoft\'s text', async () => {
    const page = await open('ja-JP');
    await page.goto(`${product.url}/login`);
    await page.getByRole('heading', { level: 1, name: 'ログイン' }).waitFor();
    const button = page.getByRole('button', { name: 'Microsoftでサインイン', exact: true });
    await button.waitFor();
    await screen(page, 'login-microsoft-ja');
    await button.click();
    await sandboxSignIn(page, TARO);
    await page.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('signIn') === 'organization_not_proven');
    // Until the log-in page has the providers' names it shows the generic sentence ("this
    // account"); then it names Microsoft.
    const alert = page.getByRole('alert').filter({ hasText: 'このMicrosoftアカウントの組織は' });
    await alert.waitFor();
    assert.match((await alert.textContent())!, /このMicrosoftアカウントの組織は、まだ会社の組織として確認されていません/);
    assert.doesNotMatch((await alert.textContent())!, /AADSTS|[a-z]_[a-z]/);
    await screen(page, 'login-microsoft-refused-ja');
    assert.equal((await page.request.get(`${product.url}/api/me`)).status(), 401);
  });

  it('the invitation page offers it too, beside choosing a password', async () => {
    const res = await fetch(`${product.url}/api/operator/v1/companies`, {
      method: 'POST', headers: { authorization: `Bearer ${OPERATOR_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Kaede Travel', admin: { email: 'admin@kaede.example', name: '楓 一郎', locale: 'ja', timeZone: 'Asia/Tokyo' } }),
    });
    assert.equal(res.status, 201);
    const { admin } = (await res.json()) as { admin: { inviteUrl: string } };
    const page = await open('ja-JP');
    await page.goto(admin.inviteUrl);
    await page.getByLabel('新しいパスワード').waitFor();
    await page.getByRole('button', { name: 'Microsoftでサインイン', exact: true }).waitFor();
    await screen(page, 'invitation-microsoft-ja');
  });

  it('en: once the company admin has consented and connected, a traveler signs in with Microsoft alone', async () => {
    // The company admin's steps (Outlook calendar sync: consent, then connect), as the API offers them.
    const admin = await open('ja-JP');
    await logIn(admin, product, HANAKO, { email: 'メールアドレス', password: 'パスワード', submit: 'ログイン' });
    const origin = { origin: product.url };
    const link = (await (await admin.request.post(`${product.url}/api/company/calendars/outlook/grant-link`, { headers: origin })).json()) as { url: string };
    const entra = await open('ja-JP');
    await entra.goto(link.url);
    await sandboxSignIn(entra, SAKURA_ENTRA_ADMIN);
    await entra.getByLabel('組織を代表して同意する').check();
    await entra.getByRole('button', { name: '承認', exact: true }).click();
    await entra.waitForURL((u) => u.pathname.includes('/oauth/outlook/consent-callback'));
    const connect = (await (await admin.request.post(`${product.url}/api/company/calendars/outlook/connect`, { headers: origin })).json()) as { url: string };
    await admin.goto(connect.url);
    await sandboxSignIn(admin, HANAKO);
    await admin.waitForURL((u) => u.searchParams.get('result') === 'connected');

    const page = await open('en-US');
    await page.goto(`${product.url}/login`);
    await page.getByRole('heading', { level: 1, name: 'Log in' }).waitFor();
    const button = page.getByRole('button', { name: 'Sign in with Microsoft', exact: true });
    await screen(page, 'login-microsoft-en');
    await button.click();
    await sandboxSignIn(page, EMILY);
    await page.waitForURL((u) => u.origin === product.url && u.pathname === '/');
    await page.getByRole('heading', { level: 1, name: 'Home' }).waitFor();
    const me = (await (await page.request.get(`${product.url}/api/me`)).json()) as { user: { email: string } };
    assert.equal(me.user.email, EMILY);
    await screen(page, 'home-after-microsoft-sign-in-en');

    // A trip's link (as the itinerary email gives it) opened while logged out: the log-in page,
    // then Microsoft, then that trip.
    const { trips } = (await (await page.request.get(`${product.url}/api/trips`)).json()) as { trips: { id: string; title: string | null }[] };
    const trip = trips[0]!;
    const fresh = await open('en-US');
    await fresh.goto(`${product.url}/trips/${trip.id}`);
    await fresh.waitForURL((u) => u.pathname === '/login' && u.searchParams.get('next') === `/trips/${trip.id}`);
    await fresh.getByRole('button', { name: 'Sign in with Microsoft', exact: true }).click();
    await sandboxSignIn(fresh, EMILY);
    await fresh.waitForURL((u) => u.origin === product.url && u.pathname === `/trips/${trip.id}`);
    await fresh.getByRole('heading', { level: 1 }).filter({ hasText: trip.title ?? '' }).waitFor();
  });
});
