/** Feature transform: hand-computed lags and rolling stats, no future leakage, categorical codes, serving parity. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTrainingSet, fitFeatureSpec, parseFeatureSpec, requiredHistorySeconds, transformForServing, type FeatureSpec } from '../../src/data/features/index.ts';
import { generateTenant, syntheticFeatureSpec, syntheticSchema, toRawSamples } from '../../src/data/synthetic/index.ts';
import type { DatasetSchema, RawSample } from '../../src/data/types.ts';
import type { Matrix } from '../../src/trainers/types.ts';

const T0 = Date.UTC(2026, 0, 1);
const at = (seconds: number) => T0 + seconds * 1000;

const schema: DatasetSchema = {
  id: 'tiny',
  tenantId: 'acme',
  entityKey: 'device',
  timestamp: 'ts',
  features: [
    { name: 'x', type: 'numeric', nullable: true },
    { name: 'kind', type: 'categorical', nullable: true },
  ],
  label: { name: 'y', type: 'binary', nullable: true },
};

const s = (entity: string, seconds: number, x: number | null, kind: string | null = 'a', label: number | null = 0): RawSample => ({
  entity,
  ts: at(seconds),
  values: { x, kind },
  label,
});

// Two entities, irregular times, a missing value, two samples of B at the same time; shuffled.
const A = [s('A', 0, 1), s('A', 10, 2), s('A', 25, 4), s('A', 30, null), s('A', 50, 6)];
const B = [s('B', 5, 10), s('B', 12, 20), s('B', 30, 40), s('B', 40, 30), s('B', 40, 50)];
const TINY = [B[3]!, A[2]!, B[0]!, A[0]!, A[4]!, B[1]!, A[1]!, B[4]!, A[3]!, B[2]!];

const spec = parseFeatureSpec({
  continuous: ['x'],
  lags: [{ column: 'x', lagSeconds: 10 }],
  rolling: [{ column: 'x', windowSeconds: 30, stats: ['mean', 'std', 'min', 'max'] }],
});

const column = (X: Matrix, names: readonly { name: string }[], name: string) => [...X.columns[names.findIndex((f) => f.name === name)]!];
const rowOf = (X: Matrix, i: number) => X.columns.map((c) => c[i]!);

/** NaN-aware exact comparison of numbers. */
const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

describe('lag and rolling features on a hand-made dataset', () => {
  const set = buildTrainingSet(TINY, spec, schema);
  const byKey = (entity: string, seconds: number, x: number | null) => TINY.findIndex((r) => r.entity === entity && r.ts === at(seconds) && r.values.x === x);
  const get = (name: string, entity: string, seconds: number, x: number | null) => column(set.X, set.features, name)[byKey(entity, seconds, x)]!;

  test('feature names and order: continuous, lags, rolling', () => {
    assert.deepEqual(
      set.features.map((f) => f.name),
      ['x', 'x_lag_10s', 'x_roll_30s_mean', 'x_roll_30s_std', 'x_roll_30s_min', 'x_roll_30s_max'],
    );
    assert.equal(set.X.rows, TINY.length);
    assert.deepEqual([...set.ts!], TINY.map((r) => r.ts), 'rows keep the input order');
  });

  test('lag = value of the latest sample at or before ts − lag, same entity', () => {
    const expected: Array<[string, number, number | null, number]> = [
      ['A', 0, 1, NaN], // nothing at or before −10
      ['A', 10, 2, 1], // target 0 → the sample at 0
      ['A', 25, 4, 2], // target 15 → the sample at 10
      ['A', 30, null, 2], // target 20 → the sample at 10
      ['A', 50, 6, NaN], // target 40 → the sample at 30, whose value is missing
      ['B', 5, 10, NaN],
      ['B', 12, 20, NaN], // target 2: B's first sample is at 5
      ['B', 30, 40, 20], // target 20 → the sample at 12
      ['B', 40, 30, 40], // target 30 → the sample at 30
      ['B', 40, 50, 40],
    ];
    for (const [e, t, x, lag] of expected) assert.ok(same(get('x_lag_10s', e, t, x), lag), `${e}@${t}: ${get('x_lag_10s', e, t, x)} ≠ ${lag}`);
  });

  test('rolling stats over earlier samples in (ts − 30 s, ts)', () => {
    const expected: Array<[string, number, number | null, [number, number, number, number]]> = [
      ['A', 0, 1, [NaN, NaN, NaN, NaN]], // no earlier sample
      ['A', 10, 2, [1, 0, 1, 1]],
      ['A', 25, 4, [1.5, 0.5, 1, 2]],
      ['A', 30, null, [3, 1, 2, 4]], // the sample at 0 is exactly 30 s old: out
      ['A', 50, 6, [4, 0, 4, 4]], // 25 (4) and 30 (missing)
      ['B', 5, 10, [NaN, NaN, NaN, NaN]],
      ['B', 12, 20, [10, 0, 10, 10]],
      ['B', 30, 40, [15, 5, 10, 20]],
      ['B', 40, 30, [30, 10, 20, 40]], // the other sample at 40 is not earlier
      ['B', 40, 50, [30, 10, 20, 40]],
    ];
    for (const [e, t, x, stats] of expected) {
      ['mean', 'std', 'min', 'max'].forEach((stat, i) => {
        const got = get(`x_roll_30s_${stat}`, e, t, x);
        assert.ok(same(got, stats[i]!) || Math.abs(got - stats[i]!) < 1e-12, `${e}@${t} ${stat}: ${got} ≠ ${stats[i]}`);
      });
    }
  });

  test('unlabeled samples are history, not rows', () => {
    const withUnlabeled = [...TINY, s('A', 40, 100, 'a', null)];
    const built = buildTrainingSet(withUnlabeled, spec, schema);
    assert.equal(built.X.rows, TINY.length);
    assert.equal(built.unlabeled, 1);
    const i = TINY.indexOf(A[4]!);
    assert.equal(column(built.X, built.features, 'x_lag_10s')[i], 100, 'A@50 now lags onto the unlabeled A@40');
  });

  test('a binary label other than 0/1 is refused, naming the label', () => {
    assert.throws(() => buildTrainingSet([s('A', 0, 1, 'a', 2)], spec, schema), (e: Error & { code?: string; field?: string }) => e.code === 'NS_VALIDATION' && e.field === 'y');
  });
});

