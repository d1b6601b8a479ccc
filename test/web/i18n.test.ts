// Every string the web app shows exists in both locales, and every name the source document's
// step-by-step uses is on screen exactly as labels.md gives it (ja and en): the app's own names
// from the locales, a calendar provider's names from the provider registry (through the API).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { providerDescriptor, providerDescriptors } from '../../src/calendars/registry.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
const SRC = path.join(ROOT, 'web', 'src');
type Tree = { [key: string]: string | Tree };
const load = (l: string) => JSON.parse(readFileSync(path.join(SRC, 'locales', `${l}.json`), 'utf8')) as Tree;
const ja = load('ja');
const en = load('en');

function flatten(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(tree)) {
    if (typeof v === 'string') out.set(prefix + k, v);
    else for (const [kk, vv] of flatten(v, `${prefix}${k}.`)) out.set(kk, vv);
  }
  return out;
}
const flat = { ja: flatten(ja), en: flatten(en) };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sourceFiles(path.join(dir, e.name)) : /\.(tsx?|ts)$/.test(e.name) ? [path.join(dir, e.name)] : []));
}

interface KeyUse {
  literal: Set<string>;
  prefixes: Set<string>;
}

/**
 * t('a.b') and t(`a.${x}`) calls in the app's source; apart, tp(provider, 'a.b') and
 * tp(provider, `a.${x}`): sentences about a provider, whose shared wording `a.b` a provider may
 * replace with its own under `providers.<id>.a.b` (web/src/provider-text.ts).
 */
function keysUsed(): KeyUse & { provider: KeyUse } {
  const literal = new Set<string>();
  const prefixes = new Set<string>();
  const provider: KeyUse = { literal: new Set(), prefixes: new Set() };
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bt\(\s*'([a-zA-Z0-9_.]+)'/g)) literal.add(m[1]!);
    for (const m of text.matchAll(/\bt\(\s*`([a-zA-Z0-9_.]+)\.\$\{/g)) prefixes.add(m[1]!);
    for (const m of text.matchAll(/\btp\(\s*[\w.]+\s*,\s*'([a-zA-Z0-9_.]+)'/g)) provider.literal.add(m[1]!);
    for (const m of text.matchAll(/\btp\(\s*[\w.]+\s*,\s*`([a-zA-Z0-9_.]+)\.\$\{/g)) provider.prefixes.add(m[1]!);
  }
  for (const k of provider.literal) literal.add(k);
  for (const p of provider.prefixes) prefixes.add(p);
  return { literal, prefixes, provider };
}

const OVERRIDE = /^providers\.([a-z0-9_-]+)\.(.+)$/;
const isUsed = (key: string, use: KeyUse) => use.literal.has(key) || [...use.prefixes].some((p) => key.startsWith(`${p}.`));
/** A key is defined as a string, or as a subtree the source reads whole (returnObjects). */
const defines = (map: Map<string, string>, key: string) => map.has(key) || [...map.keys()].some((k) => k.startsWith(`${key}.`));

/**
 * labels.md's table of the source document's names (the consent screen's two are the sandbox's).
 * The fourth column: where a calendar provider's name, which of its registry labels it is
 * (ProviderLabels); those come from the registry through the API, the others from the locales.
 */
/** The product's label list (ja, en), kept with the documentation. */
const LABELS_FILE = path.resolve(ROOT, 'docs/labels.md');

const LABELS: Array<[string, string, string, ('integration' | 'connect' | 'tile')?]> = [
  ['top menu', 'プログラム', 'Program'],
  ['top menu item', '会社', 'Company'],
  ['left menu', '設定', 'Settings'],
  ['left menu item', '連携', 'Integrations'],
  ['tab', 'カレンダー', 'Calendar'],
  ['row', 'Outlookカレンダー連携', 'Outlook calendar integration', 'integration'],
  ['row button', '管理', 'Manage'],
  ['dialog field', 'アクセス承認用リンク', 'Access approval link'],
  ['dialog text', '下記のリンクを利用してアクセスを承認', 'Approve access using the link below'],
  ['dialog button', 'Outlookカレンダーと接続', 'Connect to Outlook calendar', 'connect'],
  ['dialog switch', 'カレンダー同期', 'Calendar sync'],
  ['home screen', 'Outlookカレンダーと接続', 'Connect to Outlook calendar', 'connect'],
  ['account menu', 'マイプロフィール', 'My profile'],
  ['profile page', 'プロフィール', 'Profile'],
  ['profile left menu', '接続済みアプリ', 'Connected apps'],
  ['tile', 'Outlook', 'Outlook', 'tile'],
];

