import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NsError } from '../../src/errors.ts';
import { MODEL_DEFAULTS, parseModelDefinition } from '../../src/training/model-definition.ts';

const FEATURES = { continuous: ['temp'] };
const BINARY = { name: 'failure', task: 'binary', dataset: 'readings', features: FEATURES } as const;
const REGRESSION = { name: 'rul', task: 'regression', dataset: 'readings', features: FEATURES } as const;

const PARSED_FEATURES = {
  format: 'nightshift-feature-spec', version: 1, columnMapping: {}, continuous: ['temp'], categorical: [], lags: [], rolling: [], maxCategories: 1000,
};

/** Asserts `fn` throws NS_VALIDATION with exactly this field and message. */
function assertInvalid(fn: () => unknown, field: string, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof NsError, `expected NsError, got ${String(error)}`);
    assert.equal(error.code, 'NS_VALIDATION');
    assert.equal(error.field, field);
    assert.equal(error.message, message);
    return true;
  });
}

describe('model definition: defaults', () => {
  it('fills every default for a binary model (gbdt binary_logloss, auc, maxDecrease 0.02, holdout 0.2, 180 days)', () => {
    assert.deepEqual(parseModelDefinition(BINARY), {
      name: 'failure',
      description: '',
      task: 'binary',
      dataset: 'readings',
      source: { kind: 'store' },
      features: PARSED_FEATURES,
      trainer: { kind: 'gbdt', params: { objective: 'binary_logloss' } },
      primaryMetric: 'auc',
      gate: { thresholds: {}, change: { metric: 'auc', maxDecrease: 0.02, maxRelativeDecrease: null } },
      mode: null,
      dataRangeDays: 180,
      holdoutFraction: 0.2,
      incrementalTrees: 20,
      trainOnStart: false,
      seed: 1,
      retrain: { minNewSamples: null, minLiveMetric: null, maxDaysSinceTraining: null, drift: null, combine: 'any', onIngest: false },
    });
  });

  it('fills a regression model with squared_error and r2', () => {
    const d = parseModelDefinition(REGRESSION);
    assert.deepEqual(d.trainer, { kind: 'gbdt', params: { objective: 'squared_error' } });
    assert.equal(d.primaryMetric, 'r2');
    assert.deepEqual(d.gate, { thresholds: {}, change: { metric: 'r2', maxDecrease: 0.02, maxRelativeDecrease: null } });
  });

  it('publishes the same defaults in MODEL_DEFAULTS', () => {
    assert.deepEqual(MODEL_DEFAULTS, {
      dataRangeDays: 180, holdoutFraction: 0.2, incrementalTrees: 20, seed: 1,
      primaryMetric: { binary: 'auc', regression: 'r2' }, change: { maxDecrease: 0.02, maxRelativeDecrease: null },
    });
    assert.ok(Object.isFrozen(MODEL_DEFAULTS));
  });

  it('fills the gbdt objective from the task when params are given without one', () => {
    const d = parseModelDefinition({ ...REGRESSION, trainer: { kind: 'gbdt', params: { numTrees: 50 } } });
    assert.deepEqual(d.trainer, { kind: 'gbdt', params: { objective: 'squared_error', numTrees: 50 } });
  });

  it('fills the linear task from the model task', () => {
    const d = parseModelDefinition({ ...BINARY, trainer: { kind: 'linear', params: { epochs: 5 } } });
    assert.deepEqual(d.trainer, { kind: 'linear', params: { task: 'binary', epochs: 5 } });
  });

  it('a given primaryMetric becomes the default change metric', () => {
    const d = parseModelDefinition({ ...BINARY, primaryMetric: 'f1' });
    assert.equal(d.primaryMetric, 'f1');
    assert.deepEqual(d.gate.change, { metric: 'f1', maxDecrease: 0.02, maxRelativeDecrease: null });
  });

  it('nameOverride wins over the body (API path parameter)', () => {
    const { name: _omit, ...body } = BINARY;
    assert.equal(parseModelDefinition(body, '', 'from_path').name, 'from_path');
  });

  it('keeps every explicitly given value', () => {
    const d = parseModelDefinition({
      ...REGRESSION,
      description: 'hours to failure',
      source: { kind: 'csv', path: 'data/{tenant}.csv', tenantColumn: 'tenant' },
      mode: 'full',
      dataRangeDays: 30,
      holdoutFraction: 0.25,
      incrementalTrees: 5,
      trainOnStart: true,
      seed: 7,
    });
    assert.equal(d.description, 'hours to failure');
    assert.deepEqual(d.source, { kind: 'csv', path: 'data/{tenant}.csv', tenantColumn: 'tenant' });
    assert.deepEqual([d.mode, d.dataRangeDays, d.holdoutFraction, d.incrementalTrees, d.trainOnStart, d.seed], ['full', 30, 0.25, 5, true, 7]);
  });

  it('parses a sql source with a postgres url and a csv source without tenantColumn', () => {
    const sql = parseModelDefinition({ ...BINARY, source: { kind: 'sql', url: 'postgresql://u@db/app', query: 'SELECT * FROM r WHERE tenant_id = :tenant_id' } });
    assert.deepEqual(sql.source, { kind: 'sql', url: 'postgresql://u@db/app', query: 'SELECT * FROM r WHERE tenant_id = :tenant_id' });
    const csv = parseModelDefinition({ ...BINARY, source: { kind: 'csv', path: 'x.csv' } });
    assert.deepEqual(csv.source, { kind: 'csv', path: 'x.csv', tenantColumn: null });
  });
});

