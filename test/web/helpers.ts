// Browser-test set-up: Debian's Chromium (installed here when missing, never downloaded by a test
// tool), the product started as `npm start` starts it (node src/main.ts, with the sandbox beside
// it) on free ports and a fresh data folder, screenshots under test-artifacts/web/, and an axe-core
// check plus a missing-translation check on every screen.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { npmStartNodeFlags } from '../support/npm-start.ts';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { chromium, request as playwrightRequest, type APIRequestContext, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'web');
export const CHROMIUM = '/usr/bin/chromium';
export const DEMO_PASSWORD = 'tripcal-demo';

function hasJapaneseFont(): boolean {
  try {
    return execFileSync('fc-list', [':lang=ja'], { encoding: 'utf8' }).trim() !== '';
  } catch {
    return false;
  }
}

/**
 * Installs Debian's chromium (and a Japanese font, so the screenshots of the Japanese screens can
 * be read) when missing. Throws, failing the tests, when that is impossible: nothing is skipped.
 */
export function ensureChromium(): void {
  const missing = [...(existsSync(CHROMIUM) ? [] : ['chromium']), ...(hasJapaneseFont() ? [] : ['fonts-ipafont-gothic'])];
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () => execFileSync('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { stdio: 'inherit', env, timeout: 600_000 });
  try {
    install();
  } catch {
    // The package lists may be missing or stale on a fresh machine.
    execFileSync('apt-get', ['update'], { stdio: 'inherit', env, timeout: 300_000 });
    install();
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium ran but ${CHROMIUM} is still missing`);
  if (!hasJapaneseFont()) throw new Error('apt-get install fonts-ipafont-gothic ran but fc-list knows no Japanese font');
}

/** Flags for Chromium on this machine: no sandbox as root, and no calls to Google's hosts. */
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
}

export async function newContext(browser: Browser, locale: 'ja-JP' | 'en-US'): Promise<BrowserContext> {
  // The sandbox speaks HTTPS with its own CA, as Microsoft's endpoints do; the browser is told to
  // accept it rather than installing the CA.
  const context = await browser.newContext({ locale, ignoreHTTPSErrors: true, viewport: { width: 1280, height: 900 } });
  await context.grantPermissions(['clipboard-read', 'clipboard-write']);
  context.setDefaultTimeout(15_000);
  return context;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

/** One Chromium for a test file; each page opened has a browser context of its own (cookies, locale). */
export class ChromiumPages {
  #browser: Browser | undefined;
  readonly #contexts: BrowserContext[] = [];

  async launch(): Promise<void> {
    ensureChromium();
    this.#browser = await launchBrowser();
  }

  async open(locale: 'ja-JP' | 'en-US'): Promise<Page> {
    if (!this.#browser) throw new Error('ChromiumPages: launch() first');
    const context = await newContext(this.#browser, locale);
    this.#contexts.push(context);
    return context.newPage();
  }

  async close(): Promise<void> {
    for (const c of this.#contexts) await c.close().catch(() => undefined);
    await this.#browser?.close();
  }
}

/** The demo companies' people (src/store/seed-demo.ts) and their Entra admins in the sandbox. */
export const HANAKO = 'hanako.sato@sakura-trading.example';
export const TARO = 'taro.yamada@sakura-trading.example';
export const EMILY = 'emily.clark@sakura-trading.example';
export const MORGAN = 'admin@maple-logistics.example';
export const SAKURA_ENTRA_ADMIN = 'it-admin@sakura-trading.example';
export const MAPLE_ENTRA_ADMIN = 'admin@maple-logistics.example';

/** The log-in form's labels (logIn). */
export const LOGIN_JA = { email: 'メールアドレス', password: 'パスワード', submit: 'ログイン' };
export const LOGIN_EN = { email: 'Email', password: 'Password', submit: 'Log in' };

export interface Product {
  url: string;
  sandboxUrl: string;
  /** The Google stand-in `npm start` runs beside the Microsoft one (unless Google's settings are given). */
  googleSandboxUrl: string;
  dataDir: string;
  /** The sandbox's control API (HTTPS with its CA accepted). */
  sandbox: APIRequestContext;
  output(): string;
  stop(): Promise<void>;
}

/** `npm start` in a fresh data folder on free ports: the product, its workers and the sandboxes. */
export async function startProduct(extraEnv: NodeJS.ProcessEnv = {}): Promise<Product> {
  if (!existsSync(path.join(ROOT, 'web', 'dist', 'index.html'))) {
    execFileSync(process.execPath, [path.join(ROOT, 'web', 'build.ts')], { cwd: ROOT, stdio: 'inherit' });
  }
  const [port, sandboxPort, googleSandboxPort] = [await freePort(), await freePort(), await freePort()];
  const dataDir = mkdtempSync(path.join(tmpdir(), 'tripcal-web-'));
  const url = `http://localhost:${port}`;
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), SANDBOX_PORT: String(sandboxPort), SANDBOX_GOOGLE_PORT: String(googleSandboxPort), HOST: '127.0.0.1', PUBLIC_URL: url, DATA_DIR: dataDir, SEED_DEMO: 'true' };
  for (const k of ['DATABASE_URL', 'SMTP_URL', 'MICROSOFT_CLIENT_ID', 'MICROSOFT_CLIENT_SECRET', 'GOOGLE_SERVICE_ACCOUNT_KEY_FILE', 'GOOGLE_CLIENT_ID', 'GOOGLE_CLIENT_SECRET', 'NODE_ENV']) delete env[k];
  Object.assign(env, extraEnv);
  const child: ChildProcess = spawn(process.execPath, [...npmStartNodeFlags(), path.join(ROOT, 'src', 'main.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  const deadline = Date.now() + 60_000;
  while (!/listening on/.test(output)) {
    if (child.exitCode !== null) throw new Error(`the product exited (${child.exitCode}):\n${output.slice(-3000)}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the product did not start within 60 s:\n${output.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const sandboxUrl = `https://localhost:${sandboxPort}`;
  const sandbox = await playwrightRequest.newContext({ baseURL: sandboxUrl, ignoreHTTPSErrors: true });
  return {
    url,
    sandboxUrl,
    googleSandboxUrl: `https://localhost:${googleSandboxPort}`,
    dataDir,
    sandbox,
    output: () => output,
    async stop() {
      await sandbox.dispose();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown; failureSummary?: string }>;
}

/** axe-core on the page as it stands: serious and critical violations (WCAG 2.1 A/AA rules). */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  const has = await page.evaluate(() => typeof (window as unknown as { axe?: unknown }).axe !== 'undefined');
  // Evaluated through the browser's devtools protocol, which the page's Content-Security-Policy
  // (script-src 'self') does not govern: the policy stays on for everything the app itself does.
  if (!has) await page.evaluate(AXE_SOURCE);
  const result = (await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: unknown[] }> } }).axe;
    return axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
  })) as { violations: AxeViolation[] };
  return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

