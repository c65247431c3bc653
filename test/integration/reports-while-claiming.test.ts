/** While the worker loop claims round after round, run reports wait; none is lost, each run's stay in order. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { RunQueue } from '../../src/store/run-queue.ts';
import { WorkerPool } from '../../src/runs/worker-pool.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { emptyJob } from '../helpers/settings.ts';

const RUNS = 12;

for (const target of await storeTargets()) {
  describe(`reports while claiming (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('every claim of a burst comes before the reports it held back; all are made, in order per run', async () => {
      const jobs = Array.from({ length: RUNS }, (_, i) => emptyJob(`job${i}`));
      const t = await openTestEngine(await target.make(), { jobs, concurrency: 2 });
      // A bound far beyond the test: only the loop resting may release the reports.
      const { engine } = t;
      const logger = pino({ level: 'silent' });
      const queue = new RunQueue(engine.db, { logger, onReportError: (error) => assert.fail(String(error)), reportMaxDelayMs: 600_000 });
      const pool = new WorkerPool({ db: engine.db, clock: engine.clock, events: engine.events, logger, nodeId: 'reports-test', settings: engine.settings, queue });
      const order: string[] = [];
      engine.events.on('run:claimed', ({ run }) => order.push(`claimed ${run.id}`));
      engine.events.on('run:finished', ({ run }) => order.push(`finished ${run.id}`));
      try {
        const runs = [];
        for (const job of jobs) runs.push(await engine.runs.trigger(job.id, 'acme'));
        const allFinished = Promise.all(runs.map((r) => engine.events.waitFor('run:finished', (p) => p.run.id === r.id)));
        pool.start();
        const finished = await allFinished;
        assert.ok(finished.every(({ run }) => run.status === 'succeeded'));
        const lastClaim = Math.max(...runs.map((r) => order.indexOf(`claimed ${r.id}`)));
        const firstReport = Math.min(...runs.map((r) => order.indexOf(`finished ${r.id}`)));
        assert.ok(lastClaim < firstReport, `all ${RUNS} claims (${RUNS / 2} rounds of 2) before the first report: ${order.join(', ')}`);
        for (const r of runs) assert.ok(order.indexOf(`claimed ${r.id}`) < order.indexOf(`finished ${r.id}`));
        assert.equal(order.length, 2 * RUNS, 'each run claimed once and reported once');
      } finally {
        await pool.close();
        await t.close();
      }
    });
  });
}
