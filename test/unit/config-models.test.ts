import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { checkConfig, DEFAULTS, loadSettings, parseConfig } from '../../src/config/index.ts';
import { resolveDefinitions } from '../../src/config/definitions.ts';
import { mergeScalars } from '../../src/config/scalars.ts';
import { NsError } from '../../src/errors.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'nightshift-config-models-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** Write `text` as nightshift.yaml in a fresh directory; returns the directory. */
function writeYaml(text: string): string {
  const dir = path.join(tmp, String(n++));
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'nightshift.yaml'), text);
  return dir;
}
const loadYaml = (text: string, env: Record<string, string> = {}) => loadSettings({ env, cwd: writeYaml(text), configPath: 'nightshift.yaml' });

/** Asserts loading `text` throws NS_CONFIG_INVALID with exactly this field and message, naming the file. */
function assertRefused(text: string, field: string, message: string): NsError {
  let caught: NsError | undefined;
  assert.throws(
    () => loadYaml(text),
    (error: unknown) => {
      assert.ok(error instanceof NsError, `expected NsError, got ${String(error)}`);
      assert.equal(error.code, 'NS_CONFIG_INVALID');
      assert.equal(error.message, message);
      assert.equal(error.field, field);
      assert.deepEqual(error.details, { file: 'nightshift.yaml' });
      caught = error;
      return true;
    },
  );
  return caught as NsError;
}

const TENANTS = `
timezone: UTC
tenants:
  - { id: acme, timezone: America/New_York }
  - { id: beta, timezone: Europe/London }
`;

const FAILURE = `
  - name: failure
    task: binary
    dataset: readings
    tenants: [acme]
    timeout: 30m
    retry: { retries: 1 }
    features: { continuous: [temperature, vibration] }
    gate: { thresholds: { auc: 0.7 }, change: { maxDecrease: 0.05 } }
`;

const RUL = `
  - name: rul
    task: regression
    dataset: readings
    trainer: { kind: linear, params: { epochs: 5 } }
    features: { continuous: [temperature] }
`;

const TWO_MODELS = `${TENANTS}models:${FAILURE}${RUL}`;
const BACKOFF = [...DEFAULTS.retry.backoffMs];

