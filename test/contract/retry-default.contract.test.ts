/**
 * Retries as seed 003 counts them ("retryAttempts: 3" with backoff 5, 15, 45 min): three retries
 * after the first attempt, so the 45-minute step is reached. The job comes from a config file that
 * sets no retry of its own, so the defaults (and TRAINING_RETRY_ATTEMPTS) are what is tested.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { getRunRow, listAttempts, type RunRow } from '../../src/store/runs.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { MINUTE, openTestEngine, type TestEngine } from '../helpers/engine.ts';
import { tempDir } from '../helpers/settings.ts';

/** A job that always fails transiently (exit 75), declared without a retry of its own. */
function jobsFrom(env: Record<string, string>) {
  const dir = tempDir();
  const file = join(dir, 'nightshift.yaml');
  writeFileSync(
    file,
    [
      'tenants: [{ id: acme }]',
      'retry: { jitterRatio: 0 }',
      'jobs:',
      `  - { id: flaky, kind: command, command: ${JSON.stringify(process.execPath)}, args: [-e, "process.exit(75)"] }`,
      '',
    ].join('\n'),
  );
  return loadSettings({ env, cwd: dir, configPath: file }).jobs;
}

/** Runs the run until it ends; returns the backoff delays it waited and the ended row. */
async function runToEnd(t: TestEngine, runId: string): Promise<{ delays: number[]; run: RunRow }> {
  const delays: number[] = [];
  t.engine.workers.lifecycle.to('running');
  for (let i = 0; i < 10; i++) {
    const offs: Array<() => void> = [];
    const next = new Promise<number | null>((resolve) => {
      offs.push(t.engine.events.on('run:finished', (p) => p.run.id === runId && resolve(null)));
      offs.push(t.engine.events.on('run:retry', (p) => p.run.id === runId && resolve(p.delayMs)));
    });
    try {
      assert.equal(await t.engine.workers.claimAndStart(), 1);
      const delay = await next;
      if (delay === null) return { delays, run: (await getRunRow(t.engine.db.k, 'acme', runId))! };
      delays.push(delay);
      assert.equal(await t.engine.workers.claimAndStart(), 0, 'not due before its backoff');
      t.clock.advance(delay);
    } finally {
      for (const off of offs) off();
    }
  }
  throw new Error('the run never ended');
}

for (const target of await storeTargets()) {
  describe(`retries count after the first attempt (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable', timeout: 60_000 }, () => {
    test('by default a transient failure is retried three times, 5, 15 and 45 minutes apart (seed 003)', async () => {
      const jobs = jobsFrom({});
      assert.equal(jobs[0]!.retry.retries, 3);
      const t = await openTestEngine(await target.make(), { jobs });
      try {
        const queued = await t.engine.runs.trigger('flaky', 'acme');
        assert.equal(queued.max_attempts, 4, 'the runs table keeps attempts: retries + 1');
        const { delays, run } = await runToEnd(t, queued.id);
        assert.deepEqual(delays, [5 * MINUTE, 15 * MINUTE, 45 * MINUTE]);
        assert.equal(run.status, 'failed');
        assert.equal(run.attempt, 4);
        assert.match(run.error_message ?? '', /3 retries exhausted \(4 attempts\)$/);
        const attempts = await listAttempts(t.engine.db.k, 'acme', run.id);
        assert.deepEqual(attempts.map((a) => a.status), ['retrying', 'retrying', 'retrying', 'failed']);
      } finally {
        await t.close();
      }
    });

    test('TRAINING_RETRY_ATTEMPTS counts retries too: 1 is one retry, 0 is none', async () => {
      for (const [value, expected] of [['1', [5 * MINUTE]], ['0', []]] as const) {
        const jobs = jobsFrom({ TRAINING_RETRY_ATTEMPTS: value });
        assert.equal(jobs[0]!.retry.retries, Number(value));
        const t = await openTestEngine(await target.make(), { jobs });
        try {
          const queued = await t.engine.runs.trigger('flaky', 'acme');
          const { delays, run } = await runToEnd(t, queued.id);
          assert.deepEqual(delays, expected, `TRAINING_RETRY_ATTEMPTS=${value}`);
          assert.equal(run.attempt, Number(value) + 1);
          assert.equal(run.status, 'failed');
        } finally {
          await t.close();
        }
      }
    });
  });
}
