/**
 * Writing notifications to the outbox in pieces (insertOutboxRows): every row lands, a repeated
 * idempotency key is skipped, the pieces commit together or not at all, and on SQLite the event
 * loop runs between the pieces instead of waiting for the whole write.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inTransaction, openDb, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { insertOutboxRows, OUTBOX_STATUS, type OutboxRow } from '../../src/store/notification-outbox.ts';
import { storeTargets } from '../helpers/dialects.ts';

const NOW = Date.parse('2026-03-01T00:00:00Z');

function row(i: number, key = `k:${i}`): OutboxRow {
  return {
    id: `ntf_${String(i).padStart(6, '0')}`,
    tenant_id: 'acme',
    channel_id: 'hook',
    event: 'run.succeeded',
    idem_key: key,
    payload: JSON.stringify({ event: 'run.succeeded', i }),
    status: OUTBOX_STATUS.pending,
    attempts: 0,
    next_attempt_at: NOW,
    lease_owner: null,
    lease_expires_at: null,
    last_status_code: null,
    last_error: null,
    created_at: NOW,
    updated_at: NOW,
    delivered_at: null,
  };
}

const count = async (db: Db) => Number((await db.k.selectFrom('notification_outbox').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

for (const target of await storeTargets()) {
  describe(`outbox insert in pieces (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    async function open(): Promise<Db> {
      const t = await target.make();
      const db = await openDb({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
      await migrate(db);
      return db;
    }

    test('120 rows in pieces of 50: all written, a key already there skipped', async () => {
      const db = await open();
      try {
        await inTransaction(db, (tx) => insertOutboxRows(tx, [row(7)]));
        const written = await inTransaction(db, (tx) => insertOutboxRows(tx, Array.from({ length: 120 }, (_, i) => row(1_000 + i, `k:${i}`)), 50));
        assert.equal(written, 119, 'k:7 was there already');
        assert.equal(await count(db), 120);
      } finally {
        await db.close();
      }
    });

    test('a failure in the last piece leaves none of the pieces before it', async () => {
      const db = await open();
      try {
        await inTransaction(db, (tx) => insertOutboxRows(tx, [row(149, 'other')]));
        // Row 149's id is taken (a primary key, not the idempotency key the insert skips): the third piece fails.
        const rows = Array.from({ length: 150 }, (_, i) => row(i));
        await assert.rejects(inTransaction(db, (tx) => insertOutboxRows(tx, rows, 50)));
        assert.equal(await count(db), 1, 'only the row written before');
      } finally {
        await db.close();
      }
    });

    test('a piece size below one row is refused', async () => {
      const db = await open();
      try {
        await assert.rejects(inTransaction(db, (tx) => insertOutboxRows(tx, [row(1)], 0)), /piece must be at least 1 row/);
      } finally {
        await db.close();
      }
    });

    if (target.name === 'sqlite') {
      test('the event loop runs between the pieces (SQLite statements run on it)', async () => {
        const db = await open();
        try {
          let done = false;
          const rows = Array.from({ length: 200 }, (_, i) => row(i));
          // Answered at its COMMIT, not after the fsync (which is off the event loop anyway).
          const writing = inTransaction(db, (tx) => insertOutboxRows(tx, rows, 50), { durability: 'visible' }).then(() => (done = true));
          // Queued after the commit queue's start: in one piece the whole write would be over before it runs.
          const sawWriting = await new Promise<boolean>((resolve) => setImmediate(() => resolve(!done)));
          await writing;
          assert.equal(sawWriting, true, 'a callback ran while the rows were being written');
          assert.equal(await count(db), 200);
        } finally {
          await db.close();
        }
      });
    }
  });
}
