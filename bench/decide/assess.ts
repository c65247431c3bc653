/**
 * Child process (bench/lib/child.ts): the retrain decision for 10,000 (tenant, model) pairs, 100
 * tenants × 100 models, each with a champion and the counts and staleness rules
 * (`minNewSamples: 50`, `maxDaysSinceTraining: 30`), through assessModel, the function the train
 * job's `decide` stage calls (src/training/training-run.ts), against a real store.
 *
 * Setup (not timed): the tenants, each one's `machines` dataset with 200 labelled samples over the
 * last 10 days, and per model a champion version whose training window ended 5 days ago (so about
 * 100 samples are new), its rows inserted in bulk (bench/lib/seed-models.ts). Half the models were
 * trained 40 days ago (stale), half 10.
 * Timed: every pair assessed, CONCURRENCY at a time (the train jobs of a slot run side by side).
 * Prints one JSON line (AssessMeasurement). argv: <sqlite|postgres>
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { sql } from 'kysely';
import { ManualClock } from '../../src/clock.ts';
import { defineDataset } from '../../src/data/ingest/dataset-service.ts';
import { generateTenant, syntheticSchema, toRawSamples } from '../../src/data/synthetic/index.ts';
import { assessModel } from '../../src/policy/assessor.ts';
import { inTransaction } from '../../src/store/db.ts';
import { writeSamples } from '../../src/store/samples.ts';
import { insertTenant } from '../../src/store/tenants.ts';
import { parseModelDefinition, type ModelDefinition } from '../../src/training/model-definition.ts';
import { openRegistry } from '../../test/fixtures/registry/registry-store.ts';
import { freshPostgresUrl } from '../../test/helpers/dialects.ts';
import { tempDir } from '../../test/helpers/settings.ts';
import { progress } from '../api/progress.ts';
import { championAliasRow, championVersionRow, dropSchema, insertChunks } from '../lib/seed-models.ts';

/** NIGHTSHIFT_BENCH_ASSESS_TENANTS: fewer tenants for a smoke run (the benchmark's figure is at 100). */
export const TENANTS = Number(process.env.NIGHTSHIFT_BENCH_ASSESS_TENANTS ?? 100);
export const MODELS = 100;
export const CONCURRENCY = 4;
const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T02:00:00Z');

export interface AssessMeasurement {
  dialect: 'sqlite' | 'postgres';
  pairs: number;
  seconds: number;
  /** One pair at a time, for reference. */
  sequentialSeconds: number;
  concurrency: number;
  /** This process's CPU time (user + system) over the timed part: what it cost us, whatever else the machine ran. */
  cpuSeconds: number;
  sequentialCpuSeconds: number;
  setupSeconds: number;
  /** Decisions by reason (a check that the rules were evaluated, not skipped). */
  reasons: Record<string, number>;
}

function definitions(): ModelDefinition[] {
  return Array.from({ length: MODELS }, (_, j) =>
    parseModelDefinition({
      name: `model_${String(j).padStart(3, '0')}`,
      task: 'binary',
      dataset: 'machines',
      features: { continuous: ['temperature', 'vibration'], categorical: ['model'] },
      trainer: { kind: 'gbdt', params: { numTrees: 10 } },
      // The counts rule fires for models whose threshold is above the ~100 new samples only if stale.
      retrain: { minNewSamples: j % 2 === 0 ? 50 : 1_000, maxDaysSinceTraining: 30, combine: 'any' },
    }),
  );
}

