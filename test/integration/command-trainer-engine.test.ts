/**
 * The Python example trainer run by the run engine as a command job: exit 75 is retried with
 * backoff and then succeeds; a trainer past its timeout is killed, its whole process group with it.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, test } from 'node:test';
import { listAttempts } from '../../src/store/runs.ts';
import { WORK_FILES, writeJobFile, writeTrainingData, type TrainerJobFile } from '../../src/trainers/command/index.ts';
import { MINUTE, openTestEngine } from '../helpers/engine.ts';
import { commandJob, tempDir } from '../helpers/settings.ts';
import { isRunning, PYTHON, PYTHON_WRAPPER, TRAIN_PY } from '../fixtures/trainers/python.ts';
import { binarySet } from '../fixtures/trainers/synthetic-set.ts';

/** Writes what nightshift hands a command trainer (job file, data, empty output dir); returns the job file path. */
async function prepareJob(dir: string, params: Record<string, unknown>): Promise<{ jobFile: string; job: TrainerJobFile }> {
  const set = binarySet(120);
  const outputDir = path.join(dir, WORK_FILES.output);
  mkdirSync(outputDir);
  const job: TrainerJobFile = {
    protocol: 1,
    tenantId: 'acme',
    modelName: 'failure-risk',
    task: 'binary',
    mode: 'full',
    params,
    dataFormat: 'csv',
    paths: { data: path.join(dir, WORK_FILES.data('csv')), outputDir, model: path.join(outputDir, 'model.json'), metrics: path.join(outputDir, WORK_FILES.metrics) },
    features: set.features.map((f) => ({ name: f.name, type: f.type, ...(f.categories ? { categories: [...f.categories] } : {}) })),
    label: 'failed',
    seed: 1,
  };
  await writeTrainingData(job.paths.data, set, { format: 'csv', label: job.label });
  const jobFile = path.join(dir, WORK_FILES.job);
  await writeJobFile(jobFile, job);
  return { jobFile, job };
}

const sqlite = () => ({ dialect: 'sqlite' as const, dataDir: tempDir(), databaseUrl: null });

describe('command trainer through the run engine (Python example)', () => {
  test('a transient failure (exit 75) is retried after its backoff, then succeeds', async () => {
    const dir = tempDir('ns-trainer-job-');
    const { jobFile, job } = await prepareJob(dir, { epochs: 40, fail_once_marker: path.join(dir, 'failed-once') });
    const train = commandJob('train-risk', process.execPath, [PYTHON_WRAPPER, PYTHON, TRAIN_PY, jobFile], { retry: { retries: 2, backoffMs: [MINUTE], jitterRatio: 0 } });
    const t = await openTestEngine(sqlite(), { jobs: [train] });
    try {
      t.engine.workers.lifecycle.to('running');
      const run = await t.engine.runs.trigger('train-risk', 'acme');
      const retry = t.engine.events.waitFor('run:retry', (p) => p.run.id === run.id);
      await t.engine.workers.claimAndStart();
      const { delayMs, run: retried } = await retry;
      assert.equal(delayMs, MINUTE);
      assert.equal(retried.error_code, 'NS_JOB_TRANSIENT');
      assert.equal(existsSync(job.paths.model), false, 'the failed attempt wrote no model');
      assert.equal(await t.engine.workers.claimAndStart(), 0, 'not due before its backoff');

      t.clock.advance(MINUTE);
      const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
      await t.engine.workers.claimAndStart();
      const finished = (await done).run;
      assert.equal(finished.status, 'succeeded');
      assert.equal(finished.attempt, 2);
      const attempts = await listAttempts(t.engine.db.k, run.tenant_id, run.id);
      assert.deepEqual(attempts.map((a) => [a.attempt, a.status, a.exit_code]), [[1, 'retrying', 75], [2, 'succeeded', 0]]);
      assert.match(attempts[0]!.error_message ?? '', /temporary failure.*data source unavailable/);
      const metrics = JSON.parse(finished.metrics ?? '{}') as Record<string, number>;
      assert.equal(metrics.rows, 120);
      assert.deepEqual(metrics, JSON.parse(readFileSync(job.paths.metrics, 'utf8')), 'metrics.json re-emitted as ::metric lines');
      assert.equal((JSON.parse(readFileSync(job.paths.model, 'utf8')) as { task: string }).task, 'binary');
    } finally {
      await t.close();
    }
  });

  test('a trainer past its timeout is killed with its process group and the run is timed_out', async () => {
    const dir = tempDir('ns-trainer-job-');
    const { jobFile, job } = await prepareJob(dir, { sleep_seconds: 60 });
    // The timeout must not fire before Node (the wrapper) and Python have started and Python has set its
    // SIGTERM handler: 800 ms was too short on a loaded machine (the log then lacks "stopped by SIGTERM").
    const train = commandJob('train-risk', process.execPath, [PYTHON_WRAPPER, PYTHON, TRAIN_PY, jobFile], { timeoutMs: 3_000 });
    const t = await openTestEngine(sqlite(), { jobs: [train], killGraceMs: 1_000, clock: { now: () => Date.now() } });
    const pids: number[] = [];
    const off = t.engine.events.on('run:line', (p) => {
      const m = /^trainer pid=(\d+)$/.exec(p.line);
      if (m) pids.push(Number(m[1]));
    });
    try {
      t.engine.workers.lifecycle.to('running');
      const run = await t.engine.runs.trigger('train-risk', 'acme');
      const spawned = t.engine.events.waitFor('run:spawned', (p) => p.runId === run.id);
      const done = t.engine.events.waitFor('run:finished', (p) => p.run.id === run.id);
      await t.engine.workers.claimAndStart();
      const wrapperPid = (await spawned).pid;
      const finished = (await done).run;
      assert.equal(finished.status, 'timed_out');
      assert.equal(finished.error_code, 'NS_JOB_TIMEOUT');
      assert.match(finished.log_tail ?? '', /train\.py: stopped by SIGTERM/, 'the group signal reached the Python grandchild');
      assert.equal(pids.length, 1, 'the wrapper announced the Python pid');
      const pythonPid = pids[0]!;
      assert.notEqual(pythonPid, wrapperPid);
      assert.equal(isRunning(pythonPid), false, 'python is gone');
      assert.equal(isRunning(wrapperPid), false, 'the wrapper is gone');
      assert.equal(existsSync(job.paths.model), false);
      const attempts = await listAttempts(t.engine.db.k, run.tenant_id, run.id);
      assert.deepEqual(attempts.map((a) => [a.attempt, a.status]), [[1, 'timed_out']]);
    } finally {
      off();
      await t.close();
    }
  });
});
