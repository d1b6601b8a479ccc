// The embedded database's memory settings (src/store/pglite-options.ts) are in effect, and the
// first start on an empty folder (initdb written straight to disk) leaves a database that opens
// again with its data. Memory itself is measured by `npm run bench`, not here.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { PGlite } from '@electric-sql/pglite';
import { lowerMemoryMinimum, pgliteOptions, SHARED_BUFFERS, WAL_BUFFERS } from '../../src/store/pglite-options.ts';

async function setting(pg: PGlite, name: string): Promise<string> {
  const { rows } = await pg.query<Record<string, string>>(`show ${name}`);
  return rows[0]![name]!;
}

describe('embedded database options', () => {
  const folders: string[] = [];
  after(async () => {
    for (const folder of folders) await rm(folder, { recursive: true, force: true });
  });

  test('a first start on an empty folder creates the database on disk, with the chosen buffers, and it opens again with its data', async () => {
    const folder = await mkdtemp(path.join(os.tmpdir(), 'tripcal-pglite-'));
    folders.push(folder);

    const first = new PGlite(folder, await pgliteOptions(folder));
    assert.equal(await setting(first, 'shared_buffers'), SHARED_BUFFERS);
    assert.equal(await setting(first, 'wal_buffers'), WAL_BUFFERS);
    await first.exec(`create table kept (id int primary key, note text); insert into kept values (1, 'still here');`);
    await first.close();
    assert.ok(existsSync(path.join(folder, 'PG_VERSION')), 'the cluster is in the folder');

    const again = new PGlite(folder, await pgliteOptions(folder));
    assert.equal(await setting(again, 'shared_buffers'), SHARED_BUFFERS);
    assert.deepEqual((await again.query('select note from kept where id = 1')).rows, [{ note: 'still here' }]);
    await again.close();
  });

  test('an in-memory database (tests) gets the same settings', async () => {
    const pg = new PGlite(await pgliteOptions(undefined));
    assert.equal(await setting(pg, 'shared_buffers'), SHARED_BUFFERS);
    assert.equal(await setting(pg, 'wal_buffers'), WAL_BUFFERS);
    await pg.close();
  });

  test('the memory minimum is lowered only in an imported env.memory, keeping the field width', () => {
    // A module that imports env.memory with limits { flags 1, min 2048 (0x80 0x10), max 32768 }.
    const wasm = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
      0x02, 0x13, 0x01, // import section, 19 bytes, 1 import
      0x03, 0x65, 0x6e, 0x76, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, // "env" "memory"
      0x02, 0x01, 0x80, 0x10, 0x80, 0x80, 0x02, // memory, flags 1, min 2048, max 32768
    ]);
    assert.equal(lowerMemoryMinimum(wasm, 4096), false, 'never raises the minimum');
    assert.equal(lowerMemoryMinimum(wasm, 256), true);
    assert.deepEqual([...wasm.subarray(24, 26)], [0x80, 0x02]);
    assert.ok(WebAssembly.validate(wasm));
  });
});
