// The Node flags `npm start` runs the product with (package.json's "start" script: the embedded
// database's memory settings need them, src/store/pglite-options.ts), so that tests and the
// benchmark start the product exactly as a person does.
import { readFileSync } from 'node:fs';
import path from 'node:path';

export function npmStartNodeFlags(): string[] {
  const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { scripts: { start: string } };
  const words = pkg.scripts.start.split(/\s+/);
  if (words[0] !== 'node') throw new Error(`package.json's start script does not start with node: ${pkg.scripts.start}`);
  return words.slice(1).filter((w) => w.startsWith('--'));
}