describe('model definition: gate', () => {
  it('parses thresholds for the task\'s metrics', () => {
    const d = parseModelDefinition({ ...REGRESSION, gate: { thresholds: { r2: 0.7, rmse: 12.5 } } });
    assert.deepEqual(d.gate, { thresholds: { r2: 0.7, rmse: 12.5 }, change: { metric: 'r2', maxDecrease: 0.02, maxRelativeDecrease: null } });
  });

  it('change: false → no comparison with the champion', () => {
    assert.deepEqual(parseModelDefinition({ ...BINARY, gate: { thresholds: { accuracy: 0.75 }, change: false } }).gate, { thresholds: { accuracy: 0.75 }, change: null });
  });

  it('change: null → no comparison with the champion', () => {
    assert.equal(parseModelDefinition({ ...BINARY, gate: { change: null } }).gate.change, null);
  });

  it('change with neither tolerance → maxDecrease 0 (may not be worse at all)', () => {
    assert.deepEqual(parseModelDefinition({ ...BINARY, gate: { change: {} } }).gate.change, { metric: 'auc', maxDecrease: 0, maxRelativeDecrease: null });
    assert.deepEqual(parseModelDefinition({ ...BINARY, gate: { change: { maxDecrease: null, maxRelativeDecrease: null } } }).gate.change, {
      metric: 'auc', maxDecrease: 0, maxRelativeDecrease: null,
    });
  });

  it('change with only maxRelativeDecrease leaves maxDecrease null', () => {
    assert.deepEqual(parseModelDefinition({ ...BINARY, gate: { change: { metric: 'logloss', maxRelativeDecrease: 0.05 } } }).gate.change, {
      metric: 'logloss', maxDecrease: null, maxRelativeDecrease: 0.05,
    });
  });

  it('change with both tolerances keeps both', () => {
    assert.deepEqual(parseModelDefinition({ ...REGRESSION, gate: { change: { metric: 'rmse', maxDecrease: 1.5, maxRelativeDecrease: 0.1 } } }).gate.change, {
      metric: 'rmse', maxDecrease: 1.5, maxRelativeDecrease: 0.1,
    });
  });
});