describe('config models: training jobs and implicit schedules', () => {
  it('creates a train job train-<name> per model, kind train, role training, tenants as declared', () => {
    const s = loadYaml(TWO_MODELS);
    assert.deepEqual(s.jobs, [
      {
        id: 'train-failure', kind: 'train', model: 'failure', description: 'train model failure', role: 'training', tenants: ['acme'],
        after: [], env: {}, timeoutMs: 1_800_000, retry: { retries: 1, backoffMs: BACKOFF, jitterRatio: 0.1 },
      },
      {
        id: 'train-rul', kind: 'train', model: 'rul', description: 'train model rul', role: 'training', tenants: null,
        after: [], env: {}, timeoutMs: 7_200_000, retry: { retries: 3, backoffMs: BACKOFF, jitterRatio: 0.1 },
      },
    ]);
  });

  it('keeps the declared models with their job id and parsed definition', () => {
    const s = loadYaml(TWO_MODELS);
    assert.deepEqual(s.models, [
      {
        tenants: ['acme'],
        jobId: 'train-failure',
        definition: parseModelDefinition({
          name: 'failure', task: 'binary', dataset: 'readings', features: { continuous: ['temperature', 'vibration'] },
          gate: { thresholds: { auc: 0.7 }, change: { maxDecrease: 0.05 } },
        }),
      },
      {
        tenants: null,
        jobId: 'train-rul',
        definition: parseModelDefinition({
          name: 'rul', task: 'regression', dataset: 'readings', trainer: { kind: 'linear', params: { epochs: 5 } }, features: { continuous: ['temperature'] },
        }),
      },
    ]);
    assert.deepEqual(s.models[0]?.definition.gate, { thresholds: { auc: 0.7 }, change: { metric: 'auc', maxDecrease: 0.05, maxRelativeDecrease: null } });
  });

  it('schedules each train job on ML_TRAINING_SCHEDULE ("0 2 * * *") for each of its tenants, in the tenant\'s time zone', () => {
    const s = loadYaml(TWO_MODELS);
    const policy = { everyMs: null, enabled: true, jitterMs: 0, misfireGraceMs: 3_600_000, catchUp: 'latest', catchUpMax: 10, overlap: 'skip' };
    assert.deepEqual(s.schedules, [
      { ...policy, id: 'acme.train-failure', tenantId: 'acme', jobId: 'train-failure', cron: '0 2 * * *', timezone: 'America/New_York' },
      { ...policy, id: 'acme.train-rul', tenantId: 'acme', jobId: 'train-rul', cron: '0 2 * * *', timezone: 'America/New_York' },
      { ...policy, id: 'beta.train-rul', tenantId: 'beta', jobId: 'train-rul', cron: '0 2 * * *', timezone: 'Europe/London' },
    ]);
  });

  it('follows ML_TRAINING_SCHEDULE and ML_TRAINING_ENABLED from env', () => {
    const s = loadYaml(TWO_MODELS, { ML_TRAINING_SCHEDULE: '30 1 * * 0', ML_TRAINING_ENABLED: 'false' });
    assert.deepEqual(s.schedules.map((x) => [x.id, x.cron, x.enabled]), [
      ['acme.train-failure', '30 1 * * 0', false],
      ['acme.train-rul', '30 1 * * 0', false],
      ['beta.train-rul', '30 1 * * 0', false],
    ]);
  });

  it('uses training.timeout and training.retries for a model that sets neither', () => {
    const s = loadYaml(`${TWO_MODELS}training: { timeout: 45m, retries: 4 }\n`);
    const rul = s.jobs.find((j) => j.id === 'train-rul');
    assert.equal(rul?.timeoutMs, 2_700_000);
    assert.equal(rul?.retry.retries, 4);
    assert.equal(s.jobs.find((j) => j.id === 'train-failure')?.timeoutMs, 1_800_000, 'the model\'s own timeout wins');
  });

  it('an explicit schedule for (tenant, train job) replaces the implicit one', () => {
    const s = loadYaml(`${TWO_MODELS}schedules:\n  - { id: acme-failure-hourly, tenant: acme, job: train-failure, every: 1h }\n`);
    assert.deepEqual(s.schedules.map((x) => x.id), ['acme-failure-hourly', 'acme.train-rul', 'beta.train-rul']);
  });

  it('a single model in a file without tenants runs for the default tenant', () => {
    const s = loadYaml(`models:${RUL}`);
    assert.deepEqual(s.schedules.map((x) => [x.id, x.tenantId, x.jobId, x.timezone]), [['default.train-rul', 'default', 'train-rul', 'UTC']]);
  });

  it('parseConfig + resolveDefinitions give the same jobs without a file on disk', () => {
    const file = parseConfig(
      { tenants: [{ id: 'acme' }], models: [{ name: 'failure', task: 'binary', dataset: 'readings', tenants: ['acme'], features: { continuous: ['temp'] } }] },
      'inline.json',
    );
    assert.equal(file.models.length, 1);
    assert.deepEqual([file.models[0]?.id, file.models[0]?.tenants, file.models[0]?.at], ['failure', ['acme'], { file: 'inline.json', path: 'models[0]' }]);
    const defs = resolveDefinitions(file, mergeScalars(file).scalars);
    assert.deepEqual(defs.jobs.map((j) => [j.id, j.kind, j.role, j.tenants]), [['train-failure', 'train', 'training', ['acme']]]);
    assert.deepEqual(defs.models.map((m) => [m.jobId, m.tenants, m.definition.name]), [['train-failure', ['acme'], 'failure']]);
  });
});

