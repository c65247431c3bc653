/**
 * The dashboard benchmark's store (setup, not measured): 1,000 models (10 tenants × 100), each
 * with a train job, a nightly schedule in its tenant's zone, two registered versions (v2 the
 * champion, through the registry) and a dataset; 100,000 finished runs (100 per model), 10,000
 * slot records (10 per schedule) and 10,000 retrain decisions (the last 10 runs of each model),
 * inserted with the store's own statements; and the alerts, notifications and audit entries of
 * seed-monitoring.ts.
 */
import { defineDataset } from '../../src/data/ingest/dataset-service.ts';
import { syntheticSchema } from '../../src/data/synthetic/index.ts';
import type { Engine } from '../../src/engine.ts';
import { newId } from '../../src/ids.ts';
import { SLOT_FATE } from '../../src/runs/states.ts';
import { inTransaction } from '../../src/store/db.ts';
import { upsertJob } from '../../src/store/jobs.ts';
import { upsertModelDefinition } from '../../src/store/model-definitions.ts';
import { insertAssessment } from '../../src/store/assessments.ts';
import { insertRuns, runValues, type RunRow } from '../../src/store/runs.ts';
import { insertSlots, type SlotRow } from '../../src/store/slots.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { seedMonitoring } from './seed-monitoring.ts';

export const TENANTS = 10;
export const MODELS_PER_TENANT = 100;
export const RUNS_PER_MODEL = 100;
export const SLOTS_PER_SCHEDULE = 10;
export const ASSESSMENTS_PER_MODEL = 10;
const DAY = 86_400_000;
const ZONES = ['America/New_York', 'Europe/London', 'Australia/Sydney', 'Asia/Tokyo', 'UTC'];

export const tenantIds = () => Array.from({ length: TENANTS }, (_, i) => `tenant-${String(i).padStart(2, '0')}`);
export const modelName = (i: number) => `model_${String(i).padStart(3, '0')}`;

const definition = (name: string) =>
  parseModelDefinition({
    name,
    task: 'binary',
    dataset: 'machines',
    features: { continuous: ['temperature', 'vibration', 'pressure', 'rpm'], categorical: ['model'] },
    trainer: { kind: 'gbdt', params: { numTrees: 30 } },
    gate: { thresholds: { auc: 0.7 }, change: { maxDecrease: 0.02 } },
    retrain: { minNewSamples: 50, maxDaysSinceTraining: 7, drift: true },
  });

function finishedRun(tenantId: string, jobId: string, scheduleId: string, now: number, i: number): RunRow {
  const slotAt = now - (RUNS_PER_MODEL - i) * DAY;
  const durationMs = 5_000 + ((i * 7_919) % 115_000);
  const failed = i % 10 === 9;
  const base = runValues({ id: newId('run', slotAt), tenantId, jobId, trigger: 'slot', status: failed ? 'failed' : 'succeeded', maxAttempts: 1, timeoutMs: 3_600_000, runAt: slotAt, now: slotAt, scheduleId, slotAt, lateMs: 3 });
  return {
    ...base,
    attempt: 1,
    started_at: slotAt + 50,
    finished_at: slotAt + 50 + durationMs,
    duration_ms: durationMs,
    exit_code: failed ? 1 : 0,
    outcome: failed ? null : 'promoted',
    ...(failed ? { error_code: 'NS_JOB_FAILED', error_message: 'exited with code 1' } : { metrics: JSON.stringify({ auc: 0.8 + (i % 100) / 1000 }) }),
    log_tail: 'load: 120 ms\ntrain: 900 ms\nregister: 30 ms\n',
    updated_at: slotAt + 50 + durationMs,
  };
}

function assessmentOf(tenantId: string, model: string, run: RunRow, i: number) {
  const newSamples = 20 + ((i * 37) % 90);
  const train = newSamples >= 50;
  const assessment = {
    train,
    reason: train ? 'policy' : 'no_training_needed',
    combine: 'any',
    rules: [
      { rule: 'minNewSamples', value: newSamples, threshold: 50, verdict: train ? 'retrain' : 'ok', detail: `${newSamples} labelled sample(s) since the champion's window` },
      { rule: 'maxDaysSinceTraining', value: 1, threshold: 7, verdict: 'ok', detail: 'champion trained 1 day(s) ago' },
      { rule: 'drift', value: null, threshold: 0.5, verdict: 'not_evaluated', detail: '0 recent row(s); 100 needed' },
    ],
    champion: { version: 2, trainedUntil: run.run_at - DAY, createdAt: run.run_at - DAY },
    counts: { newSamples, liveRows: null, driftRows: 0 },
    window: { since: run.run_at - DAY, until: run.run_at },
    drift: null,
    summary: train ? `retrain: minNewSamples retrain (${newSamples} vs 50)` : `no training needed: minNewSamples ok (${newSamples} vs 50)`,
  };
  return { id: newId('asm', run.run_at), tenant_id: tenantId, model_name: model, run_id: run.id, at: run.run_at, train: train ? 1 : 0, reason: assessment.reason, assessment: JSON.stringify(assessment) };
}