const MODEL_KEYS = 'name, description, task, dataset, source, features, trainer, primaryMetric, gate, mode, dataRangeDays, holdoutFraction, incrementalTrees, trainOnStart, seed, retrain, predict, alerts';
const BINARY_METRICS = 'auc, logloss, accuracy, precision, recall, f1';

/** [case, the body, the field (without prefix), the message after "<field>: "]. */
const INVALID: ReadonlyArray<readonly [string, Record<string, unknown>, string, string]> = [
  ['unknown key', { ...BINARY, colour: 'red' }, 'colour', `unknown property; allowed: ${MODEL_KEYS}`],
  ['bad name (upper case)', { ...BINARY, name: 'Failure' }, 'name', 'must match ^[a-z][a-z0-9_]{0,47}$, got "Failure"; example "failure"'],
  ['bad name (hyphen)', { ...BINARY, name: 'fail-24h' }, 'name', 'must match ^[a-z][a-z0-9_]{0,47}$, got "fail-24h"; example "failure"'],
  ['missing name', { task: 'binary', dataset: 'readings', features: FEATURES }, 'name', 'must match ^[a-z][a-z0-9_]{0,47}$, got undefined; example "failure"'],
  ['bad task', { ...BINARY, task: 'multiclass' }, 'task', 'must be one of binary, regression, got "multiclass"'],
  ['missing dataset', { name: 'failure', task: 'binary', features: FEATURES }, 'dataset', 'must be a dataset id: 1 to 64 lowercase letters, digits, "_", "." or "-", starting with a letter or digit (pattern ^[a-z0-9][a-z0-9_.-]{0,63}$), got undefined; example "readings"'],
  ['a dataset outside the id rule', { name: 'failure', task: 'binary', dataset: 'Readings 2', features: FEATURES }, 'dataset', 'must be a dataset id: 1 to 64 lowercase letters, digits, "_", "." or "-", starting with a letter or digit (pattern ^[a-z0-9][a-z0-9_.-]{0,63}$), got "Readings 2"; example "readings"'],
  ['rmse threshold for a binary task', { ...BINARY, gate: { thresholds: { rmse: 3 } } }, 'gate.thresholds.rmse', `must be one of ${BINARY_METRICS}, got "rmse"`],
  ['auc threshold for a regression task', { ...REGRESSION, gate: { thresholds: { auc: 0.7 } } }, 'gate.thresholds.auc', 'must be one of r2, mae, rmse, got "auc"'],
  ['rmse primaryMetric for a binary task', { ...BINARY, primaryMetric: 'rmse' }, 'primaryMetric', `must be one of ${BINARY_METRICS}, got "rmse"`],
  ['rmse change metric for a binary task', { ...BINARY, gate: { change: { metric: 'rmse' } } }, 'gate.change.metric', `must be one of ${BINARY_METRICS}, got "rmse"`],
  ['non-numeric threshold', { ...BINARY, gate: { thresholds: { auc: 'high' } } }, 'gate.thresholds.auc', 'must be a number from -1000000000000 to 1000000000000, got "high"; example 0.7'],
  ['negative maxDecrease', { ...BINARY, gate: { change: { maxDecrease: -0.1 } } }, 'gate.change.maxDecrease', 'must be a number from 0 to 1000000000000, got -0.1; example 0.02'],
  ['change given as true', { ...BINARY, gate: { change: true } }, 'gate.change', 'must be an object, or false for no comparison with the champion; example { "maxDecrease": 0.02 }'],
  ['unknown gate key', { ...BINARY, gate: { minimums: {} } }, 'gate.minimums', 'unknown property; allowed: thresholds, change'],
  ['gbdt numTrees: -1', { ...BINARY, trainer: { kind: 'gbdt', params: { numTrees: -1 } } }, 'trainer.params.numTrees', 'must be an integer in [0, 100000] (got -1)'],
  ['gbdt learningRate 0', { ...BINARY, trainer: { kind: 'gbdt', params: { learningRate: 0 } } }, 'trainer.params.learningRate', 'must be a number in (0, 1] (got 0)'],
  ['unknown trainer kind', { ...BINARY, trainer: { kind: 'xgboost' } }, 'trainer.kind', 'must be one of gbdt, linear, command, got "xgboost"'],
  ['trainer params not an object', { ...BINARY, trainer: { kind: 'gbdt', params: [] } }, 'trainer.params', 'must be an object of trainer parameters; example { "numTrees": 100 }'],
  ['bad source kind', { ...BINARY, source: { kind: 'ftp' } }, 'source.kind', 'must be one of store, csv, sql, got "ftp"'],
  ['sql source with a mysql url', { ...BINARY, source: { kind: 'sql', url: 'mysql://db/app', query: 'SELECT 1' } }, 'source.url',
    'must be a postgres:// connection string; example "postgres://user@db/app"'],
  ['sql source without url', { ...BINARY, source: { kind: 'sql', query: 'SELECT 1' } }, 'source.url',
    'must be a non-empty string (at most 2000 characters); example "postgres://user@db/app"'],
  ['sql source without query', { ...BINARY, source: { kind: 'sql', url: 'postgres://db/app' } }, 'source.query',
    'must be a non-empty string (at most 20000 characters); example "SELECT … WHERE tenant_id = :tenant_id"'],
  ['csv source without path', { ...BINARY, source: { kind: 'csv' } }, 'source.path', 'must be a non-empty string (at most 2000 characters); example "data/{tenant}.csv"'],
  ['store source with a path', { ...BINARY, source: { kind: 'store', path: 'x.csv' } }, 'source.path', 'unknown property; allowed: kind'],
  ['features missing', { name: 'failure', task: 'binary', dataset: 'readings' }, 'features',
    'required: the columns the model learns from; example { "continuous": ["temp", "vibration"] }'],
  ['holdoutFraction 0.6', { ...BINARY, holdoutFraction: 0.6 }, 'holdoutFraction', 'must be a number from 0.05 to 0.5, got 0.6; example 0.2'],
  ['holdoutFraction 0.01', { ...BINARY, holdoutFraction: 0.01 }, 'holdoutFraction', 'must be a number from 0.05 to 0.5, got 0.01; example 0.2'],
  ['dataRangeDays 1.5', { ...BINARY, dataRangeDays: 1.5 }, 'dataRangeDays', 'must be a whole number from 1 to 3660, got 1.5; example 180'],
  ['bad mode', { ...BINARY, mode: 'partial' }, 'mode', 'must be one of full, incremental, got "partial"'],
  ['trainOnStart as text', { ...BINARY, trainOnStart: 'yes' }, 'trainOnStart', 'must be true or false, got "yes"'],
];

