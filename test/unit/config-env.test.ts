import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { NsError } from '../../src/errors.ts';

const cwd = path.join(os.tmpdir(), 'nightshift-config-env');
const load = (env: Record<string, string>) => loadSettings({ env, cwd });

/** [variable, value, the exact message]. */
const INVALID: ReadonlyArray<readonly [string, string, string]> = [
  ['ML_TRAINING_SCHEDULE', '0 25 * * *', 'ML_TRAINING_SCHEDULE="0 25 * * *": hour 25 is out of range 0-23; example "0 2 * * *"'],
  ['ANALYSIS_SCHEDULE', '0 3 * *', 'ANALYSIS_SCHEDULE="0 3 * *": expected 5 fields (minute hour day-of-month month day-of-week) or 6 with seconds first, got 4; example "0 2 * * *"'],
  ['ML_TRAINING_ENABLED', 'maybe', 'ML_TRAINING_ENABLED="maybe": must be true or false (also 1/0, yes/no); example "true"'],
  ['NIGHTSHIFT_LAUNCHER', 'sometimes', 'NIGHTSHIFT_LAUNCHER="sometimes": must be true or false (also 1/0, yes/no); example "true"'],
  ['ML_TRAINING_MODE', 'fast', 'ML_TRAINING_MODE="fast": must be "incremental" or "full"; example "incremental"'],
  ['TRAINING_RETRY_ATTEMPTS', 'zero', 'TRAINING_RETRY_ATTEMPTS="zero": must be a whole number from 0 to 100; example "3"'],
  ['TRAINING_RETRY_ATTEMPTS', '-1', 'TRAINING_RETRY_ATTEMPTS="-1": must be a whole number from 0 to 100; example "3"'],
  ['TRAINING_RETRY_ATTEMPTS', '101', 'TRAINING_RETRY_ATTEMPTS="101": must be a whole number from 0 to 100; example "3"'],
  ['TRAINING_RETRY_ATTEMPTS', '2.5', 'TRAINING_RETRY_ATTEMPTS="2.5": must be a whole number from 0 to 100; example "3"'],
  ['TRAINING_TIMEOUT_HOURS', '0', 'TRAINING_TIMEOUT_HOURS="0": must be a positive number of hours; example "2"'],
  ['TRAINING_TIMEOUT_HOURS', '-1', 'TRAINING_TIMEOUT_HOURS="-1": must be a positive number of hours; example "2"'],
  ['TRAINING_TIMEOUT_HOURS', '2h', 'TRAINING_TIMEOUT_HOURS="2h": must be a positive number of hours; example "2"'],
  ['NIGHTSHIFT_TIMEZONE', 'Mars/Olympus', 'NIGHTSHIFT_TIMEZONE="Mars/Olympus": unknown IANA time zone; example "Europe/London"'],
  ['NIGHTSHIFT_CONCURRENCY', '0', 'NIGHTSHIFT_CONCURRENCY="0": must be a whole number from 1 to 1024; example "4"'],
  ['NIGHTSHIFT_CONCURRENCY', 'lots', 'NIGHTSHIFT_CONCURRENCY="lots": must be a whole number from 1 to 1024; example "4"'],
  ['NIGHTSHIFT_SHUTDOWN_GRACE', 'soon', 'NIGHTSHIFT_SHUTDOWN_GRACE="soon": cannot read "soon" (use a number followed by ms, s, m, h or d); example "6h"'],
  ['NIGHTSHIFT_KILL_GRACE', '0s', 'NIGHTSHIFT_KILL_GRACE="0s": must be a duration greater than zero; example "10s"'],
  ['NIGHTSHIFT_LEASE', '30 s', 'NIGHTSHIFT_LEASE="30 s": cannot read "30 s" (use a number followed by ms, s, m, h or d); example "6h"'],
  ['NIGHTSHIFT_HEARTBEAT', '30s', 'NIGHTSHIFT_HEARTBEAT="30s": must be shorter than the lease (30000 ms); example "10s"'],
  ['NIGHTSHIFT_MAX_RECOVERIES', '-1', 'NIGHTSHIFT_MAX_RECOVERIES="-1": must be a whole number from 0 to 1000000; example "10"'],
  ['NIGHTSHIFT_KEEP_VERSIONS', '0', 'NIGHTSHIFT_KEEP_VERSIONS="0": must be a whole number from 1 to 100000; example "10"'],
  ['NIGHTSHIFT_KEEP_CHAMPIONS', '-1', 'NIGHTSHIFT_KEEP_CHAMPIONS="-1": must be a whole number from 0 to 100000; example "5"'],
  ['NIGHTSHIFT_HISTORY_RETENTION_DAYS', '0', 'NIGHTSHIFT_HISTORY_RETENTION_DAYS="0": must be a whole number from 1 to 36500; example "365"'],
  ['NIGHTSHIFT_MAX_RECOVERIES', 'many', 'NIGHTSHIFT_MAX_RECOVERIES="many": must be a whole number from 0 to 1000000; example "10"'],
  ['NIGHTSHIFT_POLL', '-5', 'NIGHTSHIFT_POLL="-5": cannot read "-5" (use a number followed by ms, s, m, h or d); example "6h"'],
  ['NIGHTSHIFT_MISFIRE_GRACE', '1h1h', 'NIGHTSHIFT_MISFIRE_GRACE="1h1h": units must go from largest to smallest, each at most once (e.g. "1h30m"); example "6h"'],
  ['NIGHTSHIFT_MISFIRE_GRACE', '500ms', 'NIGHTSHIFT_MISFIRE_GRACE="500ms": must be at least 1s: a slot counts as on time only within its misfire grace, and the scheduler reaches a due slot a moment after it is due (to run no late slot, keep a grace and set catchUp: skip); example "1h"'],
  ['NIGHTSHIFT_PORT', '99999', 'NIGHTSHIFT_PORT="99999": must be a whole number from 0 to 65535; example "8080"'],
  ['NIGHTSHIFT_LOG_LEVEL', 'verbose', 'NIGHTSHIFT_LOG_LEVEL="verbose": must be one of "fatal", "error", "warn", "info", "debug", "trace", "silent"; example "info"'],
  ['NIGHTSHIFT_NODE_ID', 'node one', 'NIGHTSHIFT_NODE_ID="node one": must be 1-128 letters, digits, "_", ".", ":", "@" or "-"; example "worker-1"'],
  ['DATABASE_URL', 'mysql://app:hunter2@db/app', 'DATABASE_URL="mysql://app:***@db/app": must be a postgres:// or postgresql:// URL; example "postgres://nightshift:secret@db:5432/nightshift"'],
  ['NIGHTSHIFT_ARTIFACTS', 's3', 'NIGHTSHIFT_ARTIFACTS="s3": must be "file" or "postgres"; example "file"'],
  [
    'NIGHTSHIFT_ARTIFACTS',
    'postgres',
    'NIGHTSHIFT_ARTIFACTS="postgres": artifacts are stored in PostgreSQL only with a PostgreSQL store: set DATABASE_URL, or use file with SQLite; example "file"',
  ],
  ['NIGHTSHIFT_CONFIG', 'nightshift.toml', 'NIGHTSHIFT_CONFIG="nightshift.toml": must end in .json, .yaml or .yml; example "./nightshift.yaml"'],
  ['NIGHTSHIFT_CONFIG', 'missing.yaml', 'NIGHTSHIFT_CONFIG="missing.yaml": file not found; example "./nightshift.yaml"'],
];

