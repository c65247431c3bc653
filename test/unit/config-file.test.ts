import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadSettings } from '../../src/config/index.ts';
import { NsError } from '../../src/errors.ts';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const tmp = mkdtempSync(path.join(os.tmpdir(), 'nightshift-config-file-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
/** Load `text` as nightshift.yaml in a fresh directory, so every message starts "nightshift.yaml: ". */
function loadYaml(text: string, env: Record<string, string> = {}) {
  const dir = path.join(tmp, String(n++));
  mkdirSync(dir);
  writeFileSync(path.join(dir, 'nightshift.yaml'), text);
  return loadSettings({ env, cwd: dir, configPath: 'nightshift.yaml' });
}

const JOBS = `
tenants: [{ id: acme }, { id: beta }]
jobs:
  - { id: etl, kind: pipeline, steps: [{ name: fetch, command: node }] }
  - { id: train, kind: command, command: node, after: [etl] }
`;

/** [case, file text, the exact message, the error's field]. */
const INVALID: ReadonlyArray<readonly [string, string, string, string]> = [
  ['unknown job field, with a suggestion', `jobs:\n  - { id: a, kind: command, command: node }\n  - { id: b, kind: command, comand: node }\n`,
    'nightshift.yaml: jobs[1].comand: unknown field; did you mean "command"?', 'jobs[1].comand'],
  ['unknown top-level field', 'concurency: 2\n', 'nightshift.yaml: concurency: unknown field; did you mean "concurrency"?', 'concurency'],
  ['unknown field, no near match', 'training: { colour: blue }\n',
    'nightshift.yaml: training.colour: unknown field; expected one of schedule, enabled, mode, retries, timeout', 'training.colour'],
  ['bad scalar', 'concurrency: two\n', 'nightshift.yaml: concurrency="two": must be a whole number from 1 to 1024; example "4"', 'concurrency'],
  ['bad recovery bound', 'maxRecoveries: -2\n', 'nightshift.yaml: maxRecoveries="-2": must be a whole number from 0 to 1000000; example "10"', 'maxRecoveries'],
  ['bad file cron', 'training: { schedule: "0 25 * * *" }\n',
    'nightshift.yaml: training.schedule="0 25 * * *": hour 25 is out of range 0-23; example "0 2 * * *"', 'training.schedule'],
  ['bad top-level zone', 'timezone: Mars/Olympus\n',
    'nightshift.yaml: timezone="Mars/Olympus": unknown IANA time zone; example "Europe/London"', 'timezone'],
  ['bad tenant id', 'tenants: [{ id: Acme }]\n',
    'nightshift.yaml: tenants[0].id="Acme": must match ^[a-z0-9][a-z0-9_.-]{0,63}$ (lowercase letters, digits, "_", "." and "-"); example "acme"', 'tenants[0].id'],
  ['duplicate tenant', 'tenants: [{ id: acme }, { id: acme }]\n',
    'nightshift.yaml: tenants[1].id="acme": duplicate id (already used by tenants[0])', 'tenants[1].id'],
  ['misspelt kind', 'jobs: [{ id: a, knd: command, command: node }]\n', 'nightshift.yaml: jobs[0].knd: unknown field; did you mean "kind"?', 'jobs[0].knd'],
  ['missing kind', 'jobs: [{ id: a, command: node }]\n', 'nightshift.yaml: jobs[0].kind: is required; example "command"', 'jobs[0].kind'],
  ['bad kind', 'jobs: [{ id: a, kind: shell, command: node }]\n',
    'nightshift.yaml: jobs[0].kind="shell": must be one of "command", "pipeline", "empty"; example "command"', 'jobs[0].kind'],
  ['command on an empty job', 'jobs: [{ id: a, kind: empty, command: node }]\n',
    'nightshift.yaml: jobs[0].command: unknown field; expected one of id, kind, description, role, tenants, timeout, retry, after, env', 'jobs[0].command'],
  ['missing command', 'jobs: [{ id: a, kind: command }]\n', 'nightshift.yaml: jobs[0].command: is required; example "node"', 'jobs[0].command'],
  ['steps on a command job', 'jobs: [{ id: a, kind: command, command: node, steps: [] }]\n',
    'nightshift.yaml: jobs[0].steps: unknown field; expected one of id, kind, description, role, tenants, timeout, retry, after, env, command, args, cwd', 'jobs[0].steps'],
  ['empty pipeline', 'jobs: [{ id: a, kind: pipeline, steps: [] }]\n', 'nightshift.yaml: jobs[0].steps: must list at least one step', 'jobs[0].steps'],
  ['duplicate step', 'jobs: [{ id: a, kind: pipeline, steps: [{ name: s, command: x }, { name: s, command: y }] }]\n',
    'nightshift.yaml: jobs[0].steps[1].name="s": duplicate step name; example "s-2"', 'jobs[0].steps[1].name'],
  ['bad outcome code', 'jobs: [{ id: a, kind: pipeline, steps: [{ name: s, command: x, outcomes: { "0": done } }] }]\n',
    'nightshift.yaml: jobs[0].steps[0].outcomes.0: exit code must be a whole number from 1 to 255; example "3"', 'jobs[0].steps[0].outcomes.0'],
  ['bad role', 'jobs: [{ id: a, kind: command, command: x, role: serving }]\n',
    'nightshift.yaml: jobs[0].role="serving": must be "training" or "analysis"; example "training"', 'jobs[0].role'],
  ['bad timeout', 'jobs: [{ id: a, kind: command, command: x, timeout: 2 hours }]\n',
    'nightshift.yaml: jobs[0].timeout="2 hours": cannot read "2 hours" (use a number followed by ms, s, m, h or d); example "6h"', 'jobs[0].timeout'],
  ['bad retries', 'jobs: [{ id: a, kind: command, command: x, retry: { retries: -1 } }]\n',
    'nightshift.yaml: jobs[0].retry.retries="-1": must be a whole number from 0 to 100; example "3"', 'jobs[0].retry.retries'],
  ['retry.attempts (counted the first attempt; renamed retries)', 'jobs: [{ id: a, kind: command, command: x, retry: { attempts: 3, backoff: [5m, 15m, 45m] } }]\n',
    'nightshift.yaml: jobs[0].retry.attempts="3": "attempts" counted the first attempt too and is no longer read; "retries" counts the retries after the first attempt: write retries: 2 to keep 3 attempts, or retries: 3 for seed 003\'s three retries (the default); example "retries: 3"', 'jobs[0].retry.attempts'],
  ['a model\'s retry.attempts', 'models: [{ name: m, task: binary, dataset: d, features: { continuous: [x] }, retry: { attempts: 1 } }]\n',
    'nightshift.yaml: models[0].retry.attempts="1": "attempts" counted the first attempt too and is no longer read; "retries" counts the retries after the first attempt: write retries: 0 to keep 1 attempt, or retries: 3 for seed 003\'s three retries (the default); example "retries: 3"', 'models[0].retry.attempts'],
  ['training.retryAttempts (renamed training.retries)', 'training: { retryAttempts: 4 }\n',
    'nightshift.yaml: training.retryAttempts="4": "retryAttempts" counted the first attempt too and is no longer read; "retries" counts the retries after the first attempt: write retries: 3 to keep 4 attempts, or retries: 3 for seed 003\'s three retries (the default); example "retries: 3"', 'training.retryAttempts'],
  ['bad backoff entry', 'jobs: [{ id: a, kind: command, command: x, retry: { backoff: [5m, soon] } }]\n',
    'nightshift.yaml: jobs[0].retry.backoff[1]="soon": cannot read "soon" (use a number followed by ms, s, m, h or d); example "6h"', 'jobs[0].retry.backoff[1]'],
  ['unknown job tenant', `${JOBS}  - { id: c, kind: command, command: x, tenants: [acne] }\n`,
    'nightshift.yaml: jobs[2].tenants[0]="acne": unknown tenant; did you mean "acme"?', 'jobs[2].tenants[0]'],
  ['unknown after', `${JOBS}  - { id: c, kind: command, command: x, after: [load] }\n`,
    'nightshift.yaml: jobs[2].after[0]="load": unknown job; known: etl, train, c', 'jobs[2].after[0]'],
  ['dependency cycle', `jobs:\n  - { id: a, kind: command, command: x, after: [c] }\n  - { id: b, kind: command, command: x, after: [a] }\n  - { id: c, kind: command, command: x, after: [b] }\n`,
    'nightshift.yaml: jobs[0].after: dependency cycle "a" → "c" → "b" → "a"', 'jobs[0].after'],
  ['self dependency', 'jobs: [{ id: a, kind: command, command: x, after: [a] }]\n',
    'nightshift.yaml: jobs[0].after: dependency cycle "a" → "a"', 'jobs[0].after'],
  ['duplicate job', 'jobs: [{ id: a, kind: command, command: x }, { id: a, kind: command, command: y }]\n',
    'nightshift.yaml: jobs[1].id="a": duplicate id (already used by jobs[0])', 'jobs[1].id'],
  ['schedule tenant unknown', `${JOBS}schedules: [{ id: s, tenant: acme2, job: train, cron: "0 2 * * *" }]\n`,
    'nightshift.yaml: schedules[0].tenant="acme2": unknown tenant; did you mean "acme"?', 'schedules[0].tenant'],
  ['schedule job unknown', `${JOBS}schedules: [{ id: s, tenant: acme, job: trian, cron: "0 2 * * *" }]\n`,
    'nightshift.yaml: schedules[0].job="trian": unknown job; did you mean "train"?', 'schedules[0].job'],
  ['schedule tenant missing', `${JOBS}schedules: [{ id: s, job: train, cron: "0 2 * * *" }]\n`,
    'nightshift.yaml: schedules[0].tenant: is required when several tenants are declared; example "acme"', 'schedules[0].tenant'],
  ['schedule for a tenant the job skips', `${JOBS}  - { id: c, kind: command, command: x, tenants: [beta] }\nschedules: [{ id: s, tenant: acme, job: c, every: 1h }]\n`,
    'nightshift.yaml: schedules[0].tenant="acme": job "c" does not run for this tenant (its tenants: beta); example "beta"', 'schedules[0].tenant'],
  ['duplicate schedule', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, every: 1h }, { id: s, tenant: beta, job: train, every: 1h }]\n`,
    'nightshift.yaml: schedules[1].id="s": duplicate id (already used by schedules[0])', 'schedules[1].id'],
  ['bad schedule cron', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, cron: "0 25 * * *" }]\n`,
    'nightshift.yaml: schedules[0].cron="0 25 * * *": hour 25 is out of range 0-23; example "0 2 * * *"', 'schedules[0].cron'],
  ['bad schedule zone', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, cron: "0 2 * * *", timezone: Mars/Olympus }]\n`,
    'nightshift.yaml: schedules[0].timezone="Mars/Olympus": unknown IANA time zone; example "Europe/London"', 'schedules[0].timezone'],
  ['bad schedule interval', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, every: 6 hours }]\n`,
    'nightshift.yaml: schedules[0].every="6 hours": cannot read "6 hours" (use a number followed by ms, s, m, h or d); example "6h"', 'schedules[0].every'],
  ['cron and every', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, cron: "0 2 * * *", every: 1h }]\n`,
    'nightshift.yaml: schedules[0]: give "cron" or "every", not both', 'schedules[0]'],
  ['neither cron nor every', `${JOBS}schedules: [{ id: s, tenant: acme, job: train }]\n`,
    'nightshift.yaml: schedules[0]: needs "cron" or "every"; example cron: "0 2 * * *"', 'schedules[0]'],
  ['misfire grace below 1s', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, every: 1h, misfireGrace: 0 }]\n`,
    'nightshift.yaml: schedules[0].misfireGrace="0": must be at least 1s: a slot counts as on time only within its misfire grace, and the scheduler reaches a due slot a moment after it is due (to run no late slot, keep a grace and set catchUp: skip); example "1h"', 'schedules[0].misfireGrace'],
  ['default misfire grace below 1s', 'misfireGrace: 500ms\n',
    'nightshift.yaml: misfireGrace="500ms": must be at least 1s: a slot counts as on time only within its misfire grace, and the scheduler reaches a due slot a moment after it is due (to run no late slot, keep a grace and set catchUp: skip); example "1h"', 'misfireGrace'],
  ['bad catchUp', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, every: 1h, catchUp: most }]\n`,
    'nightshift.yaml: schedules[0].catchUp="most": must be one of "latest", "skip", "all"; example "latest"', 'schedules[0].catchUp'],
  ['bad overlap', `${JOBS}schedules: [{ id: s, tenant: acme, job: train, every: 1h, overlap: parallel }]\n`,
    'nightshift.yaml: schedules[0].overlap="parallel": must be "skip" or "queue_one"; example "skip"', 'schedules[0].overlap'],
  ['artifacts in PostgreSQL without a PostgreSQL store', 'artifacts: postgres\n',
    'nightshift.yaml: artifacts="postgres": artifacts are stored in PostgreSQL only with a PostgreSQL store: set DATABASE_URL, or use file with SQLite; example "file"', 'artifacts'],
  ['not a list', 'jobs: { id: a }\n', 'nightshift.yaml: jobs: must be a list', 'jobs'],
  ['not a map', '- a\n- b\n', 'nightshift.yaml: (top level): must be a map of settings', '(top level)'],
];

describe('config: file validation', () => {
  for (const [name, text, message, field] of INVALID) {
    it(`rejects ${name}`, () => {
      assert.throws(
        () => loadYaml(text),
        (error: unknown) => {
          assert.ok(error instanceof NsError);
          assert.equal(error.code, 'NS_CONFIG_INVALID');
          assert.equal(error.message, message);
          assert.equal(error.field, field);
          return true;
        },
      );
    });
  }

  it('names the file, line and column of a YAML syntax error', () => {
    assert.throws(() => loadSettings({ env: {}, cwd: fixtures, configPath: 'bad-syntax.yaml' }), {
      code: 'NS_CONFIG_INVALID',
      message: 'bad-syntax.yaml:5:1: invalid YAML (Sequence item without - indicator)',
    });
  });

  it('names the file, line and column of a JSON syntax error', () => {
    assert.throws(() => loadSettings({ env: {}, cwd: fixtures, configPath: 'bad-syntax.json' }), {
      code: 'NS_CONFIG_INVALID',
      message: 'bad-syntax.json:4:1: invalid JSON (Expected double-quoted property name)',
    });
  });

  it('rejects duplicate YAML keys', () => {
    assert.throws(() => loadYaml('concurrency: 1\nconcurrency: 2\n'), { message: 'nightshift.yaml:2:1: invalid YAML (Map keys must be unique)' });
  });

  it('applies file-wide retry defaults and reads numbers as milliseconds', () => {
    const s = loadYaml(
      'retry: { backoff: [1m, 2m], jitterRatio: 0 }\n' +
        'jobs: [{ id: a, kind: command, command: x, retry: { retries: 1 } }, { id: b, kind: command, command: x, timeout: 90000 }]\n' +
        'schedules: [{ id: s, job: a, every: 3600000, jitter: 0 }]\n',
    );
    assert.deepEqual(s.jobs[0]?.retry, { retries: 1, backoffMs: [60_000, 120_000], jitterRatio: 0 });
    assert.equal(s.jobs[1]?.timeoutMs, 90_000);
    assert.deepEqual([s.schedules[0]?.tenantId, s.schedules[0]?.everyMs, s.schedules[0]?.timezone], ['default', 3_600_000, 'UTC']);
  });

  it('reads an empty job: no command, still scheduled, retried and depended on like any job', () => {
    const s = loadYaml('jobs:\n  - { id: nightly, kind: empty, description: Anchors the chain }\n  - { id: etl, kind: command, command: x, after: [nightly] }\nschedules: [{ id: s, job: nightly, cron: "0 2 * * *" }]\n');
    const [nightly, etl] = s.jobs;
    assert.equal(nightly?.kind, 'empty');
    assert.equal(nightly?.description, 'Anchors the chain');
    assert.ok(nightly && !('command' in nightly) && !('steps' in nightly), 'an empty job carries no work');
    assert.deepEqual(etl?.after, ['nightly']);
    assert.equal(s.schedules[0]?.jobId, 'nightly');
  });

  it('reads where artifacts live; the environment wins', () => {
    assert.equal(loadYaml('databaseUrl: postgres://db/ns\nartifacts: file\n').artifacts, 'file');
    assert.equal(loadYaml('databaseUrl: postgres://db/ns\n').artifacts, 'postgres');
    assert.equal(loadYaml('artifacts: file\n', { DATABASE_URL: 'postgres://db/ns', NIGHTSHIFT_ARTIFACTS: 'postgres' }).artifacts, 'postgres');
  });

  it('reads the recovery bound (maxRecoveries)', () => {
    assert.equal(loadYaml('maxRecoveries: 4\n').maxRecoveries, 4);
    assert.equal(loadYaml('# nothing yet\n').maxRecoveries, 10);
  });

  it('accepts an empty file', () => {
    assert.equal(loadYaml('# nothing yet\n').jobs.length, 0);
  });
});
