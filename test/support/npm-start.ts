// The Node flags the product runs with, so that tests and the benchmark start it exactly as a
// person does: package.json's "start" script for `npm start` (the embedded database's memory
// settings need them, src/store/pglite-options.ts), and bin/tripcal.js's first line for
// `tripcal serve` and `tripcal worker` (the PostgreSQL processes).
import { readFileSync } from 'node:fs';
import path from 'node:path';

const REPO = path.resolve(import.meta.dirname, '../..');

export function npmStartNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json's start script does not start with node: ${pkg.scripts.start}`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}

/** The flags on bin/tripcal.js's `#!/usr/bin/env -S node …` line. */
export function tripcalCommandNodeFlags(): string[] {
  const [first] = readFileSync(path.join(REPO, 'bin', 'tripcal.js'), 'utf8').split('\n', 1);
  const words = first!.replace(/^#!\s*/, '').split(/\s+/);
  const node = words.indexOf('node');
  if (!first!.startsWith('#!') || node < 0) throw new Error(`bin/tripcal.js does not start with a node shebang: ${first}`);
  return words.slice(node + 1).filter((w) => w.startsWith('--'));
}