const placeholders = (s: string) => [...s.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

describe('web app translations', () => {
  it('has the same keys in Japanese and English, none of them empty', () => {
    const onlyJa = [...flat.ja.keys()].filter((k) => !flat.en.has(k));
    const onlyEn = [...flat.en.keys()].filter((k) => !flat.ja.has(k));
    assert.deepEqual(onlyJa, [], `keys missing in en: ${onlyJa.join(', ')}`);
    assert.deepEqual(onlyEn, [], `keys missing in ja: ${onlyEn.join(', ')}`);
    for (const [locale, map] of Object.entries(flat)) for (const [k, v] of map) assert.ok(v.trim() !== '', `${locale}: ${k} is empty`);
  });

  it('uses the same placeholders in both locales', () => {
    for (const [k, v] of flat.ja) assert.deepEqual(placeholders(v), placeholders(flat.en.get(k) ?? ''), `placeholders of ${k}`);
  });

  it('defines every key the source asks for, in both locales', () => {
    const { literal, prefixes, provider } = keysUsed();
    assert.ok(literal.size > 100, `found only ${literal.size} keys: is the scan broken?`);
    assert.ok(provider.literal.size > 20, `found only ${provider.literal.size} provider sentences: is the scan broken?`);
    // A provider sentence's shared wording is what a provider without its own reads: always there.
    for (const key of literal) {
      assert.ok(defines(flat.ja, key), `web/src uses '${key}', missing in ja`);
      assert.ok(defines(flat.en, key), `web/src uses '${key}', missing in en`);
    }
    for (const prefix of prefixes) {
      assert.ok([...flat.ja.keys()].some((k) => k.startsWith(`${prefix}.`)), `web/src uses '${prefix}.*', nothing in ja`);
      assert.ok([...flat.en.keys()].some((k) => k.startsWith(`${prefix}.`)), `web/src uses '${prefix}.*', nothing in en`);
    }
  });

  it('has no key that nothing shows (a stale key hides a missing one)', () => {
    const use = keysUsed();
    const unused = [...flat.ja.keys()].filter((k) => {
      const own = OVERRIDE.exec(k);
      return own ? !isUsed(own[2]!, use.provider) : !isUsed(k, use) && !use.literal.has(k.split('.')[0]!);
    });
    assert.deepEqual(unused, []);
  });

  it('lets a provider replace a shared sentence, never add one: a new provider reads the shared wording', () => {
    for (const [locale, map] of Object.entries(flat)) {
      for (const key of map.keys()) {
        const own = OVERRIDE.exec(key);
        if (own) assert.ok(map.has(own[2]!), `${locale}: ${key} replaces '${own[2]}', which is missing`);
      }
    }
  });

  it('names no provider in the app’s code: rows, tiles and names come from the registry', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC)) {
      // Comments may give an example; code may not.
      const code = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '');
      for (const m of code.matchAll(/outlook|microsoft|entra\b|google|caldav/gi)) found.push(`${path.relative(ROOT, file)}: ${m[0]}`);
    }
    assert.deepEqual(found, []);
  });

  it('names every state the API can report (api-types.ts), in both locales', () => {
    const states: Record<string, string[]> = {
      calendarState: ['synced', 'pending', 'failed', 'deleted_in_calendar', 'not_synced'],
      connection: ['not_connected', 'connected', 'lapsed', 'revoked', 'disconnected'],
      'calendarDialog.grantState': ['none', 'granted', 'refused', 'revoked'],
      home: ['upcoming', 'current', 'past'],
      'trip.kind': ['flight', 'hotel', 'car', 'rail'],
      // The OAuth return: ?calendar=<provider>&result=connected|error.
      notice: ['connected', 'error'],
    };
    for (const [prefix, values] of Object.entries(states)) {
      for (const v of values) for (const locale of ['ja', 'en'] as const) assert.ok(flat[locale].has(`${prefix}.${v}`), `${locale}: ${prefix}.${v}`);
    }
  });

  it('has no words written straight into the markup (every visible string goes through t())', () => {
    const found: string[] = [];
    for (const file of sourceFiles(SRC).filter((f) => f.endsWith('.tsx'))) {
      // Comments and arrows (=>) are not markup.
      const text = readFileSync(file, 'utf8').replace(/^\s*\/\/.*$/gm, '').replace(/\/\*[\s\S]*?\*\//g, '').replace(/=>/g, '__');
      // Text right after an opening or closing tag, up to the next tag or expression.
      for (const m of text.matchAll(/(?<![\w$.\])])<\/?[A-Za-z][\w.]*(?:\s[^<>]*)?>([^<>{}]*)/g)) {
        const words = m[1]!.trim();
        // What follows a self-closing tag or a closing parenthesis of JSX is code, not text.
        if (m[0].includes('/>') || /^[)};:]|[?;]|&&/.test(words)) continue;
        if (/[A-Za-z\u3040-\u30ff\u3400-\u9fff]/.test(words)) found.push(`${path.relative(ROOT, file)}: "${words}"`);
      }
    }
    assert.deepEqual(found, []);
  });

  it('shows every label of labels.md word for word, in its locale', () => {
    const values = { ja: new Set(flat.ja.values()), en: new Set(flat.en.values()) };
    for (const [where, jaLabel, enLabel, providerLabel] of LABELS) {
      if (providerLabel) continue; // the registry's: see below
      assert.ok(values.ja.has(jaLabel), `ja label '${jaLabel}' (${where}) is not a translation value`);
      assert.ok(values.en.has(enLabel), `en label '${enLabel}' (${where}) is not a translation value`);
    }
  });

  it('gets the provider names of labels.md word for word from the provider registry (the API hands them on)', () => {
    const outlook = providerDescriptor('outlook');
    assert.ok(outlook, 'outlook is in the registry');
    for (const [where, jaLabel, enLabel, providerLabel] of LABELS) {
      if (!providerLabel) continue;
      assert.equal(outlook.labels.ja[providerLabel], jaLabel, `ja ${where}`);
      assert.equal(outlook.labels.en[providerLabel], enLabel, `en ${where}`);
    }
  });

  it('names every provider of the registry as labels.md does (its row, connect button and tile)', () => {
    const pairs = new Set(
      readFileSync(LABELS_FILE, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('|'))
        .map((l) => l.split('|').map((c) => c.trim()))
        .map((c) => `${c[2]}|${c[3]}`),
    );
    for (const d of providerDescriptors()) {
      for (const kind of ['integration', 'connect', 'tile'] as const) {
        assert.ok(pairs.has(`${d.labels.ja[kind]}|${d.labels.en[kind]}`), `${d.id} ${kind}: '${d.labels.ja[kind]}' / '${d.labels.en[kind]}' is not a row of labels.md`);
      }
    }
  });

  it('keeps its copy of the labels table equal to docs/labels.md', () => {
    // The source document's table: the first one (the providers added after Outlook follow it).
    const sourceTable = readFileSync(LABELS_FILE, 'utf8').split(/^## /m)[0]!;
    const rows = sourceTable
      .split('\n')
      .filter((l) => l.startsWith('|') && !l.includes('---') && !l.includes('日本語 (ja)'))
      .map((l) => l.split('|').map((c) => c.trim()))
      .filter((c) => c[1] !== 'consent screen')
      .map((c) => [c[1]!, c[2]!, c[3]!]);
    assert.deepEqual(rows, LABELS.map(([where, jaLabel, enLabel]) => [where, jaLabel, enLabel]));
  });
});
