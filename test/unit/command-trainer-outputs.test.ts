import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { getPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import {
  parseMetrics,
  parseProgressLine,
  readJobFile,
  runCommandTrainer,
  type CommandModelBody,
  type CommandTrainerOptions,
  type CommandTrainerSpec,
} from '../../src/trainers/command/index.ts';
import type { TrainProgress } from '../../src/trainers/types.ts';
import { binarySet } from '../fixtures/trainers/synthetic-set.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'ns-cmd-trainer-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const FAKE = path.join(import.meta.dirname, '..', 'fixtures', 'trainers', 'fake-trainer.mjs');
const fake: CommandTrainerSpec = { command: process.execPath, args: [FAKE], modelFile: 'model.json' };
const set = binarySet(20);
const options = (params: Record<string, unknown>, over: Partial<CommandTrainerOptions> = {}): CommandTrainerOptions => ({
  tenantId: 'acme',
  modelName: 'risk',
  task: 'binary',
  mode: 'full',
  params,
  seed: 7,
  workDir: scratch,
  killGraceMs: 1_000,
  ...over,
});

describe('progress lines', () => {
  it('parses iteration and losses, with aliases; ignores other keys and free text', () => {
    assert.deepEqual(parseProgressLine('::progress iteration=3 loss=0.41'), { iteration: 3, trainLoss: 0.41 });
    assert.deepEqual(parseProgressLine('::progress iter=10 train_loss=1e-3 val_loss=0.5 lr=0.1'), { iteration: 10, trainLoss: 0.001, validLoss: 0.5 });
    assert.deepEqual(parseProgressLine('::progress  loss=2  valid_loss=3 iteration=0  '), { iteration: 0, trainLoss: 2, validLoss: 3 });
    for (const line of ['::progress 40%', '::progress sleeping seconds=3', '::progress iteration=1', '::progress loss=1', 'iteration=1 loss=2', '::metric loss=1', '::progress iteration=1.5 loss=1', '::progress iteration=-1 loss=1', '::progress iteration=1 loss=nan', '::progress iteration=1 loss=', '::progress iteration=1 loss=Infinity', '::progress constructor=1 iteration=2']) {
      assert.equal(parseProgressLine(line), null, line);
    }
  });
});

describe('metrics.json validation', () => {
  it('accepts a flat object of finite numbers', () => {
    assert.deepEqual(parseMetrics('{"auc": 0.91, "rows": 1200, "loss": -0.5}'), { auc: 0.91, rows: 1200, loss: -0.5 });
    assert.deepEqual(parseMetrics('{}'), {});
  });
  it('rejects anything else with a clear NS_JOB_FAILED', () => {
    assert.throws(() => parseMetrics('{"auc": NaN}'), { code: 'NS_JOB_FAILED', field: 'metrics', message: /not valid JSON.*NaN and Infinity are not JSON numbers/ });
    assert.throws(() => parseMetrics('[1, 2]'), { message: /must hold a JSON object/ });
    assert.throws(() => parseMetrics('{"auc": "0.9"}'), { message: /metric "auc" must be a finite number, got "0.9"/ });
    assert.throws(() => parseMetrics('{"auc": null}'), { message: /metric "auc" must be a finite number, got null/ });
    assert.throws(() => parseMetrics('{"per_class": {"a": 1}}'), { message: /metric "per_class" must be a finite number/ });
    assert.throws(() => parseMetrics('{"": 1}'), { message: /invalid metric name ""/ });
    assert.throws(() => parseMetrics('{"__proto__": 1}'), { message: /invalid metric name "__proto__"/ });
  });
});

describe('runCommandTrainer with a protocol-speaking fake', () => {
  it('writes job file and data, passes the job path as env and last argument, reports progress, builds the artifact', async () => {
    const progress: TrainProgress[] = [];
    const r = await runCommandTrainer(fake, set, options(
      { progress: ['iteration=1 loss=0.9', '50%', 'iteration=2 loss=0.7 valid_loss=0.8'], metrics: { auc: 0.88, rows: 20 } },
      { featureSpec: { v: 1 }, niceness: 5, onProgress: (p) => progress.push(p) },
    ));
    assert.deepEqual(progress, [{ iteration: 1, trainLoss: 0.9 }, { iteration: 2, trainLoss: 0.7, validLoss: 0.8 }]);
    assert.deepEqual(r.metrics, { auc: 0.88, rows: 20 });
    assert.equal(r.modelPath, path.join(r.runDir, 'output', 'model.json'));
    assert.equal(readFileSync(r.modelPath, 'utf8'), 'fake-model');
    assert.match(r.logTail, new RegExp(`cwd=${r.runDir}`), 'runs in its fresh work dir by default');
    assert.match(r.logTail, new RegExp(`nice=${Math.min(19, getPriority(0) + 5)}\n`), 'below our own CPU priority');
    const body = r.artifact.body as CommandModelBody;
    assert.deepEqual(body, { protocol: 1, modelFile: 'model.json', sha256: createHash('sha256').update('fake-model').digest('hex'), size: 10, format: 'json' });
    assert.equal(r.artifact.kind, 'command');
    assert.equal(r.artifact.task, 'binary');
    assert.equal('createdAt' in r.artifact, false, 'deterministic: the same model file gives the same artifact');
    assert.deepEqual(r.artifact.featureSpec, { v: 1 });
    assert.deepEqual(r.artifact.features, set.features);
    const job = await readJobFile(path.join(r.runDir, 'job.json'));
    assert.deepEqual({ ...job, paths: undefined }, {
      protocol: 1, tenantId: 'acme', modelName: 'risk', task: 'binary', mode: 'full', dataFormat: 'csv', label: 'label', seed: 7, paths: undefined,
      params: { progress: ['iteration=1 loss=0.9', '50%', 'iteration=2 loss=0.7 valid_loss=0.8'], metrics: { auc: 0.88, rows: 20 } },
      features: [{ name: 'temperature', type: 'numeric' }, { name: 'pressure', type: 'numeric' }, { name: 'site', type: 'categorical', categories: ['north', 'south', 'east'] }],
    });
    assert.equal(existsSync(job.paths.data), false, 'the input data is removed once the trainer is done');
    assert.deepEqual(readdirSync(r.runDir).sort(), ['job.json', 'output']);
  });

  it('exit 0 without a model file or metrics.json: a clear error, and the work dir is removed', async () => {
    const before = readdirSync(scratch).length;
    await assert.rejects(runCommandTrainer(fake, set, options({ model: false })), (e: { code: string; message: string; retryable: boolean }) => {
      assert.equal(e.code, 'NS_JOB_FAILED');
      assert.match(e.message, /trainer exited 0 but did not write its model file .*output\/model\.json/);
      assert.equal(e.retryable, false);
      return true;
    });
    await assert.rejects(runCommandTrainer(fake, set, options({ metrics: false })), { code: 'NS_JOB_FAILED', field: 'metrics', message: /did not write .*metrics\.json/ });
    await assert.rejects(runCommandTrainer(fake, set, options({ metricsText: '{"auc": "high"}' })), { code: 'NS_JOB_FAILED', message: /metric "auc" must be a finite number/ });
    await assert.rejects(runCommandTrainer(fake, set, options({ metricsText: '{"auc": NaN}' })), { code: 'NS_JOB_FAILED', message: /not valid JSON/ });
    assert.equal(readdirSync(scratch).length, before);
  });

  it('exit 75 is a retryable NS_JOB_TRANSIENT; another exit is NS_JOB_FAILED with the last stderr line', async () => {
    await assert.rejects(runCommandTrainer(fake, set, options({ exit: 75, stderr: 'warehouse unreachable' })), (e: { code: string; retryable: boolean; message: string; details: { exitCode: number } }) => {
      assert.equal(e.code, 'NS_JOB_TRANSIENT');
      assert.equal(e.retryable, true);
      assert.equal(e.details.exitCode, 75);
      assert.match(e.message, /warehouse unreachable/);
      return true;
    });
    await assert.rejects(runCommandTrainer(fake, set, options({ exit: 2, stderr: 'column pressure is empty' })), (e: { code: string; retryable: boolean; message: string }) => {
      assert.equal(e.code, 'NS_JOB_FAILED');
      assert.equal(e.retryable, false);
      assert.match(e.message, /exited with code 2: column pressure is empty/);
      return true;
    });
    await assert.rejects(runCommandTrainer({ command: path.join(scratch, 'no-such-trainer') }, set, options({})), { code: 'NS_JOB_FAILED', message: /command not found/ });
  });

  it('checks its own inputs before starting anything', async () => {
    await assert.rejects(runCommandTrainer({ ...fake, modelFile: '../escape.json' }, set, options({})), { code: 'NS_VALIDATION', field: 'modelFile' });
    await assert.rejects(runCommandTrainer(fake, set, options({}, { mode: 'incremental' })), { code: 'NS_VALIDATION', field: 'previousModelPath' });
    await assert.rejects(runCommandTrainer(fake, set, options({}, { mode: 'incremental', previousModelPath: path.join(scratch, 'missing.json') })), { code: 'NS_VALIDATION', message: /previous model file not found/ });
    await assert.rejects(runCommandTrainer(fake, set, options({}, { validation: { ...set, features: [...set.features].reverse() } })), { code: 'NS_VALIDATION', field: 'validation' });
    await assert.rejects(runCommandTrainer(fake, set, options({}, { label: 'site' })), { code: 'NS_VALIDATION', message: /"site" appears twice/ });
    await assert.rejects(runCommandTrainer(fake, set, options({}, { signal: AbortSignal.abort() })), { code: 'NS_JOB_CANCELLED' });
  });

  it('incremental mode passes the previous model path; NDJSON on request', async () => {
    const previous = path.join(scratch, 'previous-model.json');
    writeFileSync(previous, '{}');
    const r = await runCommandTrainer({ ...fake, format: 'ndjson', modelFile: 'weights.onnx' }, set, options({}, { mode: 'incremental', previousModelPath: previous, validation: binarySet(5, 9) }));
    const job = await readJobFile(path.join(r.runDir, 'job.json'));
    assert.equal(job.mode, 'incremental');
    assert.equal(job.paths.previousModel, previous);
    assert.equal(job.dataFormat, 'ndjson');
    assert.match(job.paths.data, /data\.ndjson$/);
    assert.match(job.paths.validation ?? '', /validation\.ndjson$/);
    assert.equal((r.artifact.body as CommandModelBody).format, 'onnx');
  });
});
