/**
 * The prediction log's writer on SQLite and PostgreSQL: predictions are buffered in memory and
 * written in batches (on flush, at `flushRows` without waiting for the timer, and on close: a
 * graceful stop loses none), every statement size of the batch's split exercised (256, 32, 4, 1
 * rows), a prediction logged twice kept once, one without an entity not logged, a model without a
 * score stored with none; sampling and the buffer bound drop what they must; a model's row bound is
 * enforced as soon as that many rows were written, not only hourly.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { PredictionLogger, PREDICTION_LOG_DEFAULTS, type PredictionLogSettings } from '../../src/models/prediction-logger.ts';
import { openDb, type Db } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { storeTargets } from '../helpers/dialects.ts';

const NOW = Date.parse('2026-04-01T00:00:00Z');
// The timer never fires within a test: writes happen on flush, at flushRows, or on close.
const SETTINGS: PredictionLogSettings = { ...PREDICTION_LOG_DEFAULTS, flushMs: 3_600_000 };

const rowsOf = (n: number, entity = (i: number) => `m${i % 7}`, from = 0) => Array.from({ length: n }, (_, i) => ({ entity: entity(i + from), ts: NOW - (i + from) * 1000 }));
const predictionsOf = (n: number, withScore = true) => Array.from({ length: n }, (_, i) => (withScore ? { prediction: i % 2, probability: (i % 100) / 100 } : { prediction: i * 0.5 }));

async function logged(db: Db, model?: string) {
  let q = db.k.selectFrom('prediction_log').selectAll().orderBy('model_name').orderBy('ts', 'desc').orderBy('entity');
  if (model) q = q.where('model_name', '=', model);
  return q.execute();
}

for (const target of await storeTargets()) {
  describe(`prediction logger on ${target.name}`, { skip: target.skip }, () => {
    const dbs: Db[] = [];
    const open = async () => {
      const t = await target.make();
      const db = await openDb({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
      await migrate(db);
      dbs.push(db);
      return db;
    };
    const loggerOn = (db: Db, settings: Partial<PredictionLogSettings> = {}, random?: () => number, clock = new ManualClock(NOW)) =>
      new PredictionLogger({ db, clock, logger: pino({ level: 'silent' }), settings: { ...SETTINGS, ...settings }, ...(random ? { random } : {}) });
    after(async () => {
      for (const db of dbs) await db.close();
    });

    test('a batch of 3 × 256 + 32 + 3 × 4 + 3 rows (every statement size) over two models is written whole, field by field; a repeat is kept once; no entity, not logged', async () => {
      const db = await open();
      const log = loggerOn(db);
      // 815 buffered (the repeat included): statements of 256, 256, 256, 32, 4, 4, 4, 1, 1, 1 rows.
      const n = 3 * 256 + 32 + 3 * 4 + 3 - 1;
      log.log('acme', 'failure', 3, rowsOf(n - 100), predictionsOf(n - 100));
      log.log('acme', 'lead_time', 1, rowsOf(100), predictionsOf(100, false));
      log.log('acme', 'failure', 3, [{ entity: '', ts: NOW }, ...rowsOf(1)], predictionsOf(2));
      assert.equal(log.buffered, n + 1, 'the row without an entity is not buffered; the repeat is, until the insert');
      await log.flush();
      assert.equal(log.buffered, 0);
      const failure = await logged(db, 'failure');
      assert.equal(failure.length, n - 100, 'the repeated (entity, ts, version) kept once');
      assert.deepEqual(
        { ...failure[1]!, ts: Number(failure[1]!.ts), logged_at: Number(failure[1]!.logged_at) },
        { tenant_id: 'acme', model_name: 'failure', entity: 'm1', ts: NOW - 1000, version: 3, prediction: 1, score: 0.01, logged_at: NOW },
      );
      const lead = await logged(db, 'lead_time');
      assert.equal(lead.length, 100);
      assert.deepEqual([lead[99]!.entity, Number(lead[99]!.ts), lead[99]!.prediction, lead[99]!.score, lead[99]!.version], ['m1', NOW - 99_000, 49.5, null, 1], 'no probability: no score');
    });

    test('a batch reaching flushRows is handed to the store without waiting for the timer; close writes the rest and ends logging', async () => {
      const db = await open();
      const log = loggerOn(db, { flushRows: 50 });
      log.log('acme', 'failure', 1, rowsOf(49), predictionsOf(49));
      assert.equal(log.buffered, 49);
      log.log('acme', 'failure', 1, rowsOf(3, undefined, 49), predictionsOf(3));
      assert.equal(log.buffered, 0, '52 ≥ 50: handed over at once');
      log.log('acme', 'failure', 1, rowsOf(5, undefined, 52), predictionsOf(5));
      assert.equal(log.buffered, 5);
      await log.close();
      assert.equal((await logged(db)).length, 57, 'a graceful stop loses nothing');
      log.log('acme', 'failure', 1, rowsOf(5, undefined, 100), predictionsOf(5));
      assert.equal(log.buffered, 0, 'closed: nothing more is taken');
    });

    test('sampling keeps the predictions whose draw is under the rate; a full buffer drops and counts the rest', async () => {
      const db = await open();
      let k = 0;
      const sampled = loggerOn(db, { sampleRate: 0.5 }, () => (k++ % 4) / 4);
      sampled.log('acme', 'failure', 1, rowsOf(40), predictionsOf(40));
      assert.equal(sampled.buffered, 20, 'draws 0, 0.25 kept; 0.5, 0.75 not');
      await sampled.close();
      const bounded = loggerOn(db, { maxBuffered: 30 });
      bounded.log('acme', 'other', 1, rowsOf(45), predictionsOf(45));
      assert.equal(bounded.buffered, 30);
      assert.equal(bounded.dropped, 15);
      await bounded.close();
      assert.equal((await logged(db, 'other')).length, 30);
    });

    test('a model past maxRowsPerModel is pruned to its newest rows once that many were written, within the hour', async () => {
      const db = await open();
      const clock = new ManualClock(NOW);
      const log = loggerOn(db, { maxRowsPerModel: 50 }, undefined, clock);
      log.log('acme', 'busy', 1, rowsOf(30), predictionsOf(30));
      await log.flush();
      assert.equal((await logged(db, 'busy')).length, 30);
      // 60 more, each logged a millisecond after the last (the newest by logged_at are kept): 90 written since the first prune.
      for (let i = 30; i < 90; i++) {
        clock.advance(1);
        log.log('acme', 'busy', 1, rowsOf(1, undefined, i), predictionsOf(1));
      }
      await log.flush();
      const kept = await logged(db, 'busy');
      assert.equal(kept.length, 50, 'pruned to the bound 60 ms after the first prune, not an hour later');
      assert.equal(Math.min(...kept.map((r) => Number(r.logged_at))), NOW + 11, 'the 50 newest: logged at NOW + 11 … NOW + 60');
      await log.close();
    });
  });
}
