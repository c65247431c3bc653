/** The command trainer driving the real Python example (examples/python-trainer/train.py). */
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { readJobFile, runCommandTrainer, type CommandTrainerOptions, type CommandTrainerSpec } from '../../src/trainers/command/index.ts';
import type { TrainProgress } from '../../src/trainers/types.ts';
import { isRunning, PYTHON, TRAIN_PY } from '../fixtures/trainers/python.ts';
import { binarySet, regressionSet } from '../fixtures/trainers/synthetic-set.ts';

const python: CommandTrainerSpec = { command: PYTHON, args: [TRAIN_PY], modelFile: 'model.json' };

const scratch = mkdtempSync(path.join(tmpdir(), 'ns-py-trainer-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const options = (over: Partial<CommandTrainerOptions> = {}): CommandTrainerOptions => ({
  tenantId: 'acme',
  modelName: 'failure-risk',
  task: 'binary',
  mode: 'full',
  params: { epochs: 120 },
  seed: 42,
  label: 'failed',
  workDir: scratch,
  killGraceMs: 2_000,
  ...over,
});

describe('command trainer × Python example', () => {
  it('trains a binary model end to end: progress received, model and metrics written', async () => {
    const progress: TrainProgress[] = [];
    const r = await runCommandTrainer(python, binarySet(300), options({ validation: binarySet(100, 5), onProgress: (p) => progress.push(p) }));
    assert.equal(progress.length, 10, 'one progress line every epochs/10');
    assert.deepEqual(progress.map((p) => p.iteration), [12, 24, 36, 48, 60, 72, 84, 96, 108, 120]);
    assert.ok(progress.every((p) => p.validLoss !== undefined));
    assert.ok(progress.at(-1)!.trainLoss < progress[0]!.trainLoss, 'the loss went down');
    assert.equal(r.metrics.rows, 300);
    assert.ok(r.metrics.valid_auc! > 0.75, `valid_auc ${r.metrics.valid_auc}`);
    const model = JSON.parse(readFileSync(r.modelPath, 'utf8')) as { task: string; weights: number[]; prep: Array<{ name: string }> };
    assert.equal(model.task, 'binary');
    assert.deepEqual(model.prep.map((p) => p.name), ['temperature', 'pressure', 'site']);
    assert.equal(model.weights.length, 2 + 3, 'two numeric features and a one-hot of three sites');
    assert.equal(r.artifact.kind, 'command');
    assert.match(r.logTail, /trained on 300 rows/);
  });

  it('the shipped sample job is valid and runs standalone', async () => {
    const dir = path.join(scratch, 'sample');
    cpSync(path.join(path.dirname(TRAIN_PY), 'sample'), dir, { recursive: true });
    const job = await readJobFile(path.join(dir, 'job.json'));
    assert.equal(job.paths.data, path.join(dir, 'data.csv'));
    const { stdout } = await promisify(execFile)(PYTHON, [TRAIN_PY, path.join(dir, 'job.json')]);
    assert.match(stdout, /^::progress iteration=200 loss=/m);
    const metrics = JSON.parse(readFileSync(job.paths.metrics, 'utf8')) as Record<string, number>;
    assert.equal(metrics.rows, 120);
    assert.ok(existsSync(job.paths.model));
  });

  it('continues from the previous model in incremental mode (NDJSON, regression)', async () => {
    const regression = options({ task: 'regression', modelName: 'load', label: 'y', params: { epochs: 150 } });
    const first = await runCommandTrainer({ ...python, format: 'ndjson' }, regressionSet(200), regression);
    assert.equal(first.metrics.warm_start, 0);
    assert.ok(first.metrics.train_r2! > 0.95, `r2 ${first.metrics.train_r2}`);
    const next = await runCommandTrainer({ ...python, format: 'ndjson' }, regressionSet(200, 3), { ...regression, mode: 'incremental', previousModelPath: first.modelPath, params: { epochs: 10 } });
    assert.equal(next.metrics.warm_start, 1);
    assert.ok(next.metrics.train_r2! > 0.95, 'ten more epochs from the previous weights are enough');
  });

  it('exit 75 (fail once) is a retryable error, and the retry succeeds', async () => {
    const marker = path.join(scratch, 'failed-once');
    const o = options({ params: { epochs: 20, fail_once_marker: marker } });
    await assert.rejects(runCommandTrainer(python, binarySet(50), o), (e: { code: string; retryable: boolean; message: string }) => {
      assert.equal(e.code, 'NS_JOB_TRANSIENT');
      assert.equal(e.retryable, true);
      assert.match(e.message, /exited with code 75 \(temporary failure\): train\.py: data source unavailable/);
      return true;
    });
    assert.ok(existsSync(marker));
    const r = await runCommandTrainer(python, binarySet(50), o);
    assert.equal(r.metrics.rows, 50);
  });

  it('abort: SIGTERM reaches the trainer, which stops at once; nothing is left running', async () => {
    const controller = new AbortController();
    let pid = 0;
    const run = runCommandTrainer(python, binarySet(50), options({
      params: { sleep_seconds: 60 },
      signal: controller.signal,
      onSpawn: (p) => (pid = p),
      onLine: (_stream, line) => line.startsWith('::progress sleeping') && controller.abort(),
    }));
    await assert.rejects(run, (e: { code: string; details: { exitCode: number; logTail: string } }) => {
      assert.equal(e.code, 'NS_JOB_CANCELLED');
      assert.equal(e.details.exitCode, 143, 'the handler ran: a clean exit, not a kill');
      assert.match(e.details.logTail, /stopped by SIGTERM/);
      return true;
    });
    assert.ok(pid > 0);
    assert.equal(isRunning(pid), false);
  });

  it('timeout: the trainer is killed and the error says so', async () => {
    let pid = 0;
    const t0 = Date.now();
    await assert.rejects(runCommandTrainer(python, binarySet(50), options({ params: { sleep_seconds: 60 }, timeoutMs: 700, onSpawn: (p) => (pid = p) })), { code: 'NS_JOB_TIMEOUT', message: /timeout of 700 ms/ });
    // Well before the 60 s sleep would end: the timeout (0.7 s) plus the kill grace (2 s) plus the
    // start of the launcher and Python, which a loaded 2-core CI machine can stretch to seconds.
    const elapsed = Date.now() - t0;
    assert.ok(elapsed < 30_000, `killed after ${elapsed} ms, not at its timeout`);
    assert.equal(isRunning(pid), false);
  });
});
