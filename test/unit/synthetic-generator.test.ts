/** Synthetic fleet: deterministic by seed, failures happen, RUL runs down to 0 at a failure, labels agree with RUL. */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { buildTrainingSet } from '../../src/data/features/index.ts';
import { createCsvSource } from '../../src/data/sources/index.ts';
import {
  generateFleet,
  generateTenant,
  Rng,
  syntheticFeatureSpec,
  syntheticSchema,
  toRawSamples,
  writeRecords,
  type SyntheticOptions,
  type SyntheticRecord,
} from '../../src/data/synthetic/index.ts';
import { tempDir } from '../helpers/settings.ts';

const HOUR = 3_600_000;
const END = Date.UTC(2026, 0, 1);
const BASE: SyntheticOptions = { tenants: 2, machines: 5, days: 60, seed: 42, intervalMs: HOUR, endMs: END };

const byMachine = (records: readonly SyntheticRecord[]) => {
  const map = new Map<string, SyntheticRecord[]>();
  for (const r of records) map.set(r.machineId, [...(map.get(r.machineId) ?? []), r]);
  return map;
};

describe('Rng', () => {
  test('same seed, same numbers; named forks are independent of draw order', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    assert.deepEqual(Array.from({ length: 5 }, () => a.next()), Array.from({ length: 5 }, () => b.next()));
    assert.notEqual(new Rng(43).next(), new Rng(42).next());
    const c = new Rng(7);
    c.next();
    assert.equal(c.fork('x').next(), new Rng(7).fork('x').next());
    assert.notEqual(new Rng(7).fork('x').next(), new Rng(7).fork('y').next());
    const values = Array.from({ length: 10_000 }, () => a.next());
    assert.ok(values.every((v) => v >= 0 && v < 1));
    assert.ok(Math.abs(values.reduce((s, v) => s + v, 0) / values.length - 0.5) < 0.02);
  });
});

