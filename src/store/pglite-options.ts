// How the embedded database (PGlite 0.5) is opened so that `npm start` stays under 512 MB of RSS
// (VmHWM of the whole process, Node 24 and PGlite 0.5.16 on 2 cores). Where the memory goes
// without these settings, for a process that opens an existing data folder and for a first start
// on an empty one (PGlite then runs initdb):
//
// - V8's optimising compiler, not PostgreSQL: PostgreSQL's SQL parser (`raw_parser`, one 105 KB
//   wasm function) is hot on every query, and V8 re-compiles it with TurboFan, which takes
//   576-604 MB of compiler memory for about a second (--trace-wasm-compilation-times), then frees
//   it. That alone is the jump from ~290 to ~870 MB when an existing folder is opened. It is a
//   V8 decision that no PGlite option reaches: only `node --liftoff-only` (keep wasm on V8's
//   baseline compiler) removes it, and V8 reads the flag only at start (v8.setFlagsFromString at
//   run time was measured to have no effect), so it belongs on the command line (see the report
//   for `npm start`); everything below is what PGlite's own options can do.
// - shared_buffers (default 128 MB): PGlite's shared memory is touched when the server starts, so
//   the buffer pool is resident from the first second, whatever the database's size (below).
// - First start only: PGlite runs initdb in a second PGlite instance, snapshots that instance's
//   whole wasm memory (128 MB, the module's declared minimum) to reset it before each postgres
//   run, and, for a data folder on disk, copies the new cluster out as an in-memory tar (five
//   copies of ~30 MB in flight) before writing it to the folder (below).
// The product (`node src/main.ts`, VmHWM once listening), before → with these options and
// `node --liftoff-only`: existing folder 924-929 → 260-271 MB; empty folder 1173-1218 → 394-398 MB.
// Under `npm run bench` (embedded) the JS heap then dominates (heapTotal up to 230-295 MB with
// Node's default young generation): peak 466-510 MB, and 360-369 MB with
// `--max-semi-space-size=2` as well (backfill 453-629 events/s, vs 515-650 without any of this).
// Later, with the backfill's CPU mostly gone elsewhere, 2 MB semi-spaces cost 18% of the
// product's CPU in scavenges before its first calendar write. 8 MB: peak 379-400 MB, backfill
// 68-74% of the ceiling; 16 MB (what `npm start` uses): peak 435-480 MB (it varies from run to
// run), backfill about 77%.
import { MemoryFS, PGlite, type PGliteOptions } from '@electric-sql/pglite';
import { readFile } from 'node:fs/promises';

/**
 * The buffer pool. Measured on an existing folder (bare PGlite + our migrations + pg-boss, then
 * 3,000 inserts, 2,000 jobs, sorts and an index build; `node --liftoff-only`, 3 runs each):
 *   shared_buffers 128 MB (default): RSS after open 283 MB, after the load 336-337 MB, load 1.85-2.27 s
 *   64 MB: 219 / 269 MB;   32 MB: 181 / 232-238 MB, load 2.00-2.15 s;   16 MB: 165 / 215 MB, load 2.21-3.29 s
 * 32 MB keeps our whole working set (the bench's 50 travelers × 40 segments and its job queue are
 * a few MB) in the pool and gave no measurable slow-down; a database larger than this reads
 * through the OS page cache instead.
 */
export const SHARED_BUFFERS = '32MB';

/**
 * PostgreSQL sizes wal_buffers as shared_buffers/32 (4 MB at 128 MB, 1 MB at 32 MB); it is kept at
 * the 4 MB we have always run with, so commits write the WAL as before (16 MB with 512 kB of WAL
 * buffers measured 2.21-3.29 s on the load above, with 4 MB 2.26-2.59 s).
 */
export const WAL_BUFFERS = '4MB';

/**
 * The wasm memory PGlite starts with. pglite.wasm declares a minimum of 2048 pages (128 MB);
 * PostgreSQL itself needs 11 MB of it below the heap (static data and an 8 MB stack, `__heap_base`
 * = 11.4 MB) and grows the memory as it allocates (maximum 2 GB). The declared minimum is what
 * makes a first start expensive: initdb's snapshot of the helper instance and the instance
 * itself are each at least 128 MB, all written. Compiling the module with a 16 MB minimum
 * (`pgliteWasmModule`, `initialMemory`; the code is unchanged) measured, for a first start on
 * an empty folder (bare PGlite as above, with `DataFolderFS` below):
 *   128 MB minimum: VmHWM 499-500 MB after open, 554 MB after the load
 *    16 MB minimum: VmHWM 333-334 MB after open, 368-370 MB after the load
 * and the same load time (1.7-2.5 s either way). An existing folder's memory ends at 69 MB instead
 * of 128 MB reserved (untouched pages cost nothing, so its RSS barely moves: 201-214 MB after open).
 */
export const INITIAL_MEMORY = 16 * 1024 * 1024;

const PGDATA = '/pglite/data'; // where PGlite mounts the cluster in its virtual file system

