// Deterministic interleavings of transactions for race tests: a gate holds a transaction open at a
// chosen point, and blockedBehind waits until another transaction waits on a lock the held one has.
import assert from 'node:assert/strict';
import { sql } from 'kysely';
import type { Db, Tx } from '../../src/store/database.ts';

/** Holds a transaction open until released; notes its server process id (PostgreSQL). */
export class Gate {
  readonly #server: boolean;
  pid = 0;
  reached = false;
  release!: () => void;
  readonly #released = new Promise<void>((resolve) => (this.release = resolve));
  #arrive!: () => void;
  readonly arrived = new Promise<void>((resolve) => (this.#arrive = resolve));
  constructor(kind: 'pglite' | 'postgres') {
    this.#server = kind === 'postgres';
  }
  /** Call inside the transaction: resolves `arrived`, then waits for `release()`. */
  async hold(tx: Tx): Promise<void> {
    if (this.#server) this.pid = (await sql<{ pid: number }>`select pg_backend_pid() as pid`.execute(tx)).rows[0]!.pid;
    this.reached = true;
    this.#arrive();
    await this.#released;
  }
}

/**
 * Resolves once a statement of another session waits on a lock held by `holder`'s transaction
 * (pg_blocking_pids). On the embedded database there is one session: while `holder` holds it,
 * no other transaction can begin, so it checks that `blocked` has not reached its own gate.
 */
export async function blockedBehind(db: Db, kind: 'pglite' | 'postgres', holder: Gate, blocked: Gate): Promise<void> {
  if (kind === 'pglite') {
    for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
    assert.equal(blocked.reached, false, 'the second transaction waits for the first to end');
    return;
  }
  const deadline = Date.now() + 10_000;
  for (;;) {
    const { rows } = await sql<{ pid: number }>`select pid from pg_stat_activity where datname = current_database() and ${holder.pid}::int = any(pg_blocking_pids(pid))`.execute(db);
    if (rows.length) return;
    assert.ok(Date.now() < deadline, 'no other transaction came to wait on the held one');
    await new Promise((r) => setTimeout(r, 10));
  }
}