describe('no future leakage', () => {
  const tenant = generateTenant({ tenants: 1, machines: 3, days: 6, seed: 7, intervalMs: 3_600_000, endMs: T0 }, 0);
  const samples = toRawSamples(tenant.records);
  // The vocabulary is fitted once up front: it is learned from the whole training window by design.
  const fleetSpec = fitFeatureSpec(syntheticFeatureSpec(), samples);
  const fleetSchema = syntheticSchema('tenant_1');
  const cut = T0 - 3 * 86_400_000;

  test('changing or adding later samples never changes earlier rows', () => {
    const before = buildTrainingSet(samples, fleetSpec, fleetSchema);
    const changed = samples.map((r) => (r.ts > cut ? { ...r, values: Object.fromEntries(Object.entries(r.values).map(([k, v]) => [k, typeof v === 'number' ? v * 7 + 1000 : 'M999'])) } : r));
    const extra = changed.filter((r) => r.ts > cut).map((r) => ({ ...r, ts: r.ts + 1, values: { ...r.values, temperature: -500 } }));
    const after = buildTrainingSet([...changed, ...extra], fleetSpec, { ...fleetSchema });
    let compared = 0;
    samples.forEach((r, i) => {
      if (r.ts > cut) return;
      const a = rowOf(before.X, i);
      const b = rowOf(after.X, i);
      a.forEach((v, j) => assert.ok(same(v, b[j]!), `row ${i} (${r.entity}@${new Date(r.ts).toISOString()}) feature ${before.features[j]!.name}: ${v} → ${b[j]}`));
      compared++;
    });
    assert.ok(compared > 100);
    // …and the later rows did change, so the check above is not vacuous.
    const late = samples.findIndex((r) => r.ts > cut + 86_400_000);
    assert.notDeepEqual(rowOf(before.X, late), rowOf(after.X, late));
  });
});

describe('categorical vocabulary', () => {
  const catSpec = parseFeatureSpec({ continuous: ['x'], categorical: ['kind'] });
  const rows = [s('A', 0, 1, 'red'), s('A', 1, 1, 'blue'), s('B', 2, 1, 'red'), s('B', 3, 1, null), s('B', 4, 1, 'green'), s('A', 5, 1, 'red'), s('A', 6, 1, 'blue')];

  test('learned at training, most frequent first (ties by name), stored in the spec', () => {
    const set = buildTrainingSet(rows, catSpec, schema);
    assert.deepEqual(set.spec.vocabulary, { kind: ['red', 'blue', 'green'] });
    assert.deepEqual(set.features[1], { name: 'kind', type: 'categorical', categories: ['red', 'blue', 'green'] });
    assert.deepEqual(column(set.X, set.features, 'kind'), [0, 1, 0, NaN, 2, 0, 1]);
    assert.equal(catSpec.vocabulary, undefined, 'the input spec is not changed');
  });

  test('unseen and missing values are NaN at serving', () => {
    const { spec: fitted } = buildTrainingSet(rows, catSpec, schema);
    const served = transformForServing(fitted, [s('C', 9, 1, 'purple'), s('C', 10, 1, 'green'), s('C', 11, 1, null)]);
    assert.deepEqual([...served.X.columns[1]!], [NaN, 2, NaN]);
  });

  test('maxCategories keeps the most frequent; a fitted vocabulary is kept on retraining', () => {
    const small = fitFeatureSpec(parseFeatureSpec({ continuous: ['x'], categorical: ['kind'], maxCategories: 1 }), rows);
    assert.deepEqual(small.vocabulary, { kind: ['red'] });
    const retrained = buildTrainingSet([s('A', 0, 1, 'blue'), s('A', 1, 1, 'blue')], small, schema);
    assert.deepEqual(retrained.spec.vocabulary, { kind: ['red'] });
    assert.deepEqual(column(retrained.X, retrained.features, 'kind'), [NaN, NaN]);
  });

  test('serving needs a fitted spec', () => {
    assert.throws(() => transformForServing(catSpec, [s('A', 0, 1)]), (e: Error & { field?: string }) => e.field === 'featureSpec.vocabulary');
  });
});