let shotNumber = 0;

/** Screenshot of one of our screens, then the checks every screen must pass. */
export async function screen(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.waitForLoadState('networkidle').catch(() => undefined);
  await page.getByRole('status').filter({ hasText: /読み込み中|Loading/ }).first().waitFor({ state: 'detached', timeout: 10_000 }).catch(() => undefined);
  shotNumber += 1;
  const file = path.join(ARTIFACTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`);
  // A dialog scrolls inside the viewport: make the viewport as tall as the dialog for the picture.
  const viewport = page.viewportSize();
  const dialogHeight = await page.evaluate(() => {
    const d = document.querySelector('[role=dialog]');
    return d ? (d.parentElement ?? d).scrollHeight : 0;
  });
  if (viewport && dialogHeight + 80 > viewport.height) await page.setViewportSize({ width: viewport.width, height: dialogHeight + 80 });
  await page.screenshot({ path: file, fullPage: true });
  if (viewport && dialogHeight + 80 > viewport.height) await page.setViewportSize(viewport);
  const violations = await axeViolations(page);
  if (violations.length) {
    const detail = violations.map((v) => `${v.impact} ${v.id}: ${v.help}\n   ${v.nodes.slice(0, 3).map((n) => `${JSON.stringify(n.target)} ${n.failureSummary ?? ''}`).join('\n   ')}`).join('\n');
    throw new Error(`axe-core: serious/critical violations on ${name} (${page.url()}):\n${detail}`);
  }
  const missing = await page.evaluate(() => (window as unknown as { __i18nMissing?: string[] }).__i18nMissing ?? []);
  if (missing.length) throw new Error(`missing translations on ${name}: ${missing.join(', ')}`);
}

/** A screenshot of a page that is not ours (the sandbox's), without our checks. */
export async function foreignScreen(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  shotNumber += 1;
  await page.screenshot({ path: path.join(ARTIFACTS, `${String(shotNumber).padStart(2, '0')}-${name}.png`), fullPage: true });
}

export async function logIn(page: Page, product: Product, email: string, labels: { email: string; password: string; submit: string }): Promise<void> {
  await page.goto(`${product.url}/login`);
  await page.getByLabel(labels.email).fill(email);
  await page.getByLabel(labels.password).fill(DEMO_PASSWORD);
  await page.getByRole('button', { name: labels.submit, exact: true }).click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

/** On the sandbox's sign-in page: pick (or type) the account; accept a consent page if one shows. */
export async function sandboxSignIn(page: Page, upn: string): Promise<void> {
  await page.waitForURL((u) => u.port !== '' && u.protocol === 'https:');
  const account = page.getByRole('button', { name: new RegExp(upn.replace(/[.]/g, '\\.')) });
  if (await account.count()) {
    await account.first().click();
  } else {
    const typed = page.locator('#typed_login');
    if (await typed.count()) {
      await typed.fill(upn);
      await page.locator('button.primary').click();
    }
  }
}

export async function poll<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

export interface SandboxEvent {
  id: string;
  subject?: string;
  showAs?: string;
  isCancelled?: boolean;
  singleValueExtendedProperties?: Array<{ id: string; value: string }>;
}

export async function mailboxEvents(product: Product, upn: string): Promise<SandboxEvent[]> {
  const res = await product.sandbox.get(`/_sandbox/mailboxes/${encodeURIComponent(upn)}/events`);
  if (!res.ok()) throw new Error(`sandbox mailbox ${upn}: ${res.status()} ${await res.text()}`);
  return ((await res.json()) as { value: SandboxEvent[] }).value;
}

/** The element's text, character by character, with the screen line each is on (-1: not drawn, e.g. a space at a break). */
export async function charLines(locator: Locator): Promise<Array<[string, number]>> {
  return locator.evaluate((el) => {
    const out: Array<[string, number]> = [];
    const tops: number[] = [];
    const walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = node.textContent ?? '';
      for (let i = 0; i < text.length; i++) {
        const range = document.createRange();
        range.setStart(node, i);
        range.setEnd(node, i + 1);
        const rect = Array.from(range.getClientRects()).find((r) => r.width > 0);
        if (!rect) {
          out.push([text[i]!, -1]);
          continue;
        }
        let line = tops.findIndex((t) => Math.abs(t - rect.top) < 4);
        if (line < 0) line = tops.push(rect.top) - 1;
        out.push([text[i]!, line]);
      }
    }
    return out;
  });
}

/**
 * Words split across two lines ("接/続", "Connec/ted"): where one drawn character is on another
 * line than the drawn character before it with no white space between them, a Japanese word of
 * `words` that spans the break, or letters on both sides (an English word cut).
 */
export async function wordsBroken(locator: Locator, words: readonly string[]): Promise<string[]> {
  const found: string[] = [];
  for (const item of await locator.all()) {
    const chars = await charLines(item);
    const text = chars.map(([c]) => c).join('');
    let previous = -1;
    for (let i = 0; i < chars.length; i++) {
      if (chars[i]![1] < 0) continue;
      if (previous >= 0 && chars[i]![1] !== chars[previous]![1]) {
        const between = text.slice(previous + 1, i);
        const shown = `${text.slice(Math.max(0, previous - 8), previous + 1)}/${text.slice(i, i + 8)}`;
        if (!/\s/.test(between)) {
          // The run of text the break is in; an address or a link may break anywhere.
          const from = text.slice(0, previous + 1).search(/\S+$/);
          const token = text.slice(from < 0 ? previous : from, i + (/^\S*/.exec(text.slice(i))?.[0].length ?? 0));
          const address = /[@/]|\.\w/.test(token);
          if (!address && /[A-Za-z]/.test(chars[previous]![0]) && /[A-Za-z]/.test(chars[i]![0])) found.push(shown);
          for (const word of words) {
            for (let at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + 1)) {
              if (at <= previous && at + word.length > i) found.push(shown);
            }
          }
        }
      }
      previous = i;
    }
  }
  return [...new Set(found)];
}
