/** Group commit on SQLite: shared COMMITs, each transaction still all-or-nothing, durable answers only after the WAL fsync. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { sql } from 'kysely';
import { groupCommitOf, inTransaction, openDb, SQLITE_FILE, type Db } from '../../src/store/db.ts';
import { GroupCommit } from '../../src/store/group-commit.ts';
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

  /** A fsync that waits until the test lets it finish. */
  function heldSync() {
    const held = { calls: 0, finish: [] as Array<(error?: Error) => void> };
    const sync = () =>
      new Promise<void>((resolve, reject) => {
        held.calls++;
        held.finish.push((error) => (error ? reject(error) : resolve()));
      });
    return { held, sync };
  }

  test('a durable transaction is answered after the WAL fsync; a visible one as soon as others can read it', async () => {
    await sql`delete from t`.execute(db.k);
    const { held, sync } = heldSync();
    const queue = new GroupCommit(db.k, sync);
    const answered: string[] = [];
    const durable = queue.run((tx) => insert(tx, 'durable')).then(() => answered.push('durable'));
    await queue.run((tx) => insert(tx, 'visible'), 'visible').then(() => answered.push('visible'));
    assert.deepEqual(answered, ['visible'], 'the durable one waits for the fsync');
    assert.deepEqual(committed(), ['durable', 'visible'], 'both are committed and readable before the fsync');
    assert.equal(held.calls, 1);

    // Committed while that fsync is in flight: they need one more, and share it.
    const later = Promise.all(['l1', 'l2', 'l3'].map((v) => queue.run((tx) => insert(tx, v)).then(() => answered.push(v))));
    await queue.run(async () => undefined, 'visible');
    assert.equal(held.calls, 1, 'one fsync at a time');
    held.finish.shift()!();
    await durable;
    assert.deepEqual(answered, ['visible', 'durable']);
    await new Promise<void>((resolve) => {
      const check = () => (held.finish.length > 0 ? resolve() : setImmediate(check));
      check();
    });
    assert.equal(held.calls, 2, 'the three later transactions share the second fsync');
    held.finish.shift()!();
    await later;
    assert.deepEqual(answered, ['visible', 'durable', 'l1', 'l2', 'l3']);
    assert.deepEqual(queue.stats().syncs, 2);
  });

  test('onVisible runs at COMMIT, before a durable answer waits for the fsync; never for a rolled-back transaction', async () => {
    await sql`delete from t`.execute(db.k);
    const { held, sync } = heldSync();
    const queue = new GroupCommit(db.k, sync);
    const seen: string[] = [];
    const durable = queue.run((tx) => insert(tx, 'kept').then(() => 'kept'), 'durable', (value) => seen.push(`visible ${value}`));
    const failed = queue.run(
      async (tx) => {
        await insert(tx, 'undone');
        throw new Error('no');
      },
      'durable',
      () => seen.push('visible undone'),
    );
    await assert.rejects(failed, /no/);
    assert.deepEqual(seen, ['visible kept'], 'called with the result while the fsync is still held');
    assert.equal(held.calls, 1);
    held.finish.shift()!();
    assert.equal(await durable, 'kept');
  });

  // Real SQLite I/O: a generous bound, the fsyncs of other tests share the disk.
  test('the WAL is checkpointed once the queue has been quiet, and not again until something is committed', { timeout: 30_000 }, async () => {
    const queue = new GroupCommit(db.k, async () => undefined, 0);
    await queue.run((tx) => insert(tx, `c-${Date.now()}`));
    while (queue.stats().checkpoints === 0) await new Promise((resolve) => setImmediate(resolve));
    const { rows } = await sql<{ log: number; checkpointed: number }>`pragma wal_checkpoint(PASSIVE)`.execute(db.k);
    assert.equal(rows[0]!.checkpointed, rows[0]!.log, 'every frame of the WAL is in the database file');
    for (let turn = 0; turn < 5; turn++) await new Promise((resolve) => setTimeout(resolve, 0));
    assert.equal(queue.stats().checkpoints, 1, 'nothing committed since: no second checkpoint');
    await queue.stop();
  });

  test('without a WAL to sync (not in WAL mode), a durable transaction is answered at its COMMIT, synced by SQLite', async () => {
    const level = async (queue: GroupCommit) => {
      const value = await queue.run(async (tx) => {
        await insert(tx, `level-${Math.random()}`);
        return (await sql<{ synchronous: number }>`pragma synchronous`.execute(tx)).rows[0]!.synchronous;
      });
      await queue.stop();
      return value;
    };
    const plain = new GroupCommit(db.k, null);
    assert.equal(await level(plain), 2, 'its COMMIT runs under FULL');
    assert.equal(plain.stats().syncs, 0, 'and no fsync of its own follows');
    assert.equal(await level(new GroupCommit(db.k, async () => undefined)), 1, 'with a WAL to sync, the COMMIT runs under NORMAL');
  });

  test('a failed fsync fails the durable callers it covered (committed, but not known to be on disk)', async () => {
    await sql`delete from t`.execute(db.k);
    const { held, sync } = heldSync();
    const queue = new GroupCommit(db.k, sync);
    const durable = queue.run((tx) => insert(tx, 'd'));
    await queue.run((tx) => insert(tx, 'v'), 'visible');
    held.finish.shift()!(new Error('EIO: fsync failed'));
    await assert.rejects(durable, /EIO: fsync failed/);
  });

  test('the connection is back at synchronous = FULL after each batch, for writes made outside the queue', async () => {
    await inTransaction(db, (tx) => insert(tx, `full-${Date.now()}`));
    const { rows } = await sql<{ synchronous: number }>`pragma synchronous`.execute(db.k);
    assert.equal(rows[0]!.synchronous, 2, 'FULL');
  });

  test('the real WAL fsync: durable transactions are synced, visible ones alone are not', async () => {
    const queue = groupCommitOf(db.k);
    await queue.settled();
    const before = queue.stats().syncs;
    await inTransaction(db, (tx) => insert(tx, `v-${Date.now()}`), { durability: 'visible' });
    await queue.settled();
    assert.equal(queue.stats().syncs, before, 'no fsync for a visible transaction');
    await inTransaction(db, (tx) => insert(tx, `d-${Date.now()}`));
    assert.equal(queue.stats().syncs, before + 1, 'answered after one fsync of the WAL');
  });

  test('a visible transaction survives a process crash right after its answer (kill -9)', () => {
    const crashDir = tempDir();
    const script = `
      import { sql } from 'kysely';
      import { inTransaction, openDb } from ${JSON.stringify(new URL('../../src/store/db.ts', import.meta.url).pathname)};
      const db = await openDb({ dataDir: ${JSON.stringify(crashDir)}, databaseUrl: null });
      await sql\`create table t (v text)\`.execute(db.k);
      await inTransaction(db, (tx) => sql\`insert into t (v) values ('claimed')\`.execute(tx), { durability: 'visible' });
      process.kill(process.pid, 'SIGKILL');`;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
    assert.equal(child.signal, 'SIGKILL', child.stderr);
    const reopened = new BetterSqlite3(join(crashDir, SQLITE_FILE));
    try {
      assert.deepEqual(reopened.prepare('select v from t').all(), [{ v: 'claimed' }]);
    } finally {
      reopened.close();
    }
  });
});