describe('config models: refused', () => {
  it('an unknown tenant in models[0].tenants, naming the path and the file', () => {
    assertRefused(
      `${TENANTS}models:\n  - { name: failure, task: binary, dataset: readings, tenants: [acne], features: { continuous: [temp] } }\n`,
      'models[0].tenants[0]',
      'nightshift.yaml: models[0].tenants[0]="acne": unknown tenant; did you mean "acme"?',
    );
  });

  it('a declared job whose id is the training job of a model', () => {
    assertRefused(
      `${TENANTS}jobs:\n  - { id: train-failure, kind: command, command: node }\nmodels:${FAILURE}`,
      'jobs[0].id',
      'nightshift.yaml: jobs[0].id="train-failure": is the training job of model "failure" (models[0]); choose another job id',
    );
  });

  it('a model metric that does not fit the task, with the file name and the full path', () => {
    const error = assertRefused(
      `models:\n  - { name: failure, task: binary, dataset: readings, features: { continuous: [temp] }, gate: { thresholds: { rmse: 3 } } }\n`,
      'models[0].gate.thresholds.rmse',
      'nightshift.yaml: models[0].gate.thresholds.rmse: must be one of auc, logloss, accuracy, precision, recall, f1, got "rmse"',
    );
    assert.ok(error.cause instanceof NsError);
    assert.equal(error.cause.code, 'NS_VALIDATION');
  });

  it('a bad gbdt parameter in the second model', () => {
    assertRefused(
      `models:${RUL}  - { name: failure, task: binary, dataset: readings, features: { continuous: [temp] }, trainer: { kind: gbdt, params: { numTrees: -1 } } }\n`,
      'models[1].trainer.params.numTrees',
      'nightshift.yaml: models[1].trainer.params.numTrees: must be an integer in [0, 100000] (got -1)',
    );
  });

  it('a bad model name', () => {
    assertRefused(
      'models:\n  - { name: Failure, task: binary, dataset: readings, features: { continuous: [temp] } }\n',
      'models[0].name',
      'nightshift.yaml: models[0].name: must match ^[a-z][a-z0-9_]{0,47}$, got "Failure"; example "failure"',
    );
  });

  it('a model without features', () => {
    assertRefused(
      'models:\n  - { name: failure, task: binary, dataset: readings }\n',
      'models[0].features',
      'nightshift.yaml: models[0].features: required: the columns the model learns from; example { "continuous": ["temp", "vibration"] }',
    );
  });

  it('a bad model timeout', () => {
    // The duration parser's own example ("6h") is kept, as for job timeouts.
    assertRefused(
      'models:\n  - { name: failure, task: binary, dataset: readings, timeout: soon, features: { continuous: [temp] } }\n',
      'models[0].timeout',
      'nightshift.yaml: models[0].timeout="soon": cannot read "soon" (use a number followed by ms, s, m, h or d); example "6h"',
    );
  });

  it('models that is not a list', () => {
    assertRefused('models: { name: failure }\n', 'models', 'nightshift.yaml: models: must be a list');
  });

  // Source bug: resolveDefinitions' unique() reports duplicates at `<entry>.id`, but a model entry
  // has no `id` key — its id is `name`. Today: field "models[1].id", message
  // 'nightshift.yaml: models[1].id="failure": duplicate name (already used by models[0])'.
  it('two models with the same name, naming models[1].name', () => {
    assertRefused(
      `models:${RUL.replace('rul', 'failure')}${RUL.replace('rul', 'failure')}`,
      'models[1].name',
      'nightshift.yaml: models[1].name="failure": duplicate name (already used by models[0])',
    );
  });

  // Source bug: a config model entry also accepts tenants, timeout and retry (parseModels strips them
  // before parseModelDefinition), but the unknown-key message lists only the definition's keys, so a
  // user who misspells `tenants` is told it is not allowed at all.
  it('an unknown model key lists tenants, timeout and retry among the allowed keys', () => {
    assert.throws(
      () => loadYaml('models:\n  - { name: failure, task: binary, dataset: readings, tenant: [default], features: { continuous: [temp] } }\n'),
      (error: unknown) => {
        assert.ok(error instanceof NsError);
        assert.equal(error.field, 'models[0].tenant');
        assert.match(error.message, /tenants/);
        return true;
      },
    );
  });
});