describe('config: env variables', () => {
  for (const [name, value, message] of INVALID) {
    it(`rejects ${name}="${value}"`, () => {
      assert.throws(
        () => load({ [name]: value }),
        (error: unknown) => {
          assert.ok(error instanceof NsError);
          assert.equal(error.code, 'NS_CONFIG_INVALID');
          assert.equal(error.field, name);
          assert.equal(error.message, message);
          return true;
        },
      );
    });
  }

  it('uses the defaults when nothing is set', () => {
    const s = load({});
    assert.equal(s.dataDir, path.join(cwd, 'data'));
    assert.equal(s.databaseUrl, null);
    assert.equal(s.configPath, null);
    assert.equal(s.nodeId, `${os.hostname()}:${process.pid}`);
    assert.equal(s.logLevel, 'info');
    assert.equal(s.timezone, 'UTC');
    assert.equal(s.concurrency, os.availableParallelism());
    assert.deepEqual(
      [s.shutdownGraceMs, s.killGraceMs, s.leaseMs, s.heartbeatMs, s.pollMs, s.misfireGraceMs],
      [30_000, 10_000, 30_000, 10_000, 1_000, 3_600_000],
    );
    assert.equal(s.logTailBytes, 65_536);
    assert.equal(s.maxRecoveries, 10);
    assert.equal(s.historyRetentionDays, 365);
    assert.deepEqual([s.keepVersions, s.keepChampions], [10, 5]);
    assert.deepEqual(s.training, { schedule: '0 2 * * *', enabled: true, mode: 'incremental', retries: 3, timeoutMs: 7_200_000 });
    assert.deepEqual(s.analysis, { schedule: '0 3 * * *' });
    assert.deepEqual(s.http, { host: '127.0.0.1', port: 8080 });
    assert.deepEqual(s.tenants, [{ id: 'default', name: 'Default', timezone: 'UTC' }]);
    assert.deepEqual(s.jobs, []);
    assert.deepEqual(s.schedules, []);
  });

  it('reads every variable', () => {
    const s = load({
      NIGHTSHIFT_DATA_DIR: '/var/lib/nightshift',
      DATABASE_URL: 'postgresql://u:p@db:5432/ns',
      NIGHTSHIFT_NODE_ID: 'worker-7',
      NIGHTSHIFT_LOG_LEVEL: 'DEBUG',
      NIGHTSHIFT_TIMEZONE: 'Europe/Berlin',
      NIGHTSHIFT_CONCURRENCY: '6',
      NIGHTSHIFT_SHUTDOWN_GRACE: '45000',
      NIGHTSHIFT_KILL_GRACE: '5s',
      NIGHTSHIFT_LEASE: '1m',
      NIGHTSHIFT_HEARTBEAT: '20s',
      NIGHTSHIFT_MAX_RECOVERIES: '3',
      NIGHTSHIFT_HISTORY_RETENTION_DAYS: '30',
      NIGHTSHIFT_KEEP_VERSIONS: '4',
      NIGHTSHIFT_KEEP_CHAMPIONS: '0',
      NIGHTSHIFT_POLL: '250ms',
      NIGHTSHIFT_MISFIRE_GRACE: '2h',
      NIGHTSHIFT_HOST: '0.0.0.0',
      NIGHTSHIFT_PORT: '0',
      ML_TRAINING_SCHEDULE: '0 2 * * 0',
      ML_TRAINING_ENABLED: 'no',
      ML_TRAINING_MODE: 'full',
      TRAINING_RETRY_ATTEMPTS: '5',
      TRAINING_TIMEOUT_HOURS: '0.5',
      ANALYSIS_SCHEDULE: '@hourly',
    });
    assert.equal(s.dataDir, '/var/lib/nightshift');
    assert.equal(s.databaseUrl, 'postgresql://u:p@db:5432/ns');
    assert.equal(s.nodeId, 'worker-7');
    assert.equal(s.logLevel, 'debug');
    assert.equal(s.timezone, 'Europe/Berlin');
    assert.equal(s.concurrency, 6);
    assert.deepEqual(
      [s.shutdownGraceMs, s.killGraceMs, s.leaseMs, s.heartbeatMs, s.pollMs, s.misfireGraceMs],
      [45_000, 5_000, 60_000, 20_000, 250, 7_200_000],
    );
    assert.equal(s.maxRecoveries, 3);
    assert.deepEqual([s.historyRetentionDays, s.keepVersions, s.keepChampions], [30, 4, 0]);
    assert.deepEqual(s.http, { host: '0.0.0.0', port: 0 });
    assert.deepEqual(s.training, { schedule: '0 2 * * 0', enabled: false, mode: 'full', retries: 5, timeoutMs: 1_800_000 });
    assert.deepEqual(s.analysis, { schedule: '@hourly' });
    assert.deepEqual(s.tenants, [{ id: 'default', name: 'Default', timezone: 'Europe/Berlin' }]);
  });

  for (const [value, expected] of [['true', true], ['1', true], ['YES', true], ['false', false], ['0', false], ['no', false]] as const) {
    it(`reads ML_TRAINING_ENABLED="${value}" as ${expected}`, () => {
      assert.equal(load({ ML_TRAINING_ENABLED: value }).training.enabled, expected);
    });
  }

  it('NIGHTSHIFT_MAX_RECOVERIES=0 lets no run survive a lost worker', () => {
    assert.equal(load({ NIGHTSHIFT_MAX_RECOVERIES: '0' }).maxRecoveries, 0);
  });

  it('starts jobs through launchers unless NIGHTSHIFT_LAUNCHER says no', () => {
    assert.equal(load({}).launcher, true);
    assert.equal(load({ NIGHTSHIFT_LAUNCHER: 'false' }).launcher, false);
    assert.equal(load({ NIGHTSHIFT_LAUNCHER: 'off' }).launcher, false);
  });

  it('keeps artifacts as files beside SQLite and in PostgreSQL with DATABASE_URL, unless NIGHTSHIFT_ARTIFACTS says otherwise', () => {
    const url = 'postgres://db/ns';
    assert.equal(load({}).artifacts, 'file');
    assert.equal(load({ DATABASE_URL: url }).artifacts, 'postgres');
    assert.equal(load({ DATABASE_URL: url, NIGHTSHIFT_ARTIFACTS: 'file' }).artifacts, 'file');
    assert.equal(load({ DATABASE_URL: url, NIGHTSHIFT_ARTIFACTS: 'postgres' }).artifacts, 'postgres');
    assert.equal(load({ NIGHTSHIFT_ARTIFACTS: 'file' }).artifacts, 'file');
  });

  it('treats empty variables as unset', () => {
    const s = load({ ML_TRAINING_MODE: '', NIGHTSHIFT_PORT: '  ', NIGHTSHIFT_CONFIG: '' });
    assert.equal(s.training.mode, 'incremental');
    assert.equal(s.http.port, 8080);
    assert.equal(s.configPath, null);
  });

  it('names the lease when a shorter lease meets the default heartbeat', () => {
    assert.throws(() => load({ NIGHTSHIFT_LEASE: '10s' }), {
      message: 'NIGHTSHIFT_LEASE="10s": must be longer than the heartbeat (10000 ms); example "30s"',
    });
  });
});