async function measure(dialect: 'sqlite' | 'postgres'): Promise<AssessMeasurement> {
  const dataDir = tempDir('ns-bench-assess-');
  const databaseUrl = dialect === 'postgres' ? await freshPostgresUrl() : null;
  const clock = new ManualClock(NOW);
  const store = await openRegistry({ dataDir, databaseUrl }, { clock, ...(databaseUrl ? { poolSize: CONCURRENCY + 1 } : {}) });
  try {
    const defs = definitions();
    const setupStart = performance.now();
    progress(`decide/assess/${dialect}: setup, ${TENANTS} tenants × ${MODELS} models with a champion each (not timed)`);
    for (let t = 0; t < TENANTS; t++) {
      const tenantId = `tenant_${String(t).padStart(3, '0')}`;
      await inTransaction(store.db, (x) => insertTenant(x, { id: tenantId, name: tenantId, timezone: 'UTC' }, NOW));
      const schema = syntheticSchema(tenantId, 'fails_within_24h', 'machines');
      await defineDataset(store.db, schema, NOW);
      const samples = toRawSamples(generateTenant({ tenants: 1, machines: 2, days: 10, seed: t + 1, intervalMs: 2 * 3_600_000, endMs: NOW - 60_000 }, 0).records).slice(-200);
      await inTransaction(store.db, (x) => writeSamples(x, schema, samples));
      // The champions as the registry writes them (rows in bulk: one by one, 10,000 registrations took minutes).
      // Half were registered 40 days ago (stale), half 10.
      const age = (j: number) => (j % 4 < 2 ? 40 : 10) * DAY;
      await inTransaction(store.db, async (x) => {
        await insertChunks(x, 'model_versions', defs.map((def, j) => championVersionRow(tenantId, def.name, { since: NOW - 60 * DAY, until: NOW - 5 * DAY, createdAt: NOW - age(j) })), 200);
        await insertChunks(x, 'model_aliases', defs.map((def, j) => championAliasRow(tenantId, def.name, NOW - age(j))));
      });
      if ((t + 1) % 20 === 0) progress(`decide/assess/${dialect}: ${t + 1} of ${TENANTS} tenants set up`);
    }
    clock.set(NOW);
    const setupSeconds = (performance.now() - setupStart) / 1000;
    const pairs = Array.from({ length: TENANTS * MODELS }, (_, i) => ({ tenantId: `tenant_${String(Math.floor(i / MODELS)).padStart(3, '0')}`, definition: defs[i % MODELS]! }));
    const deps = { x: store.db.k, registry: store.registry, now: () => clock.now() };

    const reasons: Record<string, number> = {};
    const assessAll = async (concurrency: number) => {
      let next = 0;
      const worker = async () => {
        for (let i = next++; i < pairs.length; i = next++) {
          const a = await assessModel(deps, { ...pairs[i]!, force: false });
          reasons[a.reason] = (reasons[a.reason] ?? 0) + 1;
        }
      };
      const start = performance.now();
      const cpu = process.cpuUsage();
      await Promise.all(Array.from({ length: concurrency }, worker));
      const used = process.cpuUsage(cpu);
      return { seconds: (performance.now() - start) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
    };
    // Fresh tables: statistics for the planner, as a live store has.
    await sql`analyze`.execute(store.db.k);
    const warmUp = Math.min(1_000, pairs.length / 10);
    progress(`decide/assess/${dialect}: warm-up, ${warmUp} pairs`);
    const saved = pairs.splice(warmUp);
    await assessAll(CONCURRENCY);
    pairs.push(...saved);
    for (const k of Object.keys(reasons)) delete reasons[k];
    const sequential = await assessAll(1);
    for (const k of Object.keys(reasons)) delete reasons[k];
    const concurrent = await assessAll(CONCURRENCY);
    progress(`decide/assess/${dialect}: ${pairs.length} pairs in ${concurrent.seconds.toFixed(2)} s at ${CONCURRENCY} at a time (CPU ${concurrent.cpuSeconds.toFixed(2)} s), ${sequential.seconds.toFixed(2)} s one at a time (CPU ${sequential.cpuSeconds.toFixed(2)} s); ${JSON.stringify(reasons)}`);
    return { dialect, pairs: pairs.length, seconds: concurrent.seconds, cpuSeconds: concurrent.cpuSeconds, sequentialSeconds: sequential.seconds, sequentialCpuSeconds: sequential.cpuSeconds, concurrency: CONCURRENCY, setupSeconds, reasons };
  } finally {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
    if (databaseUrl) await dropSchema(databaseUrl);
  }
}

const dialect = process.argv[2];
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error(`expected "sqlite" or "postgres", got "${dialect}"`);
process.stdout.write(`${JSON.stringify(await measure(dialect))}\n`);
