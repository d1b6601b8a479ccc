#!/usr/bin/env -S node --liftoff-only --max-semi-space-size=8
// The flags keep the embedded database's memory down (src/store/pglite-options.ts; README, Settings).
// Runs the TypeScript CLI directly (Node 24 strips the types); `npx tripcal` finds this file.
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  console.error(`tripcal needs Node 24 or later (this is ${process.version}); run it through npm/npx in the project folder, which brings Node 24.`);
  process.exit(1);
}
await import('../src/cli.ts');
