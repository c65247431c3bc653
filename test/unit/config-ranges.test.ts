/**
 * Every duration of the config file and the environment has a stated range, and `config check`
 * refuses a value outside it as the service would (NS_CONFIG_INVALID naming the path and the range).
 * The README states the same ranges.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { checkConfig, loadSettings } from '../../src/config/index.ts';
import { isNsError } from '../../src/errors.ts';
import { tempDir } from '../helpers/settings.ts';

const JOBS = 'jobs: [{ id: quick, kind: command, command: node }]\n';

function configError(yaml: string, env: Record<string, string> = {}): { field: string | undefined; message: string } {
  const dir = tempDir('ns-ranges-');
  writeFileSync(join(dir, 'nightshift.yaml'), yaml);
  try {
    checkConfig({ env, cwd: dir, configPath: 'nightshift.yaml' });
  } catch (error) {
    assert.ok(isNsError(error), String(error));
    assert.equal(error.code, 'NS_CONFIG_INVALID', error.message);
    return { field: error.field, message: error.message };
  }
  assert.fail(`config check accepted:\n${yaml}${JSON.stringify(env)}`);
}

describe('config file: out-of-range durations are refused by `config check`', () => {
  const cases: Array<[string, string, string, RegExp]> = [
    ['a schedule every 99999999 days (the issue)', `${JOBS}schedules: [{ id: s, job: quick, every: 99999999d }]\n`, 'schedules[0].every', /every="99999999d": must be from 1s to 366d/],
    ['a schedule every 2^53 ms', `${JOBS}schedules: [{ id: s, job: quick, every: 9007199254740993 }]\n`, 'schedules[0].every', /every/],
    ['a jitter of 2 days', `${JOBS}schedules: [{ id: s, job: quick, every: 30d, jitter: 2d }]\n`, 'schedules[0].jitter', /jitter="2d": must be from 0s to 1d/],
    ['a misfire grace of 400 days', `${JOBS}schedules: [{ id: s, job: quick, cron: "0 1 * * *", misfireGrace: 400d }]\n`, 'schedules[0].misfireGrace', /from 1s to 31d/],
    ['a job timeout of 30 days', 'jobs: [{ id: quick, kind: command, command: node, timeout: 30d }]\n', 'jobs[0].timeout', /timeout="30d": must be from 1s to 7d/],
    ['a backoff step of 2 days', 'jobs: [{ id: quick, kind: command, command: node, retry: { backoff: [5m, 2d] } }]\n', 'jobs[0].retry.backoff[1]', /from 0s to 1d/],
    ['a default backoff step of 2 days', `retry: { backoff: [2d] }\n${JOBS}`, 'retry.backoff[0]', /from 0s to 1d/],
    ['101 backoff steps', `retry: { backoff: [${Array(101).fill('1m').join(', ')}] }\n${JOBS}`, 'retry.backoff', /at most 100/],
    ['training.timeout of 8 days', `training: { timeout: 8d }\n${JOBS}`, 'training.timeout', /from 1s to 7d/],
    ['a lease of 2 hours', `lease: 2h\n${JOBS}`, 'lease', /lease="2h": must be from 1s to 1h/],
    ['a poll of 5 minutes', `poll: 5m\n${JOBS}`, 'poll', /from 1ms to 30s/],
    ['a kill grace of 1 hour', `killGrace: 1h\n${JOBS}`, 'killGrace', /from 1ms to 10m/],
    ['a shutdown grace of 2 hours', `shutdownGrace: 2h\n${JOBS}`, 'shutdownGrace', /from 1ms to 1h/],
    ['a misfire grace of 400 days', `misfireGrace: 400d\n${JOBS}`, 'misfireGrace', /from 1s to 31d/],
    ['history kept for 99999999 days', `historyRetentionDays: 99999999\n${JOBS}`, 'historyRetentionDays', /from 1 to 36500/],
  ];
  for (const [what, yaml, field, message] of cases) {
    test(what, () => {
      const e = configError(yaml);
      assert.equal(e.field, field, e.message);
      assert.match(e.message, message);
    });
  }

  test('a model timeout of 30 days', () => {
    const yaml = 'datasets: [{ id: readings, schema: predictive-maintenance }]\nmodels: [{ name: failure, task: binary, dataset: readings, features: { continuous: [temperature] }, timeout: 30d }]\n';
    const e = configError(yaml);
    assert.equal(e.field, 'models[0].timeout', e.message);
    assert.match(e.message, /from 1s to 7d/);
  });

  test('the edges are accepted', () => {
    const dir = tempDir('ns-ranges-');
    writeFileSync(
      join(dir, 'nightshift.yaml'),
      'lease: 1h\nheartbeat: 30m\npoll: 30s\nkillGrace: 10m\nshutdownGrace: 1h\nmisfireGrace: 31d\nhistoryRetentionDays: 36500\n' +
        'jobs: [{ id: quick, kind: command, command: node, timeout: 7d, retry: { backoff: [0s, 1d] } }]\n' +
        'schedules: [{ id: s, job: quick, every: 366d, jitter: 1d, misfireGrace: 1s }, { id: t, job: quick, every: 1s }]\n',
    );
    const s = loadSettings({ env: {}, cwd: dir, configPath: 'nightshift.yaml' });
    assert.equal(s.schedules[0]!.everyMs, 366 * 86_400_000);
    assert.equal(s.jobs[0]!.timeoutMs, 7 * 86_400_000);
  });
});

describe('environment: out-of-range durations are refused', () => {
  const cases: Array<[Record<string, string>, string, RegExp]> = [
    [{ NIGHTSHIFT_LEASE: '2h' }, 'NIGHTSHIFT_LEASE', /NIGHTSHIFT_LEASE="2h": must be from 1s to 1h/],
    [{ NIGHTSHIFT_LEASE: '500ms' }, 'NIGHTSHIFT_LEASE', /from 1s to 1h/],
    [{ NIGHTSHIFT_POLL: '5m' }, 'NIGHTSHIFT_POLL', /from 1ms to 30s/],
    [{ NIGHTSHIFT_MISFIRE_GRACE: '400d' }, 'NIGHTSHIFT_MISFIRE_GRACE', /from 1s to 31d/],
    [{ NIGHTSHIFT_SHUTDOWN_GRACE: '99999999d' }, 'NIGHTSHIFT_SHUTDOWN_GRACE', /from 1ms to 1h/],
    [{ NIGHTSHIFT_KILL_GRACE: '1h' }, 'NIGHTSHIFT_KILL_GRACE', /from 1ms to 10m/],
    [{ TRAINING_TIMEOUT_HOURS: '1000' }, 'TRAINING_TIMEOUT_HOURS', /TRAINING_TIMEOUT_HOURS="1000": must be a number of hours up to 168/],
  ];
  for (const [env, field, message] of cases) {
    test(`${Object.entries(env)[0]!.join('=')}`, () => {
      assert.throws(
        () => loadSettings({ env, cwd: tempDir('ns-ranges-') }),
        (error: unknown) => isNsError(error) && error.code === 'NS_CONFIG_INVALID' && error.field === field && message.test(error.message),
      );
    });
  }
});

test('the README states the ranges the code checks', async () => {
  const { DURATION_RANGES, rangeText, MAX_TRIGGER_AHEAD_MS, durationLabel } = await import('../../src/limits.ts');
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  const section = readme.slice(readme.indexOf('### Ranges'));
  assert.ok(readme.includes('### Ranges'), 'the README has a Ranges section');
  for (const [name, range] of Object.entries(DURATION_RANGES)) {
    const row = section.split('\n').find((line) => line.startsWith('|') && line.includes(`\`${name}\``));
    assert.ok(row, `the Ranges table has a row for ${name}`);
    assert.ok(row.includes(rangeText(range)), `${name}: ${rangeText(range)} in "${row}"`);
  }
  assert.ok(section.includes(durationLabel(MAX_TRIGGER_AHEAD_MS)), 'the trigger horizon');
});
