/**
 * The demo (examples/demo/nightshift.yaml) as its first start builds it, without a server:
 *  - its generated data, and so the rows and the holdout its first training sees, do not depend on
 *    the time of day of the first start: a sweep of 48 start times over a day (crossing midnight)
 *    gives the same rows, all inside the model's window — the fast check;
 *  - on those rows each tenant's first model clears the yaml's gate (auc ≥ 0.75), through the real
 *    pipeline (one training per tenant);
 *    It is recorded as the start-up's (trigger and champion-history actor `startup`), not `manual`;
 *  - its analysis pipeline ends as `no_data` when the last hour really has no readings (the plants'
 *    maintenance stop), and collects readings otherwise.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { loadSettings } from '../../src/config/index.ts';
import type { Settings } from '../../src/config/types.ts';
import { generateTenant } from '../../src/data/synthetic/index.ts';
import { Engine } from '../../src/engine.ts';
import { runPipeline } from '../../src/runs/exec/index.ts';
import { demoSeries } from '../../src/services/data-service.ts';
import { inTransaction, LOCK_KEYS } from '../../src/store/db.ts';
import { claimRuns } from '../../src/store/run-transitions.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { executeTrainingRun } from '../../src/training/training-run.ts';
import { bootstrapDeclared } from '../../src/models/bootstrap.ts';
import { tempDir } from '../helpers/settings.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const DEMO = join(ROOT, 'examples', 'demo', 'nightshift.yaml');
const DAY = 86_400_000;
const MINUTE = 60_000;

const demo = (): Settings => loadSettings({ env: {}, cwd: ROOT, configPath: DEMO });

describe('the demo', () => {
  test('yaml: the gate is 0.75 again, and the model window holds a generated series whatever the time of the first start', () => {
    const s = demo();
    const model = s.models.find((m) => m.definition.name === 'failure')!.definition;
    assert.equal(model.gate.thresholds.auc, 0.75);
    const dataset = s.datasets.find((d) => d.id === 'machines')!;
    // The series ends at the last UTC midnight, up to a day before the first training.
    assert.ok(model.dataRangeDays >= dataset.generate!.days + 1, `window ${model.dataRangeDays} days, series ${dataset.generate!.days} days`);
  });

  test('48 start times over a day: the same rows (relative to the series end), all inside the first training window — for each tenant', () => {
    const s = demo();
    const model = s.models.find((m) => m.definition.name === 'failure')!.definition;
    const g = s.datasets.find((d) => d.id === 'machines')!.generate!;
    const first = Date.parse('2026-03-01T12:15:00Z');
    for (const [index, tenant] of s.tenants.entries()) {
      const fingerprints = new Set<string>();
      // A series is a function of its options: generated once per distinct options (two days here).
      const series = new Map<string, { endMs: number; records: ReturnType<typeof generateTenant>['records']; fingerprint: string }>();
      for (let k = 0; k < 48; k++) {
        const startedAt = first + k * 30 * MINUTE;
        const options = demoSeries(g, index, startedAt);
        const key = JSON.stringify(options);
        if (!series.has(key)) {
          const { records } = generateTenant(options, 0);
          const hash = createHash('sha256');
          for (const r of records) hash.update(JSON.stringify([r.ts - options.endMs, r.machineId, r.model, r.sensors, r.failsWithin24h]));
          series.set(key, { endMs: options.endMs, records, fingerprint: hash.digest('hex') });
        }
        const { records, fingerprint } = series.get(key)!;
        // What the first training (a minute later, say) loads: [until − dataRangeDays, until).
        const until = startedAt + MINUTE;
        const since = until - model.dataRangeDays * DAY;
        assert.ok(records[0]!.ts >= since && records.at(-1)!.ts < until, `${tenant.id} at ${new Date(startedAt).toISOString()}: every row in the window`);
        fingerprints.add(fingerprint);
      }
      assert.equal(series.size, 2, 'the sweep crosses a UTC midnight');
      assert.equal(fingerprints.size, 1, `${tenant.id}: one data set for 48 start times, on either day`);
    }
  });

  test("each tenant's first model passes the yaml's gate (auc ≥ 0.75) through the real pipeline", { timeout: 600_000 }, async (t) => {
    const startedAt = Date.parse('2026-03-01T05:30:00Z'); // the old worst hour for initech
    const settings = { ...demo(), dataDir: tempDir('ns-demo-data-'), logLevel: 'silent', concurrency: 1 };
    const clock = new ManualClock(startedAt);
    const engine = await Engine.open({ settings, clock });
    try {
      await bootstrapDeclared({ settings, data: engine.data, models: engine.models, runs: engine.runs, logger: engine.logger }, new AbortController().signal);
      const runs = await engine.runs.list(ALL_TENANTS, { jobId: 'train-failure' });
      assert.equal(runs.length, 3, 'a first training queued per tenant');
      assert.deepEqual(runs.map((r) => r.trigger), ['startup', 'startup', 'startup'], 'recorded as the start-up training, not as a manual one');
      const claimed = await inTransaction(engine.db, (x) => claimRuns(x, ALL_TENANTS, { owner: 'test', host: 'h', now: startedAt, leaseMs: 3_600_000, limit: 3 }), { lock: LOCK_KEYS.claim });
      for (const run of claimed) {
        const result = await executeTrainingRun(
          { db: engine.db, registry: engine.models.registry, now: () => startedAt + MINUTE, defaultMode: 'full', workDir: tempDir(), killGraceMs: 1_000, niceness: 0 },
          { tenantId: run.tenant_id, runId: run.id, owner: 'test', attempt: run.attempt, threads: 2 },
        );
        assert.equal(result.outcome, 'promoted', `${run.tenant_id}: ${result.message}`);
        assert.ok((result.metrics.auc ?? 0) >= 0.75, `${run.tenant_id}: auc ${result.metrics.auc}`);
        t.diagnostic(`${run.tenant_id}: holdout auc ${result.metrics.auc?.toFixed(4)}`);
        const version = await engine.models.registry.versionOfRun(run.tenant_id, run.id);
        assert.equal(version?.trigger, 'startup');
        const [promotion] = await engine.models.history(run.tenant_id, 'failure');
        assert.deepEqual([promotion?.action, promotion?.actor], ['promote', 'startup'], 'the champion history names the start-up as the actor');
      }
    } finally {
      await engine.close(1_000);
    }
  });

  test('the analysis pipeline ends as no_data when the last hour has no readings (the maintenance stop), and collects them otherwise', { timeout: 60_000 }, async () => {
    const job = demo().jobs.find((j) => j.id === 'sensor-analysis');
    assert.ok(job?.kind === 'pipeline');
    const out = tempDir('ns-demo-out-');
    const analyse = (slot: string) =>
      runPipeline(
        job.steps.map((step) => ({ ...step, cwd: ROOT })),
        { signal: new AbortController().signal, killGraceMs: 5_000, logTailBytes: 16_384, extraEnv: { NIGHTSHIFT_TENANT_ID: 'acme', NIGHTSHIFT_SLOT_AT: slot, DEMO_OUT: out } },
      );
    for (const slot of ['2026-03-01T03:00:00.000Z', '2026-03-01T03:30:00.000Z', '2026-03-01T04:00:00.000Z']) {
      const r = await analyse(slot);
      assert.equal(r.status, 'succeeded', r.logTail);
      assert.equal(r.outcome, 'no_data', `${slot}: ${r.logTail}`);
      assert.deepEqual(r.steps?.map((s) => s.name), ['collect'], 'detect does not run');
      assert.equal(existsSync(join(out, 'acme', 'report.json')), false);
    }
    const partly = await analyse('2026-03-01T04:10:00.000Z');
    assert.equal(partly.outcome, undefined, partly.logTail);
    assert.equal(partly.metrics['collect.events_count'], 8 * 10, 'the ten minutes since the plant restarted');
    const full = await analyse('2026-03-01T12:00:00.000Z');
    assert.equal(full.outcome, undefined, full.logTail);
    assert.equal(full.metrics['collect.events_count'], 8 * 60);
    assert.deepEqual(full.steps?.map((s) => s.name), ['collect', 'detect']);
    assert.equal(JSON.parse(readFileSync(join(out, 'acme', 'report.json'), 'utf8')).machines.length, 8);
  });
});
