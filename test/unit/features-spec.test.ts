/** FeatureSpec: validation naming the bad field, JSON round trip, schema checks, seed 003's schemaConfig. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  buildTrainingSet,
  checkSpecAgainstSchema,
  outputNames,
  parseFeatureSpec,
  requiredHistorySeconds,
  specFromSchemaConfig,
  transformForServing,
  type FeatureSpec,
} from '../../src/data/features/index.ts';
import type { DatasetSchema, RawSample } from '../../src/data/types.ts';

const fieldError = (field: string) => (e: unknown) => {
  const err = e as { code?: string; field?: string; message: string };
  assert.equal(err.code, 'NS_VALIDATION', err.message);
  assert.equal(err.field, field, err.message);
  return true;
};

const schema: DatasetSchema = {
  id: 'press',
  tenantId: 'acme',
  entityKey: 'machine',
  timestamp: 'ts',
  features: [
    { name: 'temp', type: 'numeric', nullable: true },
    { name: 'press', type: 'numeric', nullable: true },
    { name: 'vib', type: 'numeric', nullable: true },
    { name: 'model', type: 'categorical', nullable: false },
  ],
  label: { name: 'failed', type: 'binary', nullable: true },
};

describe('parseFeatureSpec', () => {
  test('fills defaults and produces named features in a fixed order', () => {
    const spec = parseFeatureSpec({ continuous: ['a'], categorical: ['c'], lags: [{ column: 'a', lagSeconds: 60 }], rolling: [{ column: 'a', windowSeconds: 3600 }] });
    assert.equal(spec.format, 'nightshift-feature-spec');
    assert.equal(spec.version, 1);
    assert.deepEqual(spec.rolling[0]!.stats, ['mean', 'std', 'min', 'max']);
    assert.deepEqual(outputNames(spec), ['a', 'c', 'a_lag_60s', 'a_roll_3600s_mean', 'a_roll_3600s_std', 'a_roll_3600s_min', 'a_roll_3600s_max']);
    assert.equal(requiredHistorySeconds(spec), 3600);
  });

  const cases: Array<[string, unknown, string]> = [
    ['not an object', 'x', 'featureSpec'],
    ['unknown property', { continuous: ['a'], lag: [] }, 'featureSpec.lag'],
    ['bad column name', { continuous: ['a b'] }, 'featureSpec.continuous[0]'],
    ['duplicate column', { continuous: ['a', 'a'] }, 'featureSpec.continuous'],
    ['continuous and categorical', { continuous: ['a'], categorical: ['a'] }, 'featureSpec.categorical'],
    ['negative lag', { continuous: ['a'], lags: [{ column: 'a', lagSeconds: 60 }, { column: 'a', lagSeconds: -5 }] }, 'featureSpec.lags[1].lagSeconds'],
    ['zero window', { continuous: ['a'], rolling: [{ column: 'a', windowSeconds: 0 }] }, 'featureSpec.rolling[0].windowSeconds'],
    ['unknown stat', { continuous: ['a'], rolling: [{ column: 'a', windowSeconds: 60, stats: ['mean', 'median'] }] }, 'featureSpec.rolling[0].stats[1]'],
    ['mapping collision', { continuous: ['a'], columnMapping: { x: 'a', y: 'a' } }, 'featureSpec.columnMapping.y'],
    ['prototype key', { continuous: ['__proto__'] }, 'featureSpec.continuous[0]'],
    ['no feature', { continuous: [] }, 'featureSpec.continuous'],
    ['duplicate output', { continuous: ['a'], lags: [{ column: 'a', lagSeconds: 60 }, { column: 'a', lagSeconds: 60 }] }, 'featureSpec'],
    ['vocabulary of a non-categorical', { continuous: ['a'], categorical: ['c'], vocabulary: { c: ['x'], a: ['y'] } }, 'featureSpec.vocabulary.a'],
    ['wrong version', { continuous: ['a'], version: 2 }, 'featureSpec.version'],
  ];
  for (const [name, input, field] of cases) {
    test(`refuses ${name}, naming ${field}`, () => assert.throws(() => parseFeatureSpec(input), fieldError(field)));
  }
});

describe('against the dataset schema', () => {
  test('accepts mapped names and refuses unknown or ill-typed columns', () => {
    checkSpecAgainstSchema(parseFeatureSpec({ columnMapping: { temp: 'temperature' }, continuous: ['temperature', 'vib'], categorical: ['model'] }), schema);
    assert.throws(() => checkSpecAgainstSchema(parseFeatureSpec({ continuous: ['speed'] }), schema), fieldError('featureSpec.continuous[0]'));
    assert.throws(() => checkSpecAgainstSchema(parseFeatureSpec({ continuous: ['model'] }), schema), fieldError('featureSpec.continuous[0]'));
    assert.throws(
      () => checkSpecAgainstSchema(parseFeatureSpec({ continuous: ['temp'], rolling: [{ column: 'model', windowSeconds: 60 }] }), schema),
      fieldError('featureSpec.rolling[0].column'),
    );
    assert.throws(() => checkSpecAgainstSchema(parseFeatureSpec({ columnMapping: { rpm: 'speed' }, continuous: ['speed'] }), schema), fieldError('featureSpec.columnMapping.rpm'));
    // temp → vib would collide with the unmapped raw column vib.
    assert.throws(() => checkSpecAgainstSchema(parseFeatureSpec({ columnMapping: { temp: 'vib' }, continuous: ['vib'] }), schema), fieldError('featureSpec.columnMapping'));
  });
});

describe("seed 003's schemaConfig", () => {
  const config = {
    continuousColumns: ['temp', 'press', 'vib'],
    columnMapping: { temp: 'temperature', press: 'pressure', vib: 'vibration' },
    lagSeconds: [60, 120],
    rollingWindows: [5, 10],
  };

  test('becomes a spec over mapped names with every lag and window per continuous column', () => {
    const spec = specFromSchemaConfig(config);
    assert.deepEqual(spec.continuous, ['temperature', 'pressure', 'vibration']);
    assert.deepEqual(spec.columnMapping, config.columnMapping);
    assert.equal(spec.lags.length, 6);
    assert.deepEqual(spec.lags[1], { column: 'temperature', lagSeconds: 120 });
    assert.deepEqual(spec.rolling[0], { column: 'temperature', windowSeconds: 5, stats: ['mean', 'std', 'min', 'max'] });
    assert.equal(outputNames(spec).length, 3 + 6 + 6 * 4);
    checkSpecAgainstSchema(spec, schema);
  });

  test('windows may be durations; bad entries are named', () => {
    assert.equal(specFromSchemaConfig({ ...config, rollingWindows: ['1h'] }).rolling[0]!.windowSeconds, 3600);
    assert.throws(() => specFromSchemaConfig({ ...config, lagSeconds: [60, 'x'] }), fieldError('schemaConfig.lagSeconds[1]'));
    assert.throws(() => specFromSchemaConfig({ ...config, rollingWindows: ['soon'] }), fieldError('schemaConfig.rollingWindows[0]'));
  });
});

describe('JSON round trip', () => {
  test('a fitted spec survives JSON and transforms identically', () => {
    const spec = specFromSchemaConfig({ continuousColumns: ['temp', 'vib'], categoricalColumns: ['model'], columnMapping: { temp: 'temperature' }, lagSeconds: [60], rollingWindows: [300] });
    const rows: RawSample[] = Array.from({ length: 40 }, (_, i) => ({
      entity: `m${i % 3}`,
      ts: 1_700_000_000_000 + i * 45_000,
      values: { temp: 50 + (i % 7), press: null, vib: i % 5 === 0 ? null : 1 + i / 10, model: i % 4 === 0 ? 'B' : 'A' },
      label: i % 6 === 0 ? 1 : 0,
    }));
    const set = buildTrainingSet(rows, spec, schema);
    const json = JSON.stringify(set.spec);
    const back = parseFeatureSpec(JSON.parse(json));
    assert.deepEqual(back, set.spec);
    assert.equal(JSON.stringify(back), json);
    const a = transformForServing(set.spec, rows);
    const b = transformForServing(back as FeatureSpec, rows);
    assert.deepEqual(b, a);
    assert.deepEqual(a.X.columns, set.X.columns, 'serving a whole batch equals training on it');
  });
});