export async function seedDashboardStore(engine: Engine, now: number): Promise<{ runId: string; tenantId: string; model: string; scheduleId: string }> {
  const { db } = engine;
  const artifact = new TextEncoder().encode(JSON.stringify({ kind: 'bench', trees: [] }));
  let sample: { runId: string; tenantId: string; model: string; scheduleId: string } | null = null;
  for (const [t, tenantId] of tenantIds().entries()) {
    const zone = ZONES[t % ZONES.length]!;
    await engine.tenants.create({ id: tenantId, name: `Tenant ${t}`, timezone: zone });
    await defineDataset(db, syntheticSchema(tenantId, 'fails_within_24h', 'machines'), now);
    const runs: RunRow[] = [];
    const slots: SlotRow[] = [];
    await inTransaction(db, async (x) => {
      for (let m = 0; m < MODELS_PER_TENANT; m++) {
        const name = modelName(m);
        const jobId = `train-${name}`;
        await upsertJob(x, { id: jobId, kind: 'train', model: name, description: '', role: null, tenants: null, after: [], env: {}, timeoutMs: 3_600_000, retry: { retries: 0, backoffMs: [], jitterRatio: 0 } }, now);
        await upsertModelDefinition(x, tenantId, definition(name), jobId, 'api', now);
        const scheduleId = `${tenantId}.${name}.nightly`;
        const first = runs.length;
        for (let i = 0; i < RUNS_PER_MODEL; i++) runs.push(finishedRun(tenantId, jobId, scheduleId, now, i));
        for (const run of runs.slice(-ASSESSMENTS_PER_MODEL)) await insertAssessment(x, assessmentOf(tenantId, name, run, runs.indexOf(run, first) - first));
        for (let i = 0; i < SLOTS_PER_SCHEDULE; i++) {
          const slotAt = now - (SLOTS_PER_SCHEDULE - i) * DAY;
          const fate = i % 5 === 4 ? SLOT_FATE.skipped : i % 7 === 6 ? SLOT_FATE.firedLate : SLOT_FATE.fired;
          slots.push({ schedule_id: scheduleId, slot_at: slotAt, tenant_id: tenantId, job_id: jobId, fate, reason: fate === SLOT_FATE.skipped ? 'overlap: the previous run is still running' : null, late_ms: fate === SLOT_FATE.firedLate ? 42_000 : 0, run_id: null, decided_at: slotAt, decided_by: 'bench' });
        }
        sample ??= { runId: '', tenantId, model: name, scheduleId };
      }
      await insertRuns(x, runs);
      await insertSlots(x, slots);
    });
    sample!.runId ||= runs.at(-1)!.id;
    await seedMonitoring(db, tenantId, Array.from({ length: MODELS_PER_TENANT }, (_, m) => modelName(m)), now);
    for (let m = 0; m < MODELS_PER_TENANT; m++) {
      const name = modelName(m);
      await engine.schedules.upsert({ id: `${tenantId}.${name}.nightly`, tenantId, jobId: `train-${name}`, cron: `${m % 60} 2 * * *`, everyMs: null, timezone: zone, enabled: true, jitterMs: 0, misfireGraceMs: 3_600_000, catchUp: 'latest', catchUpMax: 10, overlap: 'skip' });
      for (const [v, auc] of [0.81, 0.83].entries()) {
        const version = await engine.models.registry.registerVersion(
          { tenantId, modelName: modelName(m), trainer: 'gbdt', params: { numTrees: 30 }, mode: 'full', dataWindow: { since: now - 30 * DAY, until: now - DAY }, samples: { train: 40_000, holdout: 10_000 }, metrics: { auc: auc + (m % 10) / 1000, logloss: 0.3 }, gate: { passed: true, reasons: [{ check: 'threshold', metric: 'auc', value: auc, bound: 0.7, direction: 'min', passed: true }] }, trainingMs: 4_000 + v * 100, trigger: 'schedule' },
          artifact,
        );
        await engine.models.registry.promote(tenantId, modelName(m), version.version, { reason: 'gate passed', actor: 'bench' });
      }
    }
  }
  return sample!;
}
