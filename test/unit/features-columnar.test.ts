/**
 * The columnar training transform (buildTrainingSetFromColumns) against the row one
 * (buildTrainingSet) on the same generated samples: numeric, categorical and numeric-as-categorical
 * columns, missing and infinite values, unlabeled rows, several entities, shared timestamps, mapped
 * columns, lags and rolling windows, learned and given vocabularies. Every value must be the same.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTrainingSet, buildTrainingSetFromColumns, fitFeatureSpec, fitFeatureSpecFromColumns, parseFeatureSpec, type BuiltTrainingSet, type FeatureSpecInput } from '../../src/data/features/index.ts';
import { Rng } from '../../src/data/synthetic/prng.ts';
import type { DatasetSchema, RawSample, SampleColumns } from '../../src/data/types.ts';

const T0 = Date.UTC(2026, 0, 1);

const schema = (label: 'binary' | 'numeric'): DatasetSchema => ({
  id: 'mixed',
  tenantId: 'acme',
  entityKey: 'device',
  timestamp: 'ts',
  features: [
    { name: 'temp', type: 'numeric', nullable: true },
    { name: 'site', type: 'categorical', nullable: true },
    { name: 'load', type: 'numeric', nullable: true },
    { name: 'mode', type: 'categorical', nullable: true },
    { name: 'level', type: 'numeric', nullable: true },
  ],
  label: { name: 'y', type: label, nullable: true },
});

/** Samples in the store's (ts, entity) order, or shuffled; about 1 in 6 unlabeled. */
function generate(n: number, seed: number, o: { label?: 'binary' | 'numeric'; shuffled?: boolean } = {}): RawSample[] {
  const rng = new Rng(seed, 'columnar');
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng.next() * xs.length)]!;
  const out: RawSample[] = [];
  let t = T0;
  for (let i = 0; i < n; i++) {
    // Often several samples at one instant (ties), of different entities.
    if (rng.next() < 0.6) t += Math.floor(rng.next() * 90_000);
    const entity = pick(['dev-1', 'dev-2', 'dev-3', 'Dev-10', 'dev-\u00e9', 'dev-\u{1F600}', 'dev-\uFF61']);
    if (out.some((s) => s.entity === entity && s.ts === t)) continue;
    const missing = () => rng.next() < 0.1;
    const temp = missing() ? null : rng.next() < 0.02 ? pick([Infinity, -Infinity]) : Math.round((rng.next() * 40 - 10) * 100) / 100;
    const site = missing() ? null : pick(['north', 'south', 'east', 'west', 'lab', 'roof', 'cellar']);
    const load = missing() ? null : Math.round(rng.next() * 1000) / 10;
    const mode = missing() ? null : pick(['a', 'b', 'c']);
    const level = missing() ? null : pick([0, -0, 1, 2, 3, 2.5, 10]);
    const labeled = rng.next() > 1 / 6;
    const label = !labeled ? null : o.label === 'numeric' ? rng.next() * 100 - 50 : rng.next() < 0.4 ? 1 : 0;
    out.push({ entity, ts: t, values: { temp, site, load, mode, level }, label });
  }
  if (o.shuffled) {
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(rng.next() * (i + 1));
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
  }
  return out;
}

/**
 * The samples as the store reads them into columns: categoricals as codes into a dictionary (in the
 * order `dictionaryOrder` gives, not necessarily first appearance), NaN = missing, entities
 * numbered by first appearance.
 */
function columnsOf(samples: readonly RawSample[], s: DatasetSchema, dictionaryOrder: (values: string[]) => string[] = (v) => v): SampleColumns {
  const n = samples.length;
  const features = s.features.map((f) => {
    if (f.type !== 'categorical') return { name: f.name, type: f.type };
    const seen = [...new Set(samples.map((x) => x.values[f.name]).filter((v): v is string => typeof v === 'string'))];
    return { name: f.name, type: f.type, categories: dictionaryOrder(seen) };
  });
  const columns = features.map((f) => {
    const out = new Float64Array(n);
    samples.forEach((x, i) => {
      const v = x.values[f.name];
      out[i] = v === null || v === undefined ? Number.NaN : typeof v === 'string' ? f.categories!.indexOf(v) : v;
    });
    return out;
  });
  const entities: string[] = [];
  const entityIndex = new Int32Array(n);
  samples.forEach((x, i) => {
    let code = entities.indexOf(x.entity);
    if (code < 0) code = entities.push(x.entity) - 1;
    entityIndex[i] = code;
  });
  return {
    rows: n,
    features,
    columns,
    ts: Float64Array.from(samples, (x) => x.ts),
    label: Float64Array.from(samples, (x) => x.label ?? Number.NaN),
    entityIndex,
    entities,
  };
}

const same = (a: number, b: number) => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

function assertSameSet(columnar: BuiltTrainingSet, rows: BuiltTrainingSet): void {
  assert.deepEqual(columnar.features, rows.features);
  assert.deepEqual(columnar.spec, rows.spec);
  assert.equal(columnar.unlabeled, rows.unlabeled);
  assert.equal(columnar.X.rows, rows.X.rows);
  assert.equal(columnar.X.columns.length, rows.X.columns.length);
  assert.deepEqual([...columnar.y], [...rows.y]);
  assert.deepEqual([...columnar.ts!], [...rows.ts!]);
  rows.X.columns.forEach((expected, c) => {
    const actual = columnar.X.columns[c]!;
    assert.equal(actual.length, expected.length, `column ${rows.features[c]!.name}`);
    for (let i = 0; i < expected.length; i++) {
      if (!same(actual[i]!, expected[i]!)) assert.fail(`column ${rows.features[c]!.name} row ${i}: columnar ${actual[i]}, rows ${expected[i]}`);
    }
  });
}

