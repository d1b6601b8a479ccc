#!/usr/bin/env -S node --liftoff-only --max-semi-space-size=32
// `tripcal serve` and `tripcal worker` are the PostgreSQL processes: 32 MB semi-spaces keep garbage
// collection to a small share of a worker's CPU. `npm start` (the embedded database) runs with
// 16 MB to stay within its memory budget (README, "Node flags"; src/store/pglite-options.ts).
// Runs the TypeScript CLI directly (Node 24 strips the types); `npx tripcal` finds this file.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`tripcal needs Node 24 or later (this is ${process.version}); run it through npm/npx in the project folder, which brings Node 24.`);
  process.exit(1);
}
await import('../src/cli.ts');
