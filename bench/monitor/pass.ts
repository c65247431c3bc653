/**
 * Child process. One monitor pass over 10,000 declared models (100 tenants × 100 models), each with
 * a champion, 5 ended trainings (a tenth of the models failing often enough for TRAINING_FAILURE, a
 * twentieth three in a row), a live point (a tenth below the accuracy threshold, a twentieth
 * declining) and a drift assessment (a twentieth drifted), plus 20 trainings running (2 stuck).
 * The store is filled with bulk inserts (setup, not timed); then MonitorService.evaluate() over every
 * tenant is timed: the first pass (opening the alerts) and then steady passes (nothing changes,
 * the median of 5). Prints one JSON line. argv: <sqlite|postgres>
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { EngineEvents } from '../../src/events.ts';
import { MONITOR_DEFAULTS } from '../../src/monitor/alert-thresholds.ts';
import { MonitorService } from '../../src/services/monitor-service.ts';
import { inTransaction, openDb } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { freshPostgresUrl } from '../../test/helpers/dialects.ts';
import { tempDir } from '../../test/helpers/settings.ts';
import { championAliasRow, championVersionRow, dropSchema, insertChunks, tenantRow } from '../lib/seed-models.ts';

const TENANTS = 100;
const MODELS_PER_TENANT = 100;
const NOW = Date.parse('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;
const STEADY_PASSES = 5;

const progress = (text: string) => process.stderr.write(`monitor: ${text}\n`);

async function measure(dialect: 'sqlite' | 'postgres') {
  const dataDir = tempDir('ns-bench-monitor-');
  const databaseUrl = dialect === 'postgres' ? await freshPostgresUrl() : null;
  const db = await openDb({ dataDir, databaseUrl });
  try {
    await migrate(db);
    progress(`${dialect}: filling ${TENANTS * MODELS_PER_TENANT} models (setup, not timed)`);
    const tenants: Array<Record<string, unknown>> = [];
    const defs: Array<Record<string, unknown>> = [];
    const versions: Array<Record<string, unknown>> = [];
    const aliases: Array<Record<string, unknown>> = [];
    const runs: Array<Record<string, unknown>> = [];
    const points: Array<Record<string, unknown>> = [];
    const assessments: Array<Record<string, unknown>> = [];
    let n = 0;
    for (let t = 0; t < TENANTS; t += 1) {
      const tenantId = `tenant_${String(t).padStart(3, '0')}`;
      tenants.push(tenantRow(tenantId, NOW));
      for (let m = 0; m < MODELS_PER_TENANT; m += 1, n += 1) {
        const name = `model_${String(m).padStart(3, '0')}`;
        const jobId = `train-${name}`;
        const def = parseModelDefinition({ task: 'binary', dataset: 'readings', features: { continuous: ['temp', 'vibration', 'pressure'] }, retrain: { minNewSamples: 50 } }, '', name);
        defs.push({ tenant_id: tenantId, name, job_id: jobId, spec: JSON.stringify(def), origin: 'api', declared_hash: null, created_at: NOW, updated_at: NOW });
        versions.push(championVersionRow(tenantId, name, { since: NOW - 30 * 24 * HOUR, until: NOW - 2 * HOUR, createdAt: NOW - 2 * HOUR }));
        aliases.push(championAliasRow(tenantId, name, NOW - 2 * HOUR));
        for (let r = 0; r < 5; r += 1) {
          const failed = (n % 10 === 0 && r % 2 === 0) || (n % 20 === 5 && r >= 2);
          const finished = NOW - (5 - r) * HOUR;
          runs.push({
            id: `run_${n}_${r}`, tenant_id: tenantId, job_id: jobId, schedule_id: null, slot_at: null, trigger: 'schedule', status: failed ? 'failed' : 'succeeded',
            attempt: 1, max_attempts: 4, recoveries: 0, interruptions: 0, timeout_ms: 2 * HOUR, params: null, run_at: finished - 60_000, queued_at: finished - 60_000,
            started_at: finished - 60_000, finished_at: finished, duration_ms: 60_000, late_ms: 0, lease_owner: null, lease_expires_at: null, heartbeat_at: null,
            deadline_at: null, cancel_requested: 0, pid: null, host: null, exit_code: failed ? 1 : 0, exit_signal: null, outcome: failed ? null : 'promoted', reason: null,
            error_code: null, error_message: failed ? 'boom' : null, error_context: null, log_tail: null, metrics: null, steps: null, parent_run_id: null, updated_at: finished, result: null,
          });
        }
        if (n % 500 === 0) {
          const started = n % 1000 === 0 ? NOW - 3 * HOUR : NOW - 10 * 60_000;
          runs.push({ ...runs.at(-1)!, id: `run_${n}_running`, status: 'running', started_at: started, finished_at: null, duration_ms: null, outcome: null });
        }
        points.push({ tenant_id: tenantId, model_name: name, at: NOW - HOUR, version: 1, metric: 'auc', value: 0.88, accuracy: n % 10 === 3 ? 0.6 : 0.86, labelled: 500, trend: n % 20 === 7 ? 'declining' : 'stable', slope: 0 });
        const drifted = n % 20 === 11;
        assessments.push({
          id: `asm_${n}`, tenant_id: tenantId, model_name: name, run_id: null, at: NOW - HOUR, train: drifted ? 1 : 0, reason: drifted ? 'policy' : 'no_training_needed', assessment: '{}',
          drift_verdict: drifted ? 'retrain' : 'ok', drift_value: drifted ? 0.6 : 0.1, drift_threshold: 0.5, champion_version: 1,
        });
      }
    }
    await inTransaction(db, async (x) => {
      await insertChunks(x, 'tenants', tenants);
      await insertChunks(x, 'model_definitions', defs);
      await insertChunks(x, 'model_versions', versions, 200);
      await insertChunks(x, 'model_aliases', aliases);
      await insertChunks(x, 'runs', runs, 100);
      await insertChunks(x, 'model_live_points', points);
      await insertChunks(x, 'assessments', assessments);
    });
    // Fresh tables: statistics for the planner, as autovacuum would gather on a live store.
    await sql`analyze`.execute(db.k);
    const clock = new ManualClock(NOW);
    const monitor = new MonitorService({ db, clock, events: new EngineEvents(), logger: pino({ level: 'silent' }), settings: { ...MONITOR_DEFAULTS }, models: { list: async () => [], model: async () => { throw new Error('unused'); }, registry: null } as never });
    progress(`${dialect}: first pass`);
    const t0 = performance.now();
    const first = await monitor.evaluate();
    const firstS = (performance.now() - t0) / 1000;
    const steady: number[] = [];
    for (let i = 0; i < STEADY_PASSES; i += 1) {
      clock.advance(60_000);
      const t1 = performance.now();
      const r = await monitor.evaluate();
      steady.push((performance.now() - t1) / 1000);
      if (r.opened !== 0 || r.resolved !== 0) throw new Error(`a steady pass changed alerts: ${JSON.stringify(r)}`);
    }
    steady.sort((a, b) => a - b);
    return { dialect, models: first.models, opened: first.opened, firstS, steadyS: steady[steady.length >> 1]!, steadyMaxS: steady.at(-1)! };
  } finally {
    await db.close();
    if (process.env.KEEP) progress(`kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl && !process.env.KEEP) await dropSchema(databaseUrl);
    else if (databaseUrl) progress(`kept ${databaseUrl}`);
  }
}

const dialect = process.argv[2];
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error(`expected "sqlite" or "postgres", got "${dialect}"`);
process.stdout.write(`${JSON.stringify(await measure(dialect))}\n`);
