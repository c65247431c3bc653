/** Each invalid-config case produces its message; the store is untouched. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { ENV } from '../../src/config/index.ts';
import { BIN, ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';
import { inSlot } from '../helpers/cli-slots.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cli');
const INVALID_DIR = join(FIXTURES, 'invalid');
const VALID = join(FIXTURES, 'loop.yaml');

/** process.env without any variable nightshift reads. */
const BASE_ENV: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !(Object.values(ENV) as string[]).includes(e[0])),
);

interface Case {
  name: string;
  /** Variables added to a valid setup (config file loop.yaml). */
  env?: Record<string, string>;
  /** A file in test/fixtures/cli/invalid, passed as `--config <file>` with that folder as cwd. */
  file?: string;
  /** The exact message, as in test/unit/config-*.test.ts (file cases named as given on the command line). */
  message: string;
}

const CASES: readonly Case[] = [
  { name: 'cron hour out of range', env: { ML_TRAINING_SCHEDULE: '0 25 * * *' }, message: 'ML_TRAINING_SCHEDULE="0 25 * * *": hour 25 is out of range 0-23; example "0 2 * * *"' },
  { name: 'unknown training mode', env: { ML_TRAINING_MODE: 'fast' }, message: 'ML_TRAINING_MODE="fast": must be "incremental" or "full"; example "incremental"' },
  { name: 'retry attempts not a number', env: { TRAINING_RETRY_ATTEMPTS: 'zero' }, message: 'TRAINING_RETRY_ATTEMPTS="zero": must be a whole number from 0 to 100; example "3"' },
  { name: 'negative timeout', env: { TRAINING_TIMEOUT_HOURS: '-1' }, message: 'TRAINING_TIMEOUT_HOURS="-1": must be a positive number of hours; example "2"' },
  { name: 'unknown time zone', env: { NIGHTSHIFT_TIMEZONE: 'Mars/Olympus' }, message: 'NIGHTSHIFT_TIMEZONE="Mars/Olympus": unknown IANA time zone; example "Europe/London"' },
  { name: 'zero concurrency', env: { NIGHTSHIFT_CONCURRENCY: '0' }, message: 'NIGHTSHIFT_CONCURRENCY="0": must be a whole number from 1 to 1024; example "4"' },
  { name: 'unknown field, with a suggestion', file: 'unknown-field.yaml', message: 'unknown-field.yaml: jobs[1].comand: unknown field; did you mean "command"?' },
  { name: 'bad cron in a schedule', file: 'bad-cron.yaml', message: 'bad-cron.yaml: schedules[0].cron="0 25 * * *": hour 25 is out of range 0-23; example "0 2 * * *"' },
  { name: 'schedule naming an unknown job', file: 'unknown-job.yaml', message: 'unknown-job.yaml: schedules[0].job="trian": unknown job; did you mean "train"?' },
  { name: 'dependency cycle', file: 'cycle.yaml', message: 'cycle.yaml: jobs[0].after: dependency cycle "a" → "c" → "b" → "a"' },
  { name: 'YAML syntax error', file: 'yaml-syntax.yaml', message: 'yaml-syntax.yaml:5:1: invalid YAML (Sequence item without - indicator)' },
];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}


function nightshift(c: Case, dataDir: string, args: string[]): Promise<Outcome> {
  return inSlot(() => spawnCli(c, dataDir, args));
}