describe('generateTenant', () => {
  const fleet = generateFleet(BASE);

  test('deterministic by seed: same seed → identical, different seed → different', () => {
    assert.deepEqual(generateFleet(BASE), fleet);
    const other = generateFleet({ ...BASE, seed: 43 });
    assert.notDeepEqual(other[0]!.records.map((r) => r.sensors), fleet[0]!.records.map((r) => r.sensors));
    // Machine streams are named: a machine does not change when the fleet grows.
    const bigger = generateTenant({ ...BASE, machines: 8 }, 0);
    assert.deepEqual(bigger.records.filter((r) => r.machineId === 'm-002'), fleet[0]!.records.filter((r) => r.machineId === 'm-002'));
    assert.notDeepEqual(fleet[0]!.records.map((r) => r.sensors), fleet[1]!.records.map((r) => r.sensors), 'tenants differ');
  });

  test('hourly samples of every machine within [end − days, end), tenant_1 … tenant_n', () => {
    assert.deepEqual(fleet.map((t) => t.tenantId), ['tenant_1', 'tenant_2']);
    for (const t of fleet) {
      const machines = byMachine(t.records);
      assert.equal(machines.size, BASE.machines);
      for (const r of t.records) {
        assert.ok(r.ts >= END - 60 * 24 * HOUR && r.ts < END);
        assert.ok((END - r.ts) % HOUR === 0);
      }
      // Downtime after failures leaves gaps, so a machine has at most days × 24 samples.
      for (const rows of machines.values()) assert.ok(rows.length <= 60 * 24 && rows.length > 60 * 24 * 0.8);
    }
  });

  test('failures happen; RUL counts down to 0 at each failure; the label agrees with RUL', () => {
    let failures = 0;
    for (const t of fleet) {
      for (const rows of byMachine(t.records).values()) {
        for (let i = 0; i < rows.length; i++) {
          const r = rows[i]!;
          assert.equal(r.failsWithin24h, r.rulHours <= 24 ? 1 : 0, `label vs RUL at ${r.machineId}@${r.ts}`);
          assert.ok(r.rulHours >= 0 && r.rulHours <= 720);
          const next = rows[i + 1];
          if (r.rulHours === 0) {
            failures++;
            // After a failure the machine is down for repair, then starts a new life.
            if (next) assert.ok(next.ts - r.ts > HOUR && next.rulHours > 0);
          } else if (next && r.rulHours < 720) {
            assert.equal(next.ts - r.ts, HOUR, 'no gap before a failure');
            assert.equal(next.rulHours, r.rulHours - 1, 'RUL decreases by one interval per sample');
          }
        }
      }
      assert.equal(t.failures, t.records.filter((r) => r.rulHours === 0).length);
    }
    assert.ok(failures >= 10, `only ${failures} failures`);
    const positives = fleet.flatMap((t) => t.records).filter((r) => r.failsWithin24h === 1).length / fleet.flatMap((t) => t.records).length;
    assert.ok(positives > 0.01 && positives < 0.15, `positive rate ${positives}`);
  });

  test('sensors carry the signal: vibration and temperature are higher shortly before failures', () => {
    const rows = fleet.flatMap((t) => t.records);
    const mean = (xs: SyntheticRecord[], k: 'vibration' | 'temperature') => {
      const v = xs.map((r) => r.sensors[k]).filter((x): x is number => x !== null);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    const soon = rows.filter((r) => r.failsWithin24h === 1);
    const healthy = rows.filter((r) => r.rulHours >= 300);
    assert.ok(mean(soon, 'vibration') > mean(healthy, 'vibration') + 0.3);
    assert.ok(mean(soon, 'temperature') > mean(healthy, 'temperature') + 2);
    assert.ok(rows.some((r) => r.sensors.temperature === null), 'some readings are missing');
    assert.deepEqual(new Set(rows.map((r) => r.model)).size > 1, true);
  });
});

/** Rank AUC of a score for a 0/1 label (NaN scores left out). */
function auc(score: Float64Array, y: Float64Array): number {
  const pairs = [...score].map((v, i) => [v, y[i]!] as const).filter(([v]) => !Number.isNaN(v)).sort((a, b) => a[0] - b[0]);
  let sumRanks = 0;
  let positives = 0;
  for (let i = 0; i < pairs.length; ) {
    let j = i;
    while (j < pairs.length && pairs[j]![0] === pairs[i]![0]) j++;
    for (let k = i; k < j; k++) if (pairs[k]![1] === 1) (sumRanks += (i + j + 1) / 2, positives++);
    i = j;
  }
  const negatives = pairs.length - positives;
  return (sumRanks - (positives * (positives + 1)) / 2) / (positives * negatives);
}

describe('learnability', () => {
  test('engineered features separate the label well; no raw sensor alone is near perfect', () => {
    const tenant = generateTenant({ ...BASE, machines: 8, days: 60 }, 0);
    const set = buildTrainingSet(toRawSamples(tenant.records), syntheticFeatureSpec(), syntheticSchema('tenant_1'));
    const scores = new Map(set.features.map((f, j) => [f.name, auc(set.X.columns[j]!, set.y)]));
    const strength = (name: string) => Math.max(scores.get(name)!, 1 - scores.get(name)!);
    const best = Math.max(...set.features.map((f) => strength(f.name)));
    assert.ok(best > 0.82, `best single feature AUC ${best}`);
    for (const raw of ['temperature', 'vibration', 'pressure', 'rpm', 'load', 'voltage']) assert.ok(strength(raw) < 0.9, `${raw} alone: AUC ${strength(raw)}`);
    assert.ok(strength('voltage') < 0.6, 'voltage is noise');
  });
});

describe('writers', () => {
  test('CSV written and read back through the CSV source equals the generated samples; NDJSON lines are flat rows', async () => {
    const tenant = generateTenant({ ...BASE, days: 5 }, 0);
    const dir = tempDir('ns-synth-');
    await writeRecords(join(dir, 'tenant_1.csv'), tenant.records, 'csv');
    await writeRecords(join(dir, 'tenant_1.ndjson'), tenant.records, 'ndjson');
    const source = createCsvSource({ path: '{tenant}.csv', cwd: dir, schema: syntheticSchema('tenant_1') });
    const loaded = await source.load('tenant_1', { since: END - 10 * 24 * HOUR, until: END });
    assert.deepEqual(loaded, toRawSamples(tenant.records));
    const lines = readFileSync(join(dir, 'tenant_1.ndjson'), 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, tenant.records.length);
    const first = JSON.parse(lines[0]!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), ['tenant_id', 'machine_id', 'timestamp', 'model', 'temperature', 'vibration', 'pressure', 'rpm', 'load', 'voltage', 'fails_within_24h', 'rul_hours']);
    assert.equal(first.timestamp, new Date(tenant.records[0]!.ts).toISOString());
    // The RUL target works as a numeric label too.
    const rul = await createCsvSource({ path: '{tenant}.csv', cwd: dir, schema: syntheticSchema('tenant_1', 'rul_hours') }).load('tenant_1', { since: 0, until: END });
    assert.deepEqual(rul.map((s) => s.label), tenant.records.map((r) => r.rulHours));
  });

  test('the suggested feature spec fits the synthetic schema', () => {
    const tenant = generateTenant({ ...BASE, days: 3 }, 0);
    const set = buildTrainingSet(toRawSamples(tenant.records), syntheticFeatureSpec(), syntheticSchema('tenant_1'));
    assert.equal(set.X.rows, tenant.records.length);
    assert.ok(set.features.length > 20);
  });
});