describe('model definition: invalid input is NS_VALIDATION naming the field', () => {
  for (const [name, body, field, reason] of INVALID) {
    it(`rejects ${name} (API body, no prefix)`, () => {
      assertInvalid(() => parseModelDefinition(body), field, `${field}: ${reason}`);
    });
    it(`rejects ${name} (config entry, prefix models[0])`, () => {
      assertInvalid(() => parseModelDefinition(body, 'models[0]'), `models[0].${field}`, `models[0].${field}: ${reason}`);
    });
  }

  it('rejects a body that is not an object, with an example', () => {
    assertInvalid(() => parseModelDefinition(null), 'body',
      'body: must be an object describing the model; example { "task": "binary", "dataset": "readings", "features": { "continuous": ["temp"] } }');
    assertInvalid(() => parseModelDefinition([], 'models[3]'), 'models[3]',
      'models[3]: must be an object describing the model; example { "task": "binary", "dataset": "readings", "features": { "continuous": ["temp"] } }');
  });

  it('keeps the feature spec\'s own field path for a bad features entry', () => {
    assertInvalid(() => parseModelDefinition({ ...BINARY, features: { continuous: [] } }, 'models[0]'), 'models[0].features.continuous',
      'models[0].features.continuous: the spec produces no feature; list at least one column');
  });

  it('rejects an objective that contradicts the task, naming the field', () => {
    assert.throws(() => parseModelDefinition({ ...BINARY, trainer: { kind: 'gbdt', params: { objective: 'squared_error' } } }, 'models[0]'), (error: unknown) => {
      assert.ok(error instanceof NsError);
      assert.equal(error.code, 'NS_VALIDATION');
      assert.equal(error.field, 'models[0].trainer.params.objective');
      assert.match(error.message, /^models\[0\]\.trainer\.params\.objective: "squared_error" does not match task "binary"; use "binary_logloss"/);
      return true;
    });
  });

  it('rejects a linear trainer whose task contradicts the model task, naming the field', () => {
    assert.throws(() => parseModelDefinition({ ...BINARY, trainer: { kind: 'linear', params: { task: 'regression' } } }, 'models[0]'), {
      code: 'NS_VALIDATION',
      field: 'models[0].trainer.params.task',
    });
  });

  // Source bug: the message only says what is wrong. It should name the objective the task needs
  // (or say to leave it out), as every other model-definition error gives a fix or an example.
  it('the objective/task mismatch message names the objective to use', () => {
    assert.throws(() => parseModelDefinition({ ...BINARY, trainer: { kind: 'gbdt', params: { objective: 'squared_error' } } }, 'models[0]'), (error: unknown) => {
      assert.ok(error instanceof NsError);
      assert.match(error.message, /binary_logloss/);
      return true;
    });
  });

  // Source bug: resolveLinearParams names fields without the "params." prefix that resolveGbdtParams
  // uses, and parseTrainer appends error.field to `<prefix>.trainer`, so a linear parameter error
  // names `models[0].trainer.epochs` — a path that does not exist in the declaration.
  it('a bad linear parameter is named under trainer.params, like a gbdt one', () => {
    assert.throws(() => parseModelDefinition({ ...BINARY, trainer: { kind: 'linear', params: { epochs: 0 } } }, 'models[0]'), (error: unknown) => {
      assert.ok(error instanceof NsError);
      assert.equal(error.code, 'NS_VALIDATION');
      assert.equal(error.field, 'models[0].trainer.params.epochs');
      assert.match(error.message, /^models\[0\]\.trainer\.params\.epochs/);
      return true;
    });
  });

  it('predict.require: columns the features read (after columnMapping: raw names), each once', () => {
    const features = { continuous: ['temp'], categorical: ['site'], lags: [{ column: 'load', lagSeconds: 60 }], columnMapping: { t_raw: 'temp' } };
    const parsed = parseModelDefinition({ ...BINARY, features, predict: { require: ['t_raw', 'site', 'load'] } }, 'models[0]');
    assert.deepEqual(parsed.predict, { require: ['t_raw', 'site', 'load'] });
    assert.deepEqual(parseModelDefinition({ ...BINARY, features, predict: {} }).predict, { require: [] });
    assert.equal('predict' in parseModelDefinition(BINARY), false, 'absent unless declared: stored declarations keep their form');
    assertInvalid(() => parseModelDefinition({ ...BINARY, features, predict: { require: ['temp'] } }, 'models[0]'), 'models[0].predict.require[0]',
      'models[0].predict.require[0]: "temp" is not a column the features read; they read t_raw, site, load');
    assertInvalid(() => parseModelDefinition({ ...BINARY, features, predict: { require: ['site', 'site'] } }), 'predict.require[1]', 'predict.require[1]: "site" is listed twice');
    assertInvalid(() => parseModelDefinition({ ...BINARY, predict: { require: 'temp' } }), 'predict.require', 'predict.require: must be a list of column names; example ["temperature"]');
    assertInvalid(() => parseModelDefinition({ ...BINARY, predict: ['temp'] }), 'predict', 'predict: must be an object; example { "require": ["temperature"] }');
  });
});