const SPECS: Record<string, FeatureSpecInput> = {
  'continuous and categorical': { continuous: ['temp', 'load'], categorical: ['site', 'mode'] },
  'a numeric column read as categorical': { continuous: ['temp'], categorical: ['level', 'site'] },
  'mapped columns and a small vocabulary': { columnMapping: { temp: 'temperature', site: 'place' }, continuous: ['temperature'], categorical: ['place', 'mode'], maxCategories: 3 },
  'lags and rolling windows': {
    continuous: ['temp'],
    categorical: ['site'],
    lags: [
      { column: 'temp', lagSeconds: 60 },
      { column: 'load', lagSeconds: 300 },
    ],
    rolling: [
      { column: 'load', windowSeconds: 600, stats: ['mean', 'std', 'min', 'max'] },
      { column: 'temp', windowSeconds: 120, stats: ['max', 'mean'] },
    ],
  },
};

describe('buildTrainingSetFromColumns gives buildTrainingSet, value for value', () => {
  for (const [name, input] of Object.entries(SPECS)) {
    for (const shuffled of [false, true]) {
      test(`${name}${shuffled ? ', samples out of order' : ''}`, () => {
        const s = schema('binary');
        const samples = generate(3000, name.length * 7 + (shuffled ? 1 : 0), { shuffled });
        const spec = parseFeatureSpec(input);
        const window = columnsOf(samples, s, (v) => [...v].reverse());
        const rows = buildTrainingSet(samples, spec, s);
        assert.ok(rows.unlabeled > 0 && rows.X.rows > 0, 'the data has labeled and unlabeled rows');
        assertSameSet(buildTrainingSetFromColumns(window, spec, s), rows);
      });
    }
  }

  test('regression labels; every sample labeled (the window arrays are shared, not changed)', () => {
    const s = schema('numeric');
    const samples = generate(2000, 99, { label: 'numeric' }).map((x, i) => ({ ...x, label: x.label ?? i / 3 }));
    const spec = parseFeatureSpec(SPECS['continuous and categorical']!);
    const window = columnsOf(samples, s);
    const before = window.columns.map((c) => [...c]);
    const rows = buildTrainingSet(samples, spec, s);
    assert.equal(rows.unlabeled, 0);
    assertSameSet(buildTrainingSetFromColumns(window, spec, s), rows);
    window.columns.forEach((c, f) => assert.ok(c.every((v, i) => same(v, before[f]![i]!)), `window column ${f} unchanged`));
  });

  test('a fitted vocabulary (a retraining) is kept, values not in it are NaN', () => {
    const s = schema('binary');
    const samples = generate(2000, 5);
    const spec = parseFeatureSpec({ ...SPECS['lags and rolling windows']!, categorical: ['site', 'level'], vocabulary: { site: ['roof', 'nowhere', 'north'], level: ['2', '0', '2.5'] } });
    assertSameSet(buildTrainingSetFromColumns(columnsOf(samples, s), spec, s), buildTrainingSet(samples, spec, s));
  });

  test('fitFeatureSpecFromColumns learns fitFeatureSpec vocabularies (ties in counts by name)', () => {
    const s = schema('binary');
    const samples = generate(500, 11);
    const spec = parseFeatureSpec({ continuous: ['temp'], categorical: ['site', 'mode', 'level'], maxCategories: 4 });
    assert.deepEqual(fitFeatureSpecFromColumns(spec, columnsOf(samples, s, (v) => [...v].sort())), fitFeatureSpec(spec, samples));
  });

  test('no samples, and only unlabeled ones', () => {
    const s = schema('binary');
    const spec = parseFeatureSpec(SPECS['lags and rolling windows']!);
    assertSameSet(buildTrainingSetFromColumns(columnsOf([], s), spec, s), buildTrainingSet([], spec, s));
    const unlabeled = generate(50, 3).map((x) => ({ ...x, label: null }));
    assertSameSet(buildTrainingSetFromColumns(columnsOf(unlabeled, s), spec, s), buildTrainingSet(unlabeled, spec, s));
  });

  test('a binary label other than 0/1 is refused with the same error', () => {
    const s = schema('binary');
    const samples = generate(100, 8);
    samples[40] = { ...samples[40]!, label: 2 };
    const spec = parseFeatureSpec(SPECS['continuous and categorical']!);
    let expected: unknown;
    try {
      buildTrainingSet(samples, spec, s);
    } catch (error) {
      expected = error;
    }
    assert.ok(expected instanceof Error);
    assert.throws(
      () => buildTrainingSetFromColumns(columnsOf(samples, s), spec, s),
      (e: Error & { code?: string; field?: string; details?: unknown }) => {
        const x = expected as typeof e;
        return e.message === x.message && e.code === x.code && e.field === x.field && JSON.stringify(e.details) === JSON.stringify(x.details);
      },
    );
  });

  test('a spec the schema does not have is refused as for rows', () => {
    const s = schema('binary');
    const spec = parseFeatureSpec({ continuous: ['site'] });
    assert.throws(() => buildTrainingSet([], spec, s), /only numeric columns/);
    assert.throws(() => buildTrainingSetFromColumns(columnsOf([], s), spec, s), /only numeric columns/);
  });
});
