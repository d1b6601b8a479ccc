// Statements a process runs often are prepared once per connection on a PostgreSQL server: the
// answers stay the same, the server keeps a bounded number of them, and a schema change under a
// running process costs one failed statement, not a connection that fails from then on.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { PreparingClient } from '../../src/store/statement-cache.ts';
import { storeKinds } from '../support/stores.ts';

const server = storeKinds().find((k) => k.name === 'postgres');

describe('prepared statements on a PostgreSQL server', { skip: server ? false : 'TEST_DATABASE_URL is not set' }, () => {
  let client: PreparingClient;
  let drop: () => Promise<void>;
  let url: string;
  const tag = () => randomBytes(4).toString('hex');
  const prepared = async (): Promise<string[]> =>
    (await client.query('select statement from pg_prepared_statements')).rows.map((r: { statement: string }) => r.statement);

  before(async () => {
    const created = await server!.create();
    drop = created.drop;
    url = created.options.databaseUrl!;
    client = new PreparingClient({ connectionString: url });
    await client.connect();
    await client.query('create table trips_t (id int primary key, ref text not null)');
    await client.query("insert into trips_t select g, 'R' || g from generate_series(1, 50) g");
  });
  after(async () => {
    await client?.end();
    await drop?.();
  });

  test('a statement run again and again is prepared once, and answers as before', async () => {
    const text = `select ref from trips_t where id = $1 /* ${tag()} */`;
    for (let id = 1; id <= 5; id++) {
      const { rows } = await client.query(text, [id]);
      assert.deepEqual(rows, [{ ref: `R${id}` }]);
    }
    assert.deepEqual((await prepared()).filter((s) => s === text), [text], 'prepared on the server, once');
    const once = `select ref from trips_t where id = $1 /* ${tag()} */`;
    await client.query(once, [1]);
    assert.ok(!(await prepared()).includes(once), 'a statement run once is not');
  });

  test('a connection keeps at most 200 prepared statements', async () => {
    const t = tag();
    for (let i = 0; i < 230; i++) {
      const text = `select ref, ${i} as n from trips_t where id = $1 /* ${t} */`;
      for (let run = 0; run < 3; run++) assert.deepEqual((await client.query(text, [1 + (i % 50)])).rows, [{ ref: `R${1 + (i % 50)}`, n: i }]);
    }
    assert.ok((await prepared()).length <= 200, `${(await prepared()).length} prepared`);
  });

  test('a schema change under a prepared statement fails it once; the next runs answer', async () => {
    // A connection of its own: the one above is full.
    await client.end();
    client = new PreparingClient({ connectionString: url });
    await client.connect();
    const text = `select * from trips_t where id = $1 /* ${tag()} */`;
    for (let i = 0; i < 3; i++) await client.query(text, [1]);
    await client.query('alter table trips_t add column note text');
    await assert.rejects(client.query(text, [1]), /cached plan must not change result type/);
    assert.deepEqual((await client.query(text, [2])).rows, [{ id: 2, ref: 'R2', note: null }]);
    assert.deepEqual((await client.query(text, [3])).rows, [{ id: 3, ref: 'R3', note: null }]);
  });
});
