/**
 * A lost worker or a shutdown is not a job failure (ARCHITECTURE "Semantics to keep"): recoveries
 * have their own bound and never spend the job's retry budget — on SQLite and PostgreSQL.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runDto } from '../../src/api/dto.ts';
import { inTransaction, LOCK_KEYS } from '../../src/store/db.ts';
import { claimRuns } from '../../src/store/run-transitions.ts';
import { getRunRow, listAttempts } from '../../src/store/runs.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { MINUTE, openTestEngine, type TestEngine } from '../helpers/engine.ts';
import { commandJob, tempDir } from '../helpers/settings.ts';

const node = process.execPath;
const FLAKY = join(import.meta.dirname, '..', 'fixtures', 'jobs', 'flaky.mjs');

/** A worker that claims the run and dies: its lease (1 s) runs out and this engine recovers the run. */
async function loseWorker(t: TestEngine, name: string): Promise<number> {
  const claimed = await inTransaction(t.engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: name, host: 'elsewhere', now: t.clock.now(), leaseMs: 1_000, limit: 1 }), { lock: LOCK_KEYS.claim });
  assert.equal(claimed.length, 1, `${name} claimed the run`);
  t.clock.advance(2_000);
  return t.engine.workers.recoverLeases(true);
}

/** Claims and executes what is due in this engine; resolves with the run once it ended or was put back for a retry. */
async function executeOnce(t: TestEngine, runId: string) {
  // One wait for either event: a wait left pending would hold the test file open until its timeout.
  const offs: Array<() => void> = [];
  const ended = new Promise<void>((resolve) => {
    offs.push(t.engine.events.on('run:finished', (p) => p.run.id === runId && resolve()));
    offs.push(t.engine.events.on('run:retry', (p) => p.run.id === runId && resolve()));
  });
  try {
    t.engine.workers.lifecycle.to('running');
    assert.equal(await t.engine.workers.claimAndStart(), 1);
    await ended;
  } finally {
    for (const off of offs) off();
  }
  return (await getRunRow(t.engine.db.k, 'acme', runId))!;
}