async function spawnCli(c: Case, dataDir: string, args: string[]): Promise<Outcome> {
  const env = { ...BASE_ENV, NIGHTSHIFT_DATA_DIR: dataDir, NIGHTSHIFT_PORT: '0', ...(c.file ? {} : { NIGHTSHIFT_CONFIG: VALID }), ...c.env };
  const argv = c.file ? ['--config', c.file, ...args] : args;
  const proc = spawn(process.execPath, [BIN, ...argv], { env, cwd: INVALID_DIR, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // A `serve` that wrongly starts would run forever: bound it so the test fails instead of hanging.
  const guard = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const [code] = (await once(proc, 'close')) as [number | null];
  clearTimeout(guard);
  return { code, stdout, stderr };
}

function assertRefused(label: string, r: Outcome, message: string) {
  assert.equal(r.code, 2, `${label}: exit code; stderr:\n${r.stderr}`);
  // Exactly one line: the message, so no stack trace and no log noise.
  assert.equal(r.stderr, `error NS_CONFIG_INVALID: ${message}\n`, `${label}: exactly the message, no stack trace`);
  assert.equal(r.stdout, '', `${label}: nothing on stdout`);
}

/** Every file in the data dir (nightshift.db and its -wal/-shm), with content hash, size and mtime. */
function snapshot(dataDir: string): Record<string, { sha256: string; size: number; mtimeMs: number }> {
  return Object.fromEntries(
    readdirSync(dataDir)
      .sort()
      .map((name) => {
        const path = join(dataDir, name);
        const { size, mtimeMs } = statSync(path);
        return [name, { sha256: createHash('sha256').update(readFileSync(path)).digest('hex'), size, mtimeMs }];
      }),
  );
}

describe('each invalid-config case produces its message; the store is untouched', { concurrency: true }, () => {
  /** A store with a queued run, left by a server that was killed: nightshift.db plus -wal and -shm. */
  const template = join(tempDir('ns-invalid-'), 'data');
  before(async () => {
    const env = { ...BASE_ENV, NIGHTSHIFT_CONFIG: VALID, NIGHTSHIFT_DATA_DIR: template, NIGHTSHIFT_PORT: '0', NIGHTSHIFT_LOG_LEVEL: 'info' };
    // Queued for later (within the 366 days a trigger may look ahead), so the killed server never starts it.
    const later = new Date(Date.now() + 300 * 86_400_000).toISOString();
    const trigger = await nightshift({ name: 'valid', message: '', env: { NIGHTSHIFT_CONFIG: VALID } }, template, ['trigger', 'slow', '--at', later]);
    assert.equal(trigger.code, 0, trigger.stderr);
    const serve = new ServeProcess(env);
    await serve.waitForLog((l) => l.msg === 'nightshift engine started');
    serve.proc.kill('SIGKILL');
    await serve.exited;
    const files = readdirSync(template);
    assert.ok(files.includes('nightshift.db'), `store files: ${files.join(', ')}`);
  });

  for (const c of CASES) {
    test(`${c.name}: serve and config check exit 2 with the message; the store is byte-identical`, { timeout: 180_000 }, async () => {
      const dataDir = join(tempDir('ns-invalid-case-'), 'data');
      cpSync(template, dataDir, { recursive: true });
      const initial = snapshot(dataDir);
      const [serve, check] = await Promise.all([nightshift(c, dataDir, ['serve']), nightshift(c, dataDir, ['config', 'check'])]);
      for (const [label, r] of [['serve', serve], ['config check', check]] as const) {
        assertRefused(label, r, c.message);
      }
      assert.deepEqual(snapshot(dataDir), initial, 'the existing store is untouched (same files, bytes and mtimes)');
    });
  }

  // One env case and one file case: neither serve nor a store command (trigger) creates anything.
  for (const c of [CASES[4]!, CASES[9]!]) {
    test(`${c.name}, fresh data dir: serve and trigger create no database file (not even the dir)`, { timeout: 180_000 }, async () => {
      const parent = tempDir('ns-invalid-fresh-');
      const fresh = join(parent, 'data');
      const [serve, trigger] = await Promise.all([nightshift(c, fresh, ['serve']), nightshift(c, fresh, ['trigger', 'slow'])]);
      assertRefused('serve', serve, c.message);
      assertRefused('trigger', trigger, c.message);
      assert.deepEqual(readdirSync(parent), [], 'no data dir, no nightshift.db');
    });
  }

  test('the template store really has data (the cases above compared something)', async () => {
    const files = readdirSync(template);
    assert.ok(statSync(join(template, 'nightshift.db')).size > 0);
    assert.ok(files.includes('nightshift.db-wal'), `a killed server leaves its WAL: ${files.join(', ')}`);
  });
});