describe('config datasets', () => {
  it('parses a predictive-maintenance preset with generate {days, machines, seed}', () => {
    const s = loadYaml(`${TENANTS}datasets:\n  - { id: readings, tenants: [beta], schema: predictive-maintenance, generate: { days: 7, machines: 3, seed: 42 } }\n`);
    assert.deepEqual(s.datasets, [
      {
        id: 'readings',
        tenants: ['beta'],
        schema: {
          entityKey: 'machine_id',
          timestamp: 'timestamp',
          features: [
            { name: 'model', type: 'categorical', nullable: false },
            { name: 'temperature', type: 'numeric', nullable: true },
            { name: 'vibration', type: 'numeric', nullable: true },
            { name: 'pressure', type: 'numeric', nullable: true },
            { name: 'rpm', type: 'numeric', nullable: true },
            { name: 'load', type: 'numeric', nullable: true },
            { name: 'voltage', type: 'numeric', nullable: true },
          ],
          label: { name: 'fails_within_24h', type: 'binary', nullable: false },
        },
        generate: { kind: 'predictive-maintenance', days: 7, machines: 3, seed: 42, intervalMinutes: 60 },
      },
    ]);
  });

  it('defaults generate to 30 days, 20 machines, seed 1, hourly', () => {
    const s = loadYaml('datasets:\n  - { id: readings, schema: predictive-maintenance, generate: {} }\n');
    assert.deepEqual(s.datasets[0]?.generate, { kind: 'predictive-maintenance', days: 30, machines: 20, seed: 1, intervalMinutes: 60 });
    assert.equal(s.datasets[0]?.tenants, null);
  });

  it('parses a custom schema map without generate', () => {
    const s = loadYaml(
      'datasets:\n  - id: sales\n    schema: { entityKey: store, timestamp: ts, features: [{ name: price, type: numeric }], label: { name: units, type: numeric } }\n',
    );
    assert.deepEqual(s.datasets, [
      {
        id: 'sales', tenants: null, generate: null,
        schema: { entityKey: 'store', timestamp: 'ts', features: [{ name: 'price', type: 'numeric', nullable: false }], label: { name: 'units', type: 'numeric', nullable: false } },
      },
    ]);
  });

  it('refuses an unknown preset', () => {
    assertRefused(
      'datasets:\n  - { id: readings, schema: iris }\n',
      'datasets[0].schema',
      'nightshift.yaml: datasets[0].schema: "iris" is not a preset; use "predictive-maintenance" or a map {entityKey, timestamp, features, label}',
    );
  });

  it('refuses generate with a custom schema', () => {
    assertRefused(
      'datasets:\n  - id: sales\n    schema: { entityKey: store, timestamp: ts, features: [{ name: price, type: numeric }], label: { name: units, type: numeric } }\n    generate: { days: 7 }\n',
      'datasets[0].generate',
      'nightshift.yaml: datasets[0].generate: generated data needs schema: predictive-maintenance',
    );
  });

  it('refuses a generate field out of range', () => {
    assertRefused(
      'datasets:\n  - { id: readings, schema: predictive-maintenance, generate: { days: 0 } }\n',
      'datasets[0].generate.days',
      'nightshift.yaml: datasets[0].generate.days="0": must be a whole number from 1 to 3660; example "30"',
    );
  });

  it('refuses an unknown generate field', () => {
    assertRefused(
      'datasets:\n  - { id: readings, schema: predictive-maintenance, generate: { day: 7 } }\n',
      'datasets[0].generate.day',
      'nightshift.yaml: datasets[0].generate.day: unknown field; did you mean "days"?',
    );
  });

  it('refuses a missing schema', () => {
    assertRefused('datasets:\n  - { id: readings }\n', 'datasets[0].schema', 'nightshift.yaml: datasets[0].schema: is required; example "predictive-maintenance"');
  });

  it('refuses an unknown dataset tenant', () => {
    assertRefused(
      `${TENANTS}datasets:\n  - { id: readings, tenants: [gamma], schema: predictive-maintenance }\n`,
      'datasets[0].tenants[0]',
      'nightshift.yaml: datasets[0].tenants[0]="gamma": unknown tenant; known: acme, beta',
    );
  });
});

describe('config models: nightshift config check', () => {
  it('lists the models, their train jobs and implicit schedules', () => {
    const dir = writeYaml(TWO_MODELS);
    const text = checkConfig({ env: { NIGHTSHIFT_NODE_ID: 'worker-1' }, cwd: dir, configPath: 'nightshift.yaml' });
    const lines = text.split('\n');
    const from = (first: string, count: number) => {
      const i = lines.indexOf(first);
      assert.ok(i >= 0, `missing line ${JSON.stringify(first)} in:\n${text}`);
      return lines.slice(i, i + count);
    };
    assert.deepEqual(from('jobs (2):', 3), [
      'jobs (2):',
      '  train-failure: train model failure (role training; tenants acme; timeout 30m; 1 retry)',
      '  train-rul: train model rul (role training; all tenants; timeout 2h; 3 retries)',
    ]);
    assert.deepEqual(from('models (2):', 3), [
      'models (2):',
      '  failure: binary, gbdt on dataset readings (tenants acme; job train-failure)',
      '  rul: regression, linear on dataset readings (all tenants; job train-rul)',
    ]);
    assert.deepEqual(from('schedules (3):', 4), [
      'schedules (3):',
      '  acme.train-failure: acme / train-failure, at 02:00 every day (America/New_York), cron "0 2 * * *" (implicit)',
      '  acme.train-rul: acme / train-rul, at 02:00 every day (America/New_York), cron "0 2 * * *" (implicit)',
      '  beta.train-rul: beta / train-rul, at 02:00 every day (Europe/London), cron "0 2 * * *" (implicit)',
    ]);
  });

  it('prints no models section when none are declared', () => {
    const text = checkConfig({ env: { NIGHTSHIFT_NODE_ID: 'worker-1' }, cwd: writeYaml(TENANTS), configPath: 'nightshift.yaml' });
    assert.equal(text.split('\n').some((l) => l.startsWith('models')), false, text);
  });
});