for (const target of await storeTargets()) {
  describe(`run recovery contract (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable', timeout: 60_000 }, () => {
    test('a run allowed one attempt, whose worker is lost three times, is requeued each time and then succeeds', async () => {
      const t = await openTestEngine(await target.make(), { jobs: [commandJob('quick', node, ['-e', 'console.log("::metric rows=1")'])] });
      try {
        const run = await t.engine.runs.trigger('quick', 'acme');
        assert.equal(run.max_attempts, 1);
        for (let lost = 1; lost <= 3; lost++) {
          assert.equal(await loseWorker(t, `crashed-${lost}`), 1);
          const row = await getRunRow(t.engine.db.k, 'acme', run.id);
          assert.equal(row?.status, 'queued', `requeued after worker loss ${lost}`);
          assert.equal(row?.recoveries, lost);
          assert.equal(row?.max_attempts, 1, 'its allowance is untouched');
          assert.equal(row?.error_code, null);
        }
        const done = await executeOnce(t, run.id);
        assert.equal(done.status, 'succeeded');
        assert.equal(done.attempt, 4, 'attempt counts executions started');
        assert.equal(done.recoveries, 3);
        const dto = runDto(done);
        assert.deepEqual([dto.attempt, dto.maxAttempts, dto.recoveries, dto.interruptions], [4, 1, 3, 0]);
        const attempts = await listAttempts(t.engine.db.k, 'acme', run.id);
        assert.deepEqual(attempts.map((a) => [a.attempt, a.status]), [[1, 'lost'], [2, 'lost'], [3, 'lost'], [4, 'succeeded']]);
      } finally {
        await t.close();
      }
    });

    test('a run whose worker is lost more often than the recovery bound fails, saying so', async () => {
      const job = commandJob('quick', node, ['-e', '0'], { retry: { retries: 4, backoffMs: [MINUTE], jitterRatio: 0 } });
      const t = await openTestEngine(await target.make(), { jobs: [job], maxRecoveries: 2 });
      try {
        const run = await t.engine.runs.trigger('quick', 'acme');
        const outcomes: boolean[] = [];
        t.engine.events.on('run:recovered', ({ requeued }) => outcomes.push(requeued));
        for (let lost = 1; lost <= 3; lost++) assert.equal(await loseWorker(t, `crashed-${lost}`), 1);
        assert.deepEqual(outcomes, [true, true, false], 'two recoveries allowed; the third loss ends the run');
        const row = (await getRunRow(t.engine.db.k, 'acme', run.id))!;
        assert.equal(row.status, 'failed');
        assert.equal(row.error_code, 'NS_LEASE_LOST');
        assert.match(row.error_message ?? '', /its worker was lost 3 times/);
        assert.match(row.error_message ?? '', /2 recoveries/);
        assert.equal(row.recoveries, 3);
        assert.equal(row.lease_owner, null);
        assert.notEqual(row.finished_at, null);
      } finally {
        await t.close();
      }
    });

    test('a transient failure (exit 75) still spends the retry budget, and only it does', async () => {
      const counter = join(tempDir(), 'count');
      // Always transient: FLAKY would succeed on its 99th call.
      const job = commandJob('flaky', node, [FLAKY, counter, '99'], { retry: { retries: 1, backoffMs: [MINUTE], jitterRatio: 0 } });
      const t = await openTestEngine(await target.make(), { jobs: [job] });
      try {
        const run = await t.engine.runs.trigger('flaky', 'acme');
        assert.equal(await loseWorker(t, 'crashed'), 1);
        const first = await executeOnce(t, run.id);
        assert.equal(first.status, 'queued', 'the first own failure is retried: the lost worker spent nothing');
        assert.equal(first.error_code, 'NS_JOB_TRANSIENT');
        assert.equal(first.run_at, t.clock.now() + MINUTE, 'after the backoff of the first failure');
        t.clock.advance(MINUTE);
        const second = await executeOnce(t, run.id);
        assert.equal(second.status, 'failed', 'the second own failure exhausts the two attempts');
        assert.equal(second.error_code, 'NS_JOB_FAILED');
        assert.match(second.error_message ?? '', /1 retry exhausted \(2 attempts\)$/);
        assert.deepEqual([second.attempt, second.recoveries, second.max_attempts], [3, 1, 2]);
        const attempts = await listAttempts(t.engine.db.k, 'acme', run.id);
        assert.deepEqual(attempts.map((a) => a.status), ['lost', 'retrying', 'failed']);
      } finally {
        await t.close();
      }
    });

    test('a shutdown requeue spends no attempt and is counted apart', async () => {
      const store = await target.make();
      const dir = tempDir();
      // The first execution outlives the shutdown grace; the next ones fail transiently.
      const script = `const fs = require("fs"); const f = ${JSON.stringify(join(dir, 'calls'))}; const n = fs.existsSync(f) ? Number(fs.readFileSync(f, "utf8")) + 1 : 1; fs.writeFileSync(f, String(n)); if (n === 1) { console.log("started"); setTimeout(() => {}, 60000); } else process.exit(75);`;
      const job = commandJob('slow', node, ['-e', script], { retry: { retries: 1, backoffMs: [MINUTE], jitterRatio: 0 } });
      const first = await openTestEngine(store, { jobs: [job], killGraceMs: 2_000 });
      let runId: string;
      try {
        const run = await first.engine.runs.trigger('slow', 'acme');
        runId = run.id;
        const started = first.engine.events.waitFor('run:line', (p) => p.runId === run.id && p.line === 'started');
        first.engine.workers.lifecycle.to('running');
        await first.engine.workers.claimAndStart();
        await started;
        const requeued = first.engine.events.waitFor('run:requeued', (p) => p.runId === run.id);
        await first.engine.workers.close(50);
        await requeued;
        const row = (await getRunRow(first.engine.db.k, 'acme', run.id))!;
        assert.equal(row.status, 'queued', 'requeued, never failed');
        assert.equal(row.error_code, null);
        assert.deepEqual([row.attempt, row.max_attempts, row.interruptions, row.recoveries], [1, 2, 1, 0], 'no attempt spent, the allowance unchanged');
      } finally {
        await first.close();
      }
      const second = await openTestEngine(store, { jobs: [job], start: first.clock.now() });
      try {
        const retried = await executeOnce(second, runId);
        assert.equal(retried.status, 'queued', 'its first own failure is retried');
        second.clock.advance(MINUTE);
        const failed = await executeOnce(second, runId);
        assert.equal(failed.status, 'failed');
        assert.match(failed.error_message ?? '', /1 retry exhausted \(2 attempts\)$/);
        assert.deepEqual([failed.attempt, failed.max_attempts, failed.interruptions], [3, 2, 1]);
        assert.deepEqual(runDto(failed).interruptions, 1);
        const attempts = await listAttempts(second.engine.db.k, 'acme', runId);
        assert.deepEqual(attempts.map((a) => a.status), ['interrupted', 'retrying', 'failed']);
      } finally {
        await second.close();
      }
    });
  });
}
