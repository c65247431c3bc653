/** Every CLI command against real `nightshift` processes (the build, dist/main.js) and real SQLite files. */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { before, describe, test } from 'node:test';
import { ENV } from '../../src/config/index.ts';
import { BIN, ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';
import { inSlot } from '../helpers/cli-slots.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'cli');
// Generous: the subtests run at once and share the machine with the rest of the suite (each spawns several CLI processes).
const TIMEOUT_MS = 300_000;

interface Outcome {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** process.env without any variable nightshift reads, so the caller's shell cannot leak into a test. */
const BASE_ENV: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !(Object.values(ENV) as string[]).includes(e[0])),
);

/** One nightshift process with its own config and data dir; fast polling so `serve` notices runs quickly. */
function workspace(config: 'nightshift.yaml' | 'loop.yaml') {
  const env: Record<string, string> = {
    ...BASE_ENV,
    NIGHTSHIFT_CONFIG: join(FIXTURES, config),
    NIGHTSHIFT_DATA_DIR: join(tempDir('ns-cli-'), 'data'),
    NIGHTSHIFT_LOG_LEVEL: 'info',
    NIGHTSHIFT_PORT: '0',
    NIGHTSHIFT_POLL: '200ms',
    NIGHTSHIFT_LEASE: '2s',
    NIGHTSHIFT_HEARTBEAT: '200ms',
    NIGHTSHIFT_SHUTDOWN_GRACE: '2s',
    NIGHTSHIFT_KILL_GRACE: '2s',
  };
  const cli = (...args: string[]) => nightshift(env, args);
  const json = async <T>(...args: string[]): Promise<T> => {
    const r = await cli(...args, '--json');
    assert.equal(r.code, 0, `nightshift ${args.join(' ')} --json: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const trigger = async (...args: string[]) => (await json<RunJson>('trigger', ...args)).id;
  return { env, cli, json, trigger, serve: () => new ServeProcess(env) };
}


/** Runs the real CLI to completion (killed after a bound, so a hang fails the test instead of stalling it). */
function nightshift(env: Record<string, string>, args: string[]): Promise<Outcome> {
  return inSlot(() => spawnCli(env, args));
}

async function spawnCli(env: Record<string, string>, args: string[]): Promise<Outcome> {
  const proc = spawn(process.execPath, [BIN, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const guard = setTimeout(() => proc.kill('SIGKILL'), 30_000);
  const [code, signal] = (await once(proc, 'close')) as [number | null, NodeJS.Signals | null];
  clearTimeout(guard);
  return { code, signal, stdout, stderr };
}

interface RunJson {
  id: string;
  tenant_id: string;
  job_id: string;
  status: string;
  trigger: string;
  run_at: number;
  queued_at: number;
  started_at: number | null;
  finished_at: number | null;
  duration_ms: number | null;
  metrics: string | null;
  log_tail: string | null;
  eta: number | null;
  updated_at: number;
}

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace('.000Z', 'Z');
const assertNoStack = (stderr: string) => assert.doesNotMatch(stderr, /^\s+at .+:\d+:\d+\)?$/m, `no stack trace expected:\n${stderr}`);

/**
 * The first minute after `afterMs` whose wall clock in `zone` reads hour:minute on one of `weekdays`
 * (0 = Sunday), found by walking minute by minute through Intl — independent of the cron code.
 */
function nextWallMinute(zone: string, hour: number, minute: number, weekdays: readonly number[], afterMs: number): number {
  const fmt = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', weekday: 'short', hour: 'numeric', minute: 'numeric' });
  const days = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
  for (let t = Math.floor(afterMs / 60_000) * 60_000 + 60_000; t < afterMs + 9 * 86_400_000; t += 60_000) {
    const parts = Object.fromEntries(fmt.formatToParts(t).map((p) => [p.type, p.value]));
    if (Number(parts.hour) === hour && Number(parts.minute) === minute && weekdays.includes(days.indexOf(parts.weekday ?? ''))) return t;
  }
  throw new Error(`no ${hour}:${minute} in ${zone} within 9 days`);
}

/** A long-lived `runs --follow --json`: NDJSON lines as they arrive. */
class Follower {
  readonly proc: ChildProcess;
  readonly lines: string[] = [];
  readonly exited: Promise<unknown>;
  #wake: Array<() => void> = [];

  constructor(env: Record<string, string>, args: string[]) {
    this.proc = spawn(process.execPath, [BIN, 'runs', '--follow', '--json', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.exited = once(this.proc, 'exit');
    const wakeAll = () => this.#wake.splice(0).forEach((w) => w());
    createInterface({ input: this.proc.stdout! }).on('line', (text) => {
      this.lines.push(text);
      wakeAll();
    });
    void this.exited.then(wakeAll);
  }

  /** The first line (each must be one JSON object) that matches, waiting up to timeoutMs for it. */
  async waitFor(match: (r: RunJson) => boolean, timeoutMs = 30_000): Promise<RunJson> {
    const deadline = Date.now() + timeoutMs;
    for (let seen = 0; ; ) {
      for (; seen < this.lines.length; seen += 1) {
        const run = JSON.parse(this.lines[seen]!) as RunJson;
        if (match(run)) return run;
      }
      if (this.proc.exitCode !== null || this.proc.signalCode !== null) throw new Error(`runs --follow exited; lines:\n${this.lines.join('\n')}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for a --follow line; lines:\n${this.lines.join('\n')}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async stop() {
    this.proc.kill('SIGTERM');
    await this.exited;
  }
}

describe('nightshift CLI', { concurrency: true }, () => {
  const HELP: ReadonlyArray<readonly [string[], string, readonly string[]]> = [
    [[], 'Usage: nightshift [options] [command]', ['-c, --config <file>', '\n  serve ', '\n  config ', '\n  jobs [options] ', '\n  trigger [options] <job> ', '\n  runs [options] ', '\n  run [options] <id> ', '\n  cancel [options] <id> ']],
    [['serve'], 'Usage: nightshift serve', ['SIGTERM', '-h, --help']],
    [['config', 'check'], 'Usage: nightshift config check', ['validate env and config file', '-h, --help']],
    [['jobs'], 'Usage: nightshift jobs', ['--tenant <id>', '--json']],
    [['trigger'], 'Usage: nightshift trigger [options] <job>', ['--tenant <id>', '--at <time>', '--queue', '--json']],
    [['runs'], 'Usage: nightshift runs', ['--job <id>', '--tenant <id>', '--status <list>', 'queued,running,succeeded,failed,cancelled,timed_out,skipped', '--limit <n>', '--follow', '--json']],
    [['run'], 'Usage: nightshift run [options] <id>', ['--tenant <id>', '--json']],
    [['cancel'], 'Usage: nightshift cancel [options] <id>', ['--tenant <id>', '-h, --help']],
  ];

  test('--help at top level and for every command exits 0 and names its options', { timeout: TIMEOUT_MS }, async () => {
    // No config and no data dir: help must not need either, nor create a store.
    const dataDir = join(tempDir('ns-cli-help-'), 'data');
    const env = { ...BASE_ENV, NIGHTSHIFT_DATA_DIR: dataDir };
    const results = await Promise.all(HELP.map(([cmd]) => nightshift(env, [...cmd, '--help'])));
    HELP.forEach(([cmd, usage, names], i) => {
      const r = results[i]!;
      const label = `nightshift ${cmd.join(' ')} --help`;
      assert.equal(r.code, 0, `${label}: ${r.stderr}`);
      assert.equal(r.stderr, '', label);
      assert.ok(r.stdout.startsWith(usage), `${label} starts with "${usage}":\n${r.stdout}`);
      for (const name of names) assert.ok(r.stdout.includes(name), `${label} names "${name}":\n${r.stdout}`);
    });
    assert.equal(existsSync(dataDir), false, 'help creates no data dir');
  });

  test('config check: a valid YAML file exits 0 and summarises tenants, jobs and schedules', { timeout: TIMEOUT_MS }, async () => {
    const ws = workspace('nightshift.yaml');
    const r = await ws.cli('config', 'check');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const out = r.stdout;
    assert.match(out, /\btenants \(2\)/);
    assert.match(out, /\bjobs \(3\)/);
    assert.match(out, /\bschedules \(2\)/);
    // Schedules in words, with their zone.
    assert.ok(out.includes('at 05:30 every day (America/New_York)'), out);
    assert.ok(out.includes('at 09:15 on Monday through Friday'), out);
    assert.equal(existsSync(ws.env.NIGHTSHIFT_DATA_DIR!), false, 'config check starts nothing and creates no store');
    // Every tenant and job by id — including the tenant ("beta") and the job ("audit") no schedule mentions.
    for (const id of ['acme', 'beta', 'hello', 'report', 'audit', 'acme-hello-morning', 'report-weekdays']) {
      assert.match(out, new RegExp(`(^|[^\\w-])${id}([^\\w-]|$)`, 'm'), `config check names "${id}":\n${out}`);
    }
  });

  test('jobs: each job with its schedule and next run time (cron in a named zone); --json parses', { timeout: TIMEOUT_MS }, async () => {
    const ws = workspace('nightshift.yaml');
    // `jobs` reads the store (it never writes the config's declarations): a command that declares creates it.
    await ws.trigger('audit', '--tenant', 'beta', '--at', new Date(Date.now() + 300 * 86_400_000).toISOString());
    const before = Date.now();
    const [table, rows] = await Promise.all([ws.cli('jobs'), ws.json<Array<Record<string, string>>>('jobs')]);
    const after = Date.now();
    const expectNext = (zone: string, h: number, m: number, days: readonly number[]) =>
      new Set([nextWallMinute(zone, h, m, days, before), nextWallMinute(zone, h, m, days, after)].map(isoSeconds));

    const morning = rows.find((r) => r.schedule === 'acme-hello-morning');
    assert.ok(morning, JSON.stringify(rows));
    assert.deepEqual({ ...morning, next: undefined }, { job: 'hello', kind: 'command', tenant: 'acme', schedule: 'acme-hello-morning', when: 'at 05:30 every day (America/New_York)', enabled: 'yes', next: undefined });
    const nyNext = expectNext('America/New_York', 5, 30, [0, 1, 2, 3, 4, 5, 6]);
    assert.ok(nyNext.has(morning.next!), `next 05:30 in New York: got ${morning.next}, expected one of ${[...nyNext].join(', ')}`);

    const weekdays = rows.find((r) => r.schedule === 'report-weekdays');
    assert.ok(weekdays, JSON.stringify(rows));
    assert.equal(weekdays.job, 'report');
    assert.match(weekdays.when!, /^at 09:15 on Monday through Friday \(/);
    const kolkataNext = expectNext('Asia/Kolkata', 9, 15, [1, 2, 3, 4, 5]);
    assert.ok(kolkataNext.has(weekdays.next!), `next weekday 09:15 in Kolkata: got ${weekdays.next}, expected one of ${[...kolkataNext].join(', ')}`);

    const audit = rows.find((r) => r.job === 'audit');
    assert.deepEqual(audit, { job: 'audit', kind: 'command', tenant: '-', schedule: '-', when: 'manual or after dependencies', enabled: '-', next: '-' });
    assert.equal(rows.length, 3);

    assert.equal(table.code, 0, table.stderr);
    const lines = table.stdout.trimEnd().split('\n');
    assert.match(lines[0]!, /^JOB\s+KIND\s+TENANT\s+SCHEDULE\s+WHEN\s+ENABLED\s+NEXT$/);
    assert.equal(lines.length, 4, table.stdout);
    assert.ok(lines.some((l) => l.startsWith('hello') && l.includes('acme-hello-morning') && l.includes(morning.next!)), table.stdout);
    assert.ok(lines.some((l) => l.startsWith('report') && l.includes(weekdays.next!)), table.stdout);
  });

  test('trigger: run id; conflict names the run (exit 4); --queue; unknown job/tenant exit 3; bad --at', { timeout: TIMEOUT_MS }, async () => {
    const ws = workspace('nightshift.yaml');
    const t0 = Date.now();
    const first = await ws.json<RunJson>('trigger', 'hello', '--tenant', 'acme');
    assert.match(first.id, /^run_\w+$/);
    assert.deepEqual([first.job_id, first.tenant_id, first.status, first.trigger, first.eta], ['hello', 'acme', 'queued', 'manual', null]);
    assert.ok(first.run_at >= t0 && first.run_at <= Date.now(), 'due now');

    // Whole seconds, as the CLI prints run_at back; within the 366 days a trigger may look ahead.
    const future = new Date(Math.floor((t0 + 30 * 86_400_000) / 1000) * 1000).toISOString();
    const tooFar = new Date(t0 + 400 * 86_400_000).toISOString();
    const [again, queued, unknownJob, unknownTenant, badAt, noTenant, atFuture, atTooFar] = await Promise.all([
      ws.cli('trigger', 'hello', '--tenant', 'acme', '--json'),
      ws.cli('trigger', 'hello', '--tenant', 'acme', '--queue', '--json'),
      ws.cli('trigger', 'nope', '--tenant', 'acme'),
      ws.cli('trigger', 'hello', '--tenant', 'zzz'),
      ws.cli('trigger', 'report', '--tenant', 'acme', '--at', 'tomorrow-ish'),
      ws.cli('trigger', 'report'),
      ws.cli('trigger', 'report', '--tenant', 'beta', '--at', future),
      ws.cli('trigger', 'report', '--tenant', 'acme', '--at', tooFar),
    ]);

    assert.equal(again.code, 4, `conflict: ${again.stderr}`);
    assert.equal(again.stdout, '');
    assert.ok(again.stderr.includes(`already has run ${first.id} queued`), `names the run in flight: ${again.stderr}`);
    assert.match(again.stderr, /^error NS_CONFLICT: /);
    assertNoStack(again.stderr);
    // --queue only queues behind a *running* run; a second queued run for the same job is refused too.
    assert.equal(queued.code, 4, `queue behind a queued run: ${queued.stderr}`);
    assert.ok(queued.stderr.includes(first.id), queued.stderr);

    assert.equal(unknownJob.code, 3, unknownJob.stderr);
    assert.equal(unknownJob.stderr, 'error NS_NOT_FOUND: job "nope" does not exist\n');
    assert.equal(unknownTenant.code, 3, unknownTenant.stderr);
    assert.equal(unknownTenant.stderr, 'error NS_NOT_FOUND: tenant "zzz" does not exist\n');

    assert.notEqual(badAt.code, 0);
    assert.ok(badAt.stderr.includes(`option '--at <time>' argument 'tomorrow-ish' is invalid. "tomorrow-ish" is not a date-time; example "2026-01-31T02:00:00Z"`), badAt.stderr);
    assertNoStack(badAt.stderr);

    assert.equal(atTooFar.code, 5, `--at more than 366 days ahead: ${atTooFar.stderr}`);
    assert.match(atTooFar.stderr, /^error NS_VALIDATION: at=".*": must be at most 366d from now/);
    assertNoStack(atTooFar.stderr);

    assert.equal(noTenant.code, 5, `several tenants and no --tenant: ${noTenant.stderr}`);
    assert.match(noTenant.stderr, /name the tenant with --tenant \(declared: acme, beta\)/);

    assert.equal(atFuture.code, 0, atFuture.stderr);
    const [, futureId] = /^queued run (run_\w+) \(report for beta\); eta -\n$/.exec(atFuture.stdout) ?? [];
    assert.ok(futureId, atFuture.stdout);

    // Exactly the two accepted triggers made runs; every refusal left the store alone.
    const runs = await ws.json<RunJson[]>('runs');
    assert.deepEqual(runs.map((r) => [r.id, r.job_id, r.tenant_id, r.run_at]).sort(), [
      [first.id, 'hello', 'acme', first.run_at],
      [futureId, 'report', 'beta', Date.parse(future)],
    ].sort());
  });

  describe('a store with runs a and b queued and c cancelled', { concurrency: true }, () => {
    const ws = workspace('nightshift.yaml');
    let a: RunJson;
    let b = '';
    let c = '';
    let cancelC: Outcome;
    before(async () => {
      // Sequential, so queued_at (newest first) orders them: a < b < c.
      a = await ws.json<RunJson>('trigger', 'hello', '--tenant', 'acme');
      b = await ws.trigger('report', '--tenant', 'beta');
      c = await ws.trigger('report', '--tenant', 'acme');
      cancelC = await ws.cli('cancel', c);
    });

    test('runs: table, --json, --status, --job, --limit; an unknown status names the allowed ones', { timeout: TIMEOUT_MS }, async () => {
      const [table, all, queuedNewest, hello, bad] = await Promise.all([
        ws.cli('runs'),
        ws.json<RunJson[]>('runs'),
        ws.json<RunJson[]>('runs', '--status', 'queued', '--limit', '1'),
        ws.json<RunJson[]>('runs', '--job', 'hello'),
        ws.cli('runs', '--status', 'nope'),
      ]);

      assert.deepEqual(all.map((r) => [r.id, r.status]), [[c, 'cancelled'], [b, 'queued'], [a.id, 'queued']], 'newest first');
      // Without --status this would be c; without --limit, [b, a].
      assert.deepEqual(queuedNewest.map((r) => r.id), [b]);
      assert.deepEqual(hello.map((r) => r.id), [a.id]);

      assert.equal(table.code, 0, table.stderr);
      const lines = table.stdout.trimEnd().split('\n');
      assert.match(lines[0]!, /^ID\s+TENANT\s+JOB\s+STATUS\s+TRIGGER\s+ATTEMPT\s+QUEUED\s+DURATION\s+NOTE$/);
      assert.equal(lines.length, 4, table.stdout);
      assert.match(lines[1]!, new RegExp(`^${c}\\s+acme\\s+report\\s+cancelled\\s+manual\\s+0/1\\s+\\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\s+-\\s+cancelled on request$`));
      assert.match(lines[2]!, new RegExp(`^${b}\\s+beta\\s+report\\s+queued\\s+manual\\s+0/1\\s`));
      assert.match(lines[3]!, new RegExp(`^${a.id}\\s+acme\\s+hello\\s+queued\\s+manual\\s+0/1\\s`));

      assert.notEqual(bad.code, 0);
      assert.equal(bad.stdout, '');
      assert.ok(bad.stderr.includes('unknown status "nope"; one of queued, running, succeeded, failed, cancelled, timed_out, skipped'), bad.stderr);
      assertNoStack(bad.stderr);
    });

    test("run <id> shows times, status and eta; an unknown id, or another tenant's, exits 3", { timeout: TIMEOUT_MS }, async () => {
      const [text, missing, otherTenant] = await Promise.all([ws.cli('run', a.id, '--tenant', 'acme'), ws.cli('run', 'run_doesnotexist', '--json'), ws.cli('run', a.id, '--tenant', 'beta')]);
      assert.equal(text.code, 0, text.stderr);
      const fields = Object.fromEntries(text.stdout.trimEnd().split('\n').map((l) => [l.slice(0, 9).trim(), l.slice(9)]));
      assert.deepEqual([fields.id, fields.status, fields.tenant, fields.job, fields.trigger], [a.id, 'queued', 'acme', 'hello', 'manual']);
      assert.equal(fields.queued, new Date(a.queued_at).toISOString().replace('.000Z', 'Z'));
      assert.equal(fields.started, '-');
      assert.equal(fields.finished, '-');
      assert.equal(fields.eta, '-', 'no history, no estimate');

      assert.equal(missing.code, 3, missing.stderr);
      assert.equal(missing.stdout, '');
      assert.equal(missing.stderr, 'error NS_NOT_FOUND: run "run_doesnotexist" does not exist\n');
      assert.equal(otherTenant.code, 3, otherTenant.stderr);
      assert.equal(otherTenant.stderr, `error NS_NOT_FOUND: run "${a.id}" does not exist\n`);
    });

    test("cancel: a queued run is cancelled; cancelling again exits 4; an unknown run, or another tenant's, exits 3", { timeout: TIMEOUT_MS }, async () => {
      assert.equal(cancelC.code, 0, cancelC.stderr);
      assert.equal(cancelC.stdout, `run ${c} cancelled\n`);
      const [again, unknown, otherTenant] = await Promise.all([ws.cli('cancel', c), ws.cli('cancel', 'run_nope'), ws.cli('cancel', b, '--tenant', 'acme')]);
      assert.equal(again.code, 4, again.stderr);
      assert.equal(again.stderr, `error NS_CONFLICT: run "${c}" already ended (cancelled); only queued or running runs can be cancelled\n`);
      assert.equal(unknown.code, 3, unknown.stderr);
      assert.equal(unknown.stderr, 'error NS_NOT_FOUND: run "run_nope" does not exist\n');
      assert.equal(otherTenant.code, 3, otherTenant.stderr);
      assert.equal(otherTenant.stderr, `error NS_NOT_FOUND: run "${b}" does not exist\n`);
      // (The runs test sees c as cancelled, and b still queued, in the store.)
    });
  });

  test('full loop: trigger, serve runs it, SIGTERM exits 0; run shows metrics and log tail; runs --follow streams NDJSON', { timeout: TIMEOUT_MS }, async () => {
    const ws = workspace('loop.yaml');
    const id = await ws.trigger('rows');
    const follow = new Follower(ws.env, ['--job', 'rows']);
    let serve: ServeProcess | undefined;
    let exit: Awaited<ServeProcess['exited']> | undefined;
    try {
      const queuedLine = await follow.waitFor(() => true);
      assert.deepEqual([queuedLine.id, queuedLine.status], [id, 'queued'], 'the first NDJSON line is the queued run');

      serve = ws.serve();
      const done = await serve.waitForLog((l) => l.msg === 'run succeeded' && l.runId === id);
      assert.deepEqual(done.metrics, { rows: 5 });
      const streamed = await follow.waitFor((r) => r.id === id && r.status === 'succeeded');
      assert.equal(streamed.duration_ms !== null, true);
    } finally {
      await follow.stop();
      exit = await serve?.stop('SIGTERM');
    }
    assert.deepEqual(exit, { code: 0, signal: null }, 'graceful shutdown exits 0');

    const run = await ws.json<RunJson>('run', id);
    assert.equal(run.status, 'succeeded');
    assert.deepEqual(JSON.parse(run.metrics ?? 'null'), { rows: 5 });
    assert.match(run.log_tail ?? '', /loading rows\n(.*\n)*done/);
    assert.ok(run.started_at !== null && run.finished_at !== null && run.finished_at >= run.started_at);
    assert.equal(run.eta, null, 'a finished run has no estimate');

    const text = await ws.cli('run', id);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /^status\s+succeeded$/m);
    assert.match(text.stdout, new RegExp(`^started\\s+${isoSeconds(run.started_at!).replace(/[.]/g, '\\.')}$`, 'm'));
    assert.match(text.stdout, /^finished\s+\d{4}-\d\d-\d\dT[\d:.]+Z$/m);
    assert.match(text.stdout, /^exit\s+0$/m);
    assert.match(text.stdout, /\n--- metrics ---\nMETRIC\s+VALUE\nrows\s+5\n/);
    assert.match(text.stdout, /--- log tail ---\nloading rows\ndone/, 'the ::metric line is in the table, not repeated in the tail');
  });

  test('--queue behind a running run: refused without it (exit 4), queued with it, started only after the first ends', { timeout: TIMEOUT_MS }, async () => {
    const ws = workspace('loop.yaml');
    const a = await ws.trigger('slow');
    const serve = ws.serve();
    let b = '';
    let third: Outcome | undefined;
    try {
      await serve.waitForLog((l) => l.msg === 'run started' && l.runId === a);
      const refused = await ws.cli('trigger', 'slow');
      assert.equal(refused.code, 4, refused.stderr);
      assert.ok(refused.stderr.includes(`already has run ${a} running`), refused.stderr);

      b = await ws.trigger('slow', '--queue');
      assert.notEqual(b, a);
      third = await ws.cli('trigger', 'slow', '--queue');
      assert.equal(third.code, 4, `only one run may wait: ${third.stderr}`);

      const cancelA = await ws.cli('cancel', a);
      assert.equal(cancelA.code, 0, cancelA.stderr);
      assert.equal(cancelA.stdout, `run ${a}: cancel requested; its worker stops it at the next heartbeat\n`);
      await serve.waitForLog((l) => l.msg === 'run ended without success' && l.runId === a);
      await serve.waitForLog((l) => l.msg === 'run started' && l.runId === b);
      const cancelB = await ws.cli('cancel', b);
      assert.equal(cancelB.code, 0, cancelB.stderr);
      await serve.waitForLog((l) => l.msg === 'run ended without success' && l.runId === b);
    } finally {
      await serve.stop('SIGTERM');
    }
    assert.deepEqual(await serve.exited, { code: 0, signal: null }, 'graceful shutdown exits 0');
    const runs = await ws.json<RunJson[]>('runs', '--job', 'slow');
    const runA = runs.find((r) => r.id === a)!;
    const runB = runs.find((r) => r.id === b)!;
    assert.equal(runs.length, 2, 'the refused triggers made no runs');
    assert.equal(runA.status, 'cancelled');
    assert.equal(runB.status, 'cancelled');
    assert.ok(runB.started_at !== null && runA.finished_at !== null && runB.started_at >= runA.finished_at, 'the queued run waited for the running one');
    // The refusal of a second --queue must name the run that blocks it (b, already waiting), not a with a hint to use --queue.
    assert.ok(third?.stderr.includes(`already has run ${b} waiting`), third?.stderr);
  });

  test('eta: after 3 successful runs a newly queued run is estimated at its start plus the median duration', { timeout: TIMEOUT_MS }, async () => {
    const ws = workspace('loop.yaml');
    const first = await ws.json<RunJson>('trigger', 'rows');
    assert.equal(first.eta, null, 'no history yet');
    const serve = ws.serve();
    try {
      await serve.waitForLog((l) => l.msg === 'run succeeded' && l.runId === first.id);
      for (let i = 0; i < 2; i += 1) {
        const id = await ws.trigger('rows');
        await serve.waitForLog((l) => l.msg === 'run succeeded' && l.runId === id);
      }
    } finally {
      await serve.stop('SIGTERM');
    }
    assert.deepEqual(await serve.exited, { code: 0, signal: null }, 'graceful shutdown exits 0');
    const done = await ws.json<RunJson[]>('runs', '--job', 'rows', '--status', 'succeeded');
    assert.equal(done.length, 3);
    const durations = done.map((r) => r.duration_ms!).sort((x, y) => x - y);
    const median = durations[1]!;

    // Due in the future, so the estimate is exact: due time + median.
    const at = Math.ceil((Date.now() + 86_400_000) / 1000) * 1000;
    const queued = await ws.json<RunJson>('trigger', 'rows', '--at', new Date(at).toISOString());
    assert.equal(queued.eta, at + median, `durations ${durations.join(', ')}`);
    const shown = await ws.json<RunJson>('run', queued.id);
    assert.equal(shown.status, 'queued');
    assert.equal(shown.eta, at + median);
    const text = await ws.cli('run', queued.id);
    assert.match(text.stdout, new RegExp(`^eta\\s+${new Date(at + median).toISOString().replace('.000Z', 'Z').replace(/[.]/g, '\\.')}$`, 'm'));
  });
});
