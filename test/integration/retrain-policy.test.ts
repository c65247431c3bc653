/**
 * Deciding when to retrain, through the API and the real training process:
 *  - a run whose policy finds too few new samples ends skipped (no_training_needed) with its
 *    assessment in the run and in the model's assessments; enough new samples train it;
 *  - arriving data queues a policy run, and a burst of 100 ingests queues exactly one per model;
 *  - predictions served through the API, labelled later, give the champion's live metric (and a
 *    rejected candidate's shadow score), which the minLiveMetric rule reads.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import type { RawSample } from '../../src/data/types.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { body, openTestApi, waitForRunEnd, type TestApi } from '../helpers/api.ts';
import { FAILURE_MODEL, fillFleet, fleetCsv, fleetSamples } from '../fixtures/training/fleet.ts';

const DAY = 86_400_000;
const URL = '/api/tenants/acme/models';

function declare(name: string, retrain: Record<string, unknown>): { model: DeclaredModel; job: TrainJob } {
  const definition = parseModelDefinition({ ...FAILURE_MODEL, name, mode: 'full', retrain });
  const job: TrainJob = { id: `train-${name}`, kind: 'train', model: name, description: '', role: null, tenants: ['acme'], after: [], env: {}, timeoutMs: 120_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 } };
  return { model: { tenants: ['acme'], jobId: job.id, definition }, job };
}

describe('retrain decisions', { timeout: 300_000 }, () => {
  let t: TestApi;
  let seed = 100;
  // `failure` is trained by hand only (onIngest false); the other two are triggered by arriving data.
  const a = declare('failure', { minNewSamples: 50, minLiveMetric: { min: 0.995, minRows: 10 }, onIngest: false });
  const b = declare('failure_b', { minNewSamples: 50, minLiveMetric: { min: 0.995, minRows: 10 } });
  const c = declare('failure_c', { minNewSamples: 50, drift: true });

  /** Labelled samples after the champion's window, ingested over the API (which triggers policy assessment). */
  const ingest = async (rows: RawSample[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/tenants/acme/datasets/machines/samples', headers: { 'content-type': 'text/csv' }, payload: fleetCsv(rows) });
    assert.equal(res.statusCode, 200, res.body);
  };
  const fresh = (n: number, endMs = Date.now()) => fleetSamples({ endMs, days: 1, machines: 40, seed: seed++ }).slice(-n);
  const train = async (model: string, payload: Record<string, unknown> = {}) => {
    const res = await t.app.inject({ method: 'POST', url: `${URL}/${model}/train`, payload });
    assert.equal(res.statusCode, 202, res.body);
    const runId = body<{ id: string }>(res).id;
    await t.engine.workers.claimAndStart();
    return waitForRunEnd(t.engine, runId, 120_000);
  };

  before(async () => {
    t = await openTestApi({ models: [a.model, b.model, c.model], jobs: [a.job, b.job, c.job], clock: { now: () => Date.now() } });
    await fillFleet(t.engine.db, 'acme', { endMs: Date.now() - 2 * DAY, days: 20 });
    t.engine.workers.lifecycle.to('running');
    for (const m of ['failure', 'failure_b', 'failure_c']) {
      const first = await train(m);
      assert.equal(first.outcome, 'promoted', first.log_tail ?? '');
      assert.equal((JSON.parse(first.result!) as { assessment: { reason: string } }).assessment.reason, 'no_champion');
    }
  });
  after(async () => t?.close());

  test('too few new samples: the run ends skipped with its assessment; enough of them train', async () => {
    await ingest(fresh(10, Date.now() - DAY));
    await t.engine.policy.flush();
    const quiet = await train('failure', { force: false });
    assert.equal(quiet.status, 'skipped');
    assert.equal(quiet.reason, 'no_training_needed');
    assert.equal(quiet.outcome, 'no_training_needed');
    const detail = body<{ status: string; stages: Array<{ stage: string }>; assessment: { train: boolean; rules: Array<{ rule: string; value: number; threshold: number; verdict: string }> } }>(
      await t.app.inject({ url: `/api/runs/${quiet.id}` }),
    );
    assert.deepEqual(detail.stages.map((s) => s.stage), ['decide'], 'nothing after the decision');
    assert.equal(detail.assessment.train, false);
    assert.deepEqual(detail.assessment.rules.find((r) => r.rule === 'minNewSamples'), { rule: 'minNewSamples', value: 10, threshold: 50, verdict: 'ok', detail: "10 labelled sample(s) since the champion's window" });
    const listed = body<{ assessments: Array<{ runId: string; assessment: { reason: string } }> }>(await t.app.inject({ url: `${URL}/failure/assessments?limit=1` }));
    assert.deepEqual([listed.assessments[0]?.runId, listed.assessments[0]?.assessment.reason], [quiet.id, 'no_training_needed']);

    await ingest(fresh(60, Date.now() - DAY / 2));
    await t.engine.policy.flush();
    for (const r of await t.engine.runs.list(ALL_TENANTS, { status: ['queued'] })) await t.engine.runs.cancel('acme', r.id, 'the other models are not under test here');
    const trained = await train('failure', { force: false });
    assert.ok(['promoted', 'rejected'].includes(trained.outcome ?? ''), `it trained: ${trained.outcome}`);
    const result = JSON.parse(trained.result!) as { assessment: { reason: string; rules: Array<{ rule: string; verdict: string }> } };
    assert.equal(result.assessment.reason, 'policy');
    assert.equal(result.assessment.rules.find((r) => r.rule === 'minNewSamples')?.verdict, 'retrain');
  });

  test('a burst of 100 ingests queues exactly one policy run per model that triggers on ingest', async () => {
    await t.engine.policy.flush();
    for (const r of await t.engine.runs.list(ALL_TENANTS, { status: ['queued'] })) await t.engine.runs.cancel('acme', r.id, 'earlier ingests queued it');
    const earlier = new Set((await t.engine.runs.list(ALL_TENANTS, {})).map((r) => r.id));
    const rows = fresh(100, Date.now() - DAY / 4);
    for (const row of rows) await ingest([row]);
    await t.engine.policy.flush();
    const queued = (await t.engine.runs.list(ALL_TENANTS, {})).filter((r) => !earlier.has(r.id));
    assert.deepEqual(queued.map((r) => [r.job_id, r.trigger, r.status]).sort(), [['train-failure_b', 'policy', 'queued'], ['train-failure_c', 'policy', 'queued']], 'one per model; none for the model that does not trigger on ingest');
    for (const r of queued) await t.engine.runs.cancel('acme', r.id, 'test done with it');
  });

  test("served predictions, labelled later, give the champion's live metric, and the rule reads it", async () => {
    const rows = fresh(40, Date.now() - DAY / 8);
    const served = await t.app.inject({
      method: 'POST',
      url: `${URL}/failure_b/predict`,
      payload: { rows: rows.map((s) => ({ entity: s.entity, ts: s.ts, values: { temperature: s.values.temperature, vibration: s.values.vibration, pressure: s.values.pressure, rpm: s.values.rpm, model: s.values.model } })) },
    });
    assert.equal(served.statusCode, 200, served.body);
    await t.engine.models.flushPredictionLog();
    type Live = { champion: { rows: number; value: number | null; daily: Array<{ rows: number }> } };
    let live = body<Live>(await t.app.inject({ url: `${URL}/failure_b/live?days=2` }));
    assert.equal(live.champion.rows, 0, 'no label has arrived yet');

    await ingest(rows);
    live = body<Live>(await t.app.inject({ url: `${URL}/failure_b/live?days=2` }));
    assert.equal(live.champion.rows, 40, 'each logged prediction found its label');
    assert.ok(live.champion.value !== null && live.champion.value > 0.3 && live.champion.value <= 1, `live AUC ${live.champion.value}`);
    assert.equal(live.champion.daily.reduce((s, d) => s + d.rows, 0), 40);

    const dry = body<{ rules: Array<{ rule: string; value: number; verdict: string }> }>(await t.app.inject({ url: `${URL}/failure_b/assess` }));
    const rule = dry.rules.find((r) => r.rule === 'minLiveMetric');
    assert.equal(rule?.verdict, 'retrain', 'live AUC below the 0.995 floor');
    assert.ok(Math.abs(rule!.value - live.champion.value!) < 1e-9, 'the rule reads the same live metric');
  });
});