/**
 * PGlite's NodeFS, but a MemoryFS to PGlite: for a MemoryFS, PGlite's initdb helper writes the new
 * cluster straight into the main instance's file system (here: the data folder on disk) instead
 * of building a tar of it in memory and unpacking that. Same mount as NodeFS (NODEFS at PGDATA),
 * same closeFs. If a later PGlite stops taking that path for MemoryFS, initdb falls back to the
 * tar, which is slower to start and bigger but equally correct.
 * Measured first start (bare PGlite, existing-folder settings above, 128 MB wasm minimum):
 *   NodeFS: VmHWM 533-553 MB after open;   DataFolderFS: 499-500 MB (and 333 MB with INITIAL_MEMORY).
 */
export class DataFolderFS extends MemoryFS {
  readonly #root: string;

  constructor(root: string) {
    super();
    this.#root = root;
  }

  override async init(pg: PGlite, opts: Parameters<MemoryFS['init']>[1]): ReturnType<MemoryFS['init']> {
    this.pg = pg;
    const mount = (mod: { FS: any; NODEFS: unknown }) => {
      mod.FS.mkdirTree(PGDATA);
      mod.FS.mount(mod.NODEFS, { root: this.#root }, PGDATA);
    };
    return { emscriptenOpts: { ...opts, preRun: [...(opts.preRun ?? []), mount] } };
  }
}

/** `-c name=value` for every setting, at each start (they beat postgresql.conf) and in initdb. */
function settings(): string[] {
  return [`shared_buffers=${SHARED_BUFFERS}`, `wal_buffers=${WAL_BUFFERS}`].flatMap((s) => ['-c', s]);
}

let moduleWithSmallMemory: Promise<WebAssembly.Module | undefined> | undefined;

/**
 * pglite.wasm compiled with its memory import's minimum lowered to INITIAL_MEMORY; undefined
 * (PGlite loads its own) when the binary is not laid out as expected. Compiled once per process.
 */
function pgliteModule(): Promise<WebAssembly.Module | undefined> {
  moduleWithSmallMemory ??= (async () => {
    const bytes = new Uint8Array(await readFile(new URL('./pglite.wasm', import.meta.resolve('@electric-sql/pglite'))));
    if (!lowerMemoryMinimum(bytes, INITIAL_MEMORY / 65536)) return undefined;
    return WebAssembly.compile(bytes);
  })();
  return moduleWithSmallMemory;
}

/**
 * Rewrites, in place, the minimum of the imported memory `env.memory` to `pages`, keeping the
 * LEB128 field's byte length (so no section size changes). False if there is no such import, or
 * `pages` does not fit the field, or it would raise the minimum.
 */
export function lowerMemoryMinimum(wasm: Uint8Array, pages: number): boolean {
  let p = 8; // magic + version
  const leb = () => {
    let value = 0;
    let shift = 0;
    let byte: number;
    do {
      byte = wasm[p++]!;
      value += (byte & 0x7f) * 2 ** shift;
      shift += 7;
    } while (byte & 0x80);
    return value;
  };
  const name = () => {
    const n = leb();
    const s = new TextDecoder().decode(wasm.subarray(p, p + n));
    p += n;
    return s;
  };
  const limits = () => {
    const flags = leb();
    const minAt = p;
    const min = leb();
    const minEnd = p;
    if (flags & 1) leb();
    return { minAt, min, width: minEnd - minAt };
  };
  while (p < wasm.length) {
    const id = wasm[p++];
    const size = leb();
    const end = p + size;
    if (id === 2) {
      const count = leb();
      for (let i = 0; i < count; i++) {
        const module = name();
        const field = name();
        const kind = wasm[p++];
        if (kind === 0) leb(); // function: type index
        else if (kind === 1) { p++; limits(); } // table: element type, limits
        else if (kind === 3) p += 2; // global: value type, mutability
        else if (kind === 2) {
          const { minAt, min, width } = limits();
          if (module !== 'env' || field !== 'memory') continue;
          if (pages >= min || pages >= 2 ** (7 * width)) return false;
          for (let b = 0; b < width; b++) wasm[minAt + b] = ((pages / 2 ** (7 * b)) & 0x7f) | (b < width - 1 ? 0x80 : 0);
          return true;
        } else return false; // an import kind this reader does not know
      }
      return false;
    }
    p = end;
  }
  return false;
}

/**
 * Options for `new PGlite(dataPath, …)`: the data folder on disk (undefined: in memory, tests).
 * PGlite.defaultStartParams are PGlite's own flags (single-user mode, no parallel workers…);
 * startParams replaces them, so they are repeated first.
 */
export async function pgliteOptions(dataPath: string | undefined): Promise<PGliteOptions> {
  const wasmModule = await pgliteModule();
  return {
    startParams: [...PGlite.defaultStartParams, ...settings()],
    initDbStartParams: settings(),
    ...(wasmModule ? { pgliteWasmModule: wasmModule, initialMemory: INITIAL_MEMORY } : {}),
    ...(dataPath ? { fs: new DataFolderFS(dataPath) } : {}),
  };
}
