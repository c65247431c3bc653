/**
 * Seed 002 as an example config (examples/seed-002): each tenant's data jobs run (real processes
 * that ingest through the CLI), its three models train after them — the first time because they
 * have no champion, the next time only if their policies say so; a quiet cycle ends each training
 * `skipped` with reason `no_training_needed` and its assessment, shown by the seed-compatible
 * history route.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { bootstrapDeclared } from '../../src/models/bootstrap.ts';
import type { RunRow } from '../../src/store/runs.ts';
import { body, openTestApi, waitForRunEnd, type TestApi } from '../helpers/api.ts';
import { tempDir } from '../helpers/settings.ts';

const CONFIG = path.join(import.meta.dirname, '..', '..', 'examples', 'seed-002', 'nightshift.yaml');
const MODELS = ['train-lead_time', 'train-rework_risk', 'train-story_points'];

describe('seed 002: ML training after the data jobs, only when needed', { timeout: 300_000 }, () => {
  let t: TestApi;
  const saved = { dataDir: process.env.NIGHTSHIFT_DATA_DIR, rows: process.env.SYNC_ROWS };

  /** One data cycle of tenant_1: both sync jobs, then the trainings they queue (the worker loop runs them). */
  async function cycle(rows: number): Promise<RunRow[]> {
    process.env.SYNC_ROWS = String(rows);
    const queued: RunRow[] = [];
    const off = t.engine.events.on('run:queued', ({ run }) => run.trigger === 'dependency' && queued.push(run));
    try {
      for (const job of ['sync-jira', 'sync-github']) {
        const run = await t.engine.runs.trigger(job, 'tenant_1');
        const done = await waitForRunEnd(t.engine, run.id, 120_000);
        assert.equal(done.status, 'succeeded', `${job}: ${done.error_message ?? ''}\n${done.log_tail ?? ''}`);
      }
      assert.deepEqual(queued.map((r) => r.job_id).sort(), MODELS, 'each model queued once, after its data job');
      const ended = await Promise.all(queued.map((run) => waitForRunEnd(t.engine, run.id, 180_000)));
      return ended.sort((a, b) => a.job_id.localeCompare(b.job_id));
    } finally {
      off();
    }
  }

  before(async () => {
    const dir = tempDir('ns-seed-002-');
    // The data jobs ingest with the CLI, which finds the store through the environment they inherit.
    process.env.NIGHTSHIFT_DATA_DIR = dir;
    const settings = loadSettings({ configPath: CONFIG, env: { NIGHTSHIFT_DATA_DIR: dir, NIGHTSHIFT_LOG_LEVEL: 'silent', NIGHTSHIFT_AUTH: 'off' } });
    t = await openTestApi({ ...settings, target: { dialect: 'sqlite', dataDir: dir, databaseUrl: null }, clock: { now: () => Date.now() } });
    await bootstrapDeclared(t.engine, new AbortController().signal);
    t.engine.start({ scheduler: false });
  });
  after(async () => {
    await t?.close();
    process.env.NIGHTSHIFT_DATA_DIR = saved.dataDir;
    process.env.SYNC_ROWS = saved.rows;
    if (saved.dataDir === undefined) delete process.env.NIGHTSHIFT_DATA_DIR;
    if (saved.rows === undefined) delete process.env.SYNC_ROWS;
  });

  test('the first cycle trains the three models (no champion yet)', async () => {
    const runs = await cycle(400);
    for (const run of runs) {
      assert.equal(run.status, 'succeeded', `${run.job_id}: ${run.error_message ?? ''}\n${run.log_tail ?? ''}`);
      assert.equal(run.outcome, 'promoted', `${run.job_id}: ${run.log_tail ?? ''}`);
      assert.equal((JSON.parse(run.result!) as { assessment: { reason: string } }).assessment.reason, 'no_champion');
    }
    const champion = await t.engine.models.registry.champion('tenant_1', 'story_points');
    assert.equal(champion?.name, 'story_points_tenant_1_v1', "the seed's tenant-specific version name");
  });

  test('a quiet cycle ends each training skipped, no_training_needed, with its assessment in history', async () => {
    const runs = await cycle(10);
    for (const run of runs) {
      assert.deepEqual([run.job_id, run.status, run.reason], [run.job_id, 'skipped', 'no_training_needed']);
      const rules = (JSON.parse(run.result!) as { assessment: { rules: Array<{ rule: string; verdict: string }> } }).assessment.rules;
      assert.deepEqual(rules.map((r) => r.rule), ['minNewSamples', 'minLiveMetric', 'maxDaysSinceTraining']);
      assert.ok(rules.every((r) => r.verdict !== 'retrain'), JSON.stringify(rules));
    }
    // The seed-compatible history (the first training job by id: train-lead_time).
    const res = await t.app.inject({ url: '/api/training/history?organizationId=tenant_1' });
    assert.equal(res.statusCode, 200, res.body);
    const { history } = body<{ history: Array<{ id: string; status: string; reason: string | null; assessment: { train: boolean } | null }> }>(res);
    const skipped = history.find((j) => j.id === runs[0]!.id);
    assert.deepEqual([skipped?.status, skipped?.reason, skipped?.assessment?.train], ['skipped', 'no_training_needed', false], JSON.stringify(history[0]));
  });
});
