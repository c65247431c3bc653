import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runPipeline, type ExecOptions, type PipelineStep } from '../../src/runs/exec/index.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/commands/${name}`, import.meta.url));
const step = (name: string, args: string[], extra: Partial<PipelineStep> = {}): PipelineStep => ({ name, command: process.execPath, args: [fixture('emit.mjs'), ...args], ...extra });
const opts = (over: Partial<ExecOptions> = {}): ExecOptions => ({
  signal: new AbortController().signal,
  killGraceMs: 60_000,
  logTailBytes: 64 * 1024,
  ...over,
});
const scratch = mkdtempSync(path.join(tmpdir(), 'ns-pipeline-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
const marker = (name: string) => path.join(scratch, `${name}-${Math.random().toString(36).slice(2)}`);

describe('runPipeline', () => {
  it('runs every step in order, merging prefixed metrics and passing NIGHTSHIFT_STEP', async () => {
    const r = await runPipeline([
      step('fetch', ['env:NIGHTSHIFT_STEP', 'out:::metric events_count=120']),
      step('train', ['env:NIGHTSHIFT_STEP', 'env:RUN', 'out:::metric loss=0.5'], { env: { RUN: 'spec' } }),
      step('eval', ['env:NIGHTSHIFT_STEP', 'out:::metric auc=0.91']),
    ], opts({ extraEnv: { RUN: 'r1' } }));
    assert.equal(r.status, 'succeeded');
    assert.equal(r.outcome, undefined);
    assert.equal(r.exitCode, 0);
    assert.deepEqual(r.metrics, { 'fetch.events_count': 120, 'train.loss': 0.5, 'eval.auc': 0.91 });
    assert.deepEqual(r.steps?.map((s) => [s.name, s.status, s.metrics]), [
      ['fetch', 'succeeded', { events_count: 120 }],
      ['train', 'succeeded', { loss: 0.5 }],
      ['eval', 'succeeded', { auc: 0.91 }],
    ]);
    assert.ok(r.steps?.every((s) => s.startedAt > 0 && s.durationMs >= 0));
    assert.match(r.logTail, /^== step fetch ==\nNIGHTSHIFT_STEP=fetch\n.*== step train ==\nNIGHTSHIFT_STEP=train\nRUN=r1\n.*== step eval ==\nNIGHTSHIFT_STEP=eval\n/s);
  });

  it('ends early with the outcome mapped from an exit code, skipping later steps', async () => {
    const trained = marker('train');
    const r = await runPipeline([
      step('fetch', ['out:::metric events_count=0', 'err:no rows in window', 'exit:3'], { outcomes: { '3': 'no_data' } }),
      step('train', [`touch:${trained}`]),
    ], opts());
    assert.equal(r.status, 'succeeded');
    assert.equal(r.outcome, 'no_data');
    assert.equal(r.exitCode, 3);
    assert.equal(r.error, undefined);
    assert.deepEqual(r.metrics, { 'fetch.events_count': 0 });
    assert.equal(r.steps?.length, 1);
    assert.equal(r.steps?.[0]?.outcome, 'no_data');
    assert.equal(existsSync(trained), false);
    assert.match(r.logTail, /outcome "no_data"; skipped: train/);
  });

  it('ends early with an ::outcome directive', async () => {
    const trained = marker('train');
    const r = await runPipeline([step('fetch', ['out:::outcome no_data']), step('train', [`touch:${trained}`])], opts());
    assert.equal(r.status, 'succeeded');
    assert.equal(r.outcome, 'no_data');
    assert.equal(r.steps?.length, 1);
    assert.equal(existsSync(trained), false);
  });

  it('stops at a failing step; its status and error become the pipeline\'s', async () => {
    const first = marker('first');
    const third = marker('third');
    const r = await runPipeline([
      step('fetch', [`touch:${first}`]),
      step('train', ['err:out of memory', 'exit:2'], { outcomes: { '3': 'no_data' } }),
      step('publish', [`touch:${third}`]),
    ], opts());
    assert.equal(r.status, 'failed');
    assert.equal(r.exitCode, 2);
    assert.equal(r.error, 'step "train": exited with code 2: out of memory');
    assert.deepEqual(r.steps?.map((s) => s.status), ['succeeded', 'failed']);
    assert.equal(existsSync(first), true);
    assert.equal(existsSync(third), false);
  });

  it('propagates a transient step', async () => {
    const r = await runPipeline([step('fetch', ['exit:75']), step('train', [])], opts());
    assert.equal(r.status, 'transient');
    assert.equal(r.steps?.length, 1);
  });

  it('aborts the running step and runs no later one', async () => {
    const controller = new AbortController();
    const third = marker('third');
    const r = await runPipeline([
      step('fetch', []),
      { name: 'train', command: process.execPath, args: [fixture('wait-for-term.mjs')] },
      step('publish', [`touch:${third}`]),
    ], opts({ signal: controller.signal, onLine: (_s, l) => l === 'ready' && controller.abort() }));
    assert.equal(r.status, 'aborted');
    assert.deepEqual(r.steps?.map((s) => s.status), ['succeeded', 'aborted']);
    assert.equal(existsSync(third), false);
  });

  it('succeeds with no steps', async () => {
    const r = await runPipeline([], opts());
    assert.equal(r.status, 'succeeded');
    assert.deepEqual(r.steps, []);
  });
});
