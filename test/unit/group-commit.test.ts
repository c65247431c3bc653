/** Group commit on SQLite: shared COMMITs, each transaction still all-or-nothing, answers only once durable. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { groupCommitOf, inTransaction, openDb, SQLITE_FILE, type Db } from '../../src/store/db.ts';
import { tempDir } from '../helpers/settings.ts';

describe('group commit (SQLite)', () => {
  let db: Db;
  let dir: string;
  const insert = (tx: Db['k'], v: string) => sql`insert into t (v) values (${v})`.execute(tx);
  /** What another connection to the file sees: only what was committed. */
  const committed = () => {
    const other = new BetterSqlite3(join(dir, SQLITE_FILE), { readonly: true });
    try {
      return (other.prepare('select v from t order by id').all() as Array<{ v: string }>).map((r) => r.v);
    } finally {
      other.close();
    }
  };

  before(async () => {
    dir = tempDir();
    db = await openDb({ dataDir: dir, databaseUrl: null });
    await sql`create table t (id integer primary key, v text not null unique)`.execute(db.k);
  });
  after(() => db.close());

  test('transactions that arrive together share COMMITs, run in order, and are visible once answered', async () => {
    await sql`delete from t`.execute(db.k);
    const before = groupCommitOf(db.k).stats();
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        inTransaction(db, async (tx) => {
          await insert(tx, `v${i}`);
          // Each sees the writes of those before it, as if they ran one by one.
          return (await sql<{ n: number }>`select count(*) as n from t`.execute(tx)).rows[0]!.n;
        }),
      ),
    );
    assert.deepEqual(results, Array.from({ length: 50 }, (_, i) => i + 1));
    const stats = groupCommitOf(db.k).stats();
    assert.equal(stats.transactions - before.transactions, 50);
    assert.ok(stats.commits - before.commits <= 2, `50 transactions took ${stats.commits - before.commits} COMMITs`);
    assert.equal(committed().length, 50, 'another connection sees every answered transaction');
  });

  test('one that fails is rolled back alone; its caller gets its error, the others commit', async () => {
    await sql`delete from t`.execute(db.k);
    const outcomes = await Promise.allSettled([
      inTransaction(db, (tx) => insert(tx, 'a')),
      inTransaction(db, async (tx) => {
        await insert(tx, 'b');
        await insert(tx, 'a'); // unique violation after a write of its own
      }),
      inTransaction(db, async (tx) => {
        await insert(tx, 'c');
        throw new Error('changed my mind');
      }),
      inTransaction(db, (tx) => insert(tx, 'd')),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['fulfilled', 'rejected', 'rejected', 'fulfilled']);
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.equal((outcomes[2] as PromiseRejectedResult).reason.message, 'changed my mind');
    assert.deepEqual(committed(), ['a', 'd'], 'b and c were undone with their transactions, a and d kept');
  });

  test('when SQLite ends the whole transaction, every caller in it gets an error and nothing is half-written', async () => {
    await sql`delete from t`.execute(db.k);
    const outcomes = await Promise.allSettled([
      inTransaction(db, (tx) => insert(tx, 'x')),
      inTransaction(db, async (tx) => {
        await insert(tx, 'y');
        await sql`rollback`.execute(tx);
      }),
      inTransaction(db, (tx) => insert(tx, 'z')),
    ]);
    assert.deepEqual(outcomes.map((o) => o.status), ['rejected', 'rejected', 'rejected']);
    assert.deepEqual(committed(), []);
    await inTransaction(db, (tx) => insert(tx, 'after'));
    assert.deepEqual(committed(), ['after'], 'the queue goes on working after a failed batch');
  });
});