describe('column mapping', () => {
  const mappedSchema: DatasetSchema = { ...schema, features: [{ name: 'temp', type: 'numeric', nullable: true }, { name: 'grp', type: 'categorical', nullable: true }] };
  const mapped = parseFeatureSpec({
    columnMapping: { temp: 'temperature', grp: 'group' },
    continuous: ['temperature'],
    categorical: ['group'],
    lags: [{ column: 'temperature', lagSeconds: 1 }],
  });

  test('raw columns are read under their mapped names', () => {
    const rows: RawSample[] = [
      { entity: 'A', ts: at(0), values: { temp: 20, grp: 'g1' }, label: 1 },
      { entity: 'A', ts: at(1), values: { temp: 21.5, grp: 'g2' }, label: 0 },
    ];
    const set = buildTrainingSet(rows, mapped, mappedSchema);
    assert.deepEqual(set.features.map((f) => f.name), ['temperature', 'group', 'temperature_lag_1s']);
    assert.deepEqual([...set.X.columns[0]!], [20, 21.5]);
    assert.deepEqual([...set.X.columns[2]!], [NaN, 20]);
    assert.deepEqual([...set.y], [1, 0]);
  });

  test('naming a raw column that is mapped is refused with a hint', () => {
    const bad = parseFeatureSpec({ columnMapping: { temp: 'temperature' }, continuous: ['temp'] });
    assert.throws(() => buildTrainingSet([], bad, mappedSchema), (e: Error & { field?: string }) => e.field === 'featureSpec.continuous[0]' && /use that name/.test(e.message));
  });
});

describe('serving equals training', () => {
  const tenant = generateTenant({ tenants: 1, machines: 4, days: 8, seed: 11, intervalMs: 3_600_000, endMs: T0 }, 0);
  const samples = toRawSamples(tenant.records);
  const fleetSpec: FeatureSpec = syntheticFeatureSpec();
  const set = buildTrainingSet(samples, fleetSpec, syntheticSchema('tenant_1'));
  const historyMs = requiredHistorySeconds(set.spec) * 1000;

  test('one row with its entity history gives the training row', () => {
    const picks = [50, 333, 500, samples.length - 1, samples.length - 7];
    for (const i of picks) {
      const row = samples[i]!;
      // History: the entity's samples in the required span (plus one hour), and future ones that must be ignored.
      const history = samples.filter((h) => h.entity === row.entity && h.ts >= row.ts - historyMs - 3_600_000 && h !== row);
      const served = transformForServing(JSON.parse(JSON.stringify(set.spec)) as FeatureSpec, [{ ...row, label: null }], history);
      assert.equal(served.X.rows, 1);
      assert.deepEqual(served.features, set.features);
      const trained = rowOf(set.X, i);
      rowOf(served.X, 0).forEach((v, j) => {
        const name = set.features[j]!.name;
        const t = trained[j]!;
        if (/_(mean|std)$/.test(name)) assert.ok(same(v, t) || Math.abs(v - t) <= 1e-9 * Math.max(1, Math.abs(t)), `${name}: served ${v}, trained ${t}`);
        else assert.ok(same(v, t), `${name}: served ${v}, trained ${t}`);
      });
    }
  });

  test('a history sample at the row time is the row itself, not counted twice', () => {
    const i = 400;
    const row = samples[i]!;
    const history = samples.filter((h) => h.entity === row.entity && h.ts <= row.ts);
    const served = transformForServing(set.spec, [row], history);
    rowOf(served.X, 0).forEach((v, j) => assert.ok(same(v, set.X.columns[j]![i]!) || Math.abs(v - set.X.columns[j]![i]!) < 1e-9));
  });

  test('without history, lag and rolling features are missing', () => {
    const served = transformForServing(set.spec, [samples[400]!]);
    served.features.forEach((f, j) => {
      const v = served.X.columns[j]![0]!;
      if (/_lag_|_roll_/.test(f.name)) assert.ok(Number.isNaN(v), f.name);
      else if (f.name !== 'model') assert.equal(v, samples[400]!.values[f.name] ?? NaN);
    });
  });
});
