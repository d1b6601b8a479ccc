// Many callers, one statement: calls that arrive while the previous group's statement is running
// are served together by the next one (group commit for reads and writes alike).
//
// Why: when sync is turned on for a company, every traveler's reconcile starts at once and each
// reads its state and records the events it is about to create. On the embedded database (one
// session) those were 100 statements one after another before the last mailbox could start, most
// of the delay between "sync on" and the last event written (`npm run bench`). The same statement
// for 50 travelers takes a third of the time of 50 statements (`loadSyncStates`: 95 → 31 ms; the
// upsert of 2,000 `creating` rows: 80 → 55 ms). On PostgreSQL it saves round trips and the
// server's per-statement work. A lone call is not delayed: it goes at once, in its own group.

export interface CoalesceOptions {
  /** Most keys in one group; the rest wait for the next. */
  maxGroup: number;
}

interface Waiting<K, V> {
  key: K;
  resolve: (value: V) => void;
  reject: (error: unknown) => void;
}

/**
 * Returns `call(key)`, answered by `run(keys)` for a group of keys: `run` resolves with one value per
 * key, in the keys' order. Keys called in the same turn of the event loop, or while a group is
 * running, form the next group. When a group of several fails, each of its keys is tried alone, so
 * that one bad key (a constraint it breaks) fails its own caller and no other.
 */
export function coalesce<K, V>(run: (keys: K[]) => Promise<V[]>, options: CoalesceOptions): (key: K) => Promise<V> {
  let waiting: Array<Waiting<K, V>> = [];
  let running = false;
  let scheduled = false;

  const settle = async (group: Array<Waiting<K, V>>): Promise<void> => {
    try {
      const values = await run(group.map((w) => w.key));
      if (values.length !== group.length) throw new Error(`coalesce: ${values.length} answers for ${group.length} keys`);
      group.forEach((w, i) => w.resolve(values[i]!));
    } catch (error) {
      if (group.length === 1) {
        group[0]!.reject(error);
        return;
      }
      for (const w of group) await settle([w]);
    }
  };

  const next = (): void => {
    scheduled = false;
    if (running || waiting.length === 0) return;
    const group = waiting.slice(0, options.maxGroup);
    waiting = waiting.slice(group.length);
    running = true;
    void settle(group).finally(() => {
      running = false;
      next();
    });
  };

  return (key: K) =>
    new Promise<V>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (!running && !scheduled) {
        // Callers of the same turn (a batch of jobs started together) share the first group.
        scheduled = true;
        queueMicrotask(next);
      }
    });
}

/** One coalesced function per database handle (and per kind of statement): every caller of the process shares it. */
export function perHandle<H extends object, F>(make: (handle: H) => F): (handle: H) => F {
  const made = new WeakMap<H, F>();
  return (handle: H) => {
    let f = made.get(handle);
    if (!f) made.set(handle, (f = make(handle)));
    return f;
  };
}
