/**
 * The CLI against the demo as the README shows it: a running `serve` with the demo config, and the
 * README's own `node bin/nightshift.js --config examples/demo/nightshift.yaml …` lines run as
 * written, from the repository root. `runs --follow` prints a header; `run <id>` shows a training's
 * stages and its metrics as a table, and no `::metric` lines in the log tail; model commands find
 * the tenant of a model only one tenant has.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/api.ts';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { ServeProcess, SOURCE_BIN, type LogLine } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const README_PREFIX = 'node bin/nightshift.js --config examples/demo/nightshift.yaml ';

/** The README's demo CLI lines: their arguments after the prefix, without the trailing comment. */
function readmeLines(): string[][] {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  return readme
    .split('\n')
    .filter((l) => l.startsWith(README_PREFIX))
    .map((l) => l.slice(README_PREFIX.length).replace(/\s+#.*$/, '').trim().split(/\s+/));
}

/** The first `count` lines of a long-running command (the README's, so bin/nightshift.js), then it is stopped. */
async function firstLines(env: Record<string, string>, args: string[], count: number): Promise<string[]> {
  const proc = spawn(process.execPath, [SOURCE_BIN, ...args], { env, cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(proc, 'exit');
  const lines: string[] = [];
  let stderr = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out; lines so far:\n${lines.join('\n')}\n${stderr}`)), 30_000);
      createInterface({ input: proc.stdout }).on('line', (line) => {
        lines.push(line);
        if (lines.length >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${args.join(' ')} exited; lines:\n${lines.join('\n')}\n${stderr}`));
      });
    });
  } finally {
    proc.kill('SIGTERM');
    await exited;
  }
  return lines;
}

describe('the CLI on the demo, as the README shows it', { timeout: 300_000 }, () => {
  let server: ServeProcess;
  let env: Record<string, string>;
  let base = '';
  let trainingRunId = '';
  let pipelineRunId = '';

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    env = { ...BASE_ENV, NIGHTSHIFT_DATA_DIR: join(tempDir('ns-cli-demo-'), 'data'), NIGHTSHIFT_PORT: String(port), NIGHTSHIFT_LOG_LEVEL: 'info', NIGHTSHIFT_AUTH: 'off' };
    server = new ServeProcess(env, ['--config', join(ROOT, 'examples', 'demo', 'nightshift.yaml'), 'serve']);
    const promoted = await server.waitForLog((l) => l.msg === 'run succeeded' && l.jobId === 'train-failure' && l.tenantId === 'acme' && l.outcome === 'promoted', 180_000);
    trainingRunId = String(promoted.runId);
    // The sensor-analysis pipelines run every minute (acme's every 1m, globex's each minute).
    const pipeline = await server.waitForLog((l: LogLine) => l.msg === 'run succeeded' && l.jobId === 'sensor-analysis', 150_000);
    pipelineRunId = String(pipeline.runId);
  });
  after(async () => {
    await server.stop();
  });

  const cli = (...args: string[]) => runCli(env, args, 60_000, ROOT);
  const demo = (...args: string[]) => cli('--config', 'examples/demo/nightshift.yaml', ...args);
  /** The README's lines run as written: `node bin/nightshift.js` (the sources through tsx), not the build. */
  const asWritten = (...args: string[]) => runCli(env, ['--config', 'examples/demo/nightshift.yaml', ...args], 60_000, ROOT, SOURCE_BIN);

  test("the README's CLI lines work with the demo config as written", async () => {
    const lines = readmeLines();
    assert.ok(lines.some((a) => a[0] === 'runs' && a.includes('--follow')), 'the README shows runs --follow');
    assert.ok(lines.some((a) => a[0] === 'champion-history'), 'the README shows champion-history');
    for (const written of lines) {
      const args = written.map((a) => (a === '<run-id>' ? trainingRunId : a));
      assert.ok(!args.some((a) => /^<.*>$/.test(a)), `no placeholder left: ${written.join(' ')}`);
      if (args.includes('--follow')) {
        const [header, first] = await firstLines(env, ['--config', 'examples/demo/nightshift.yaml', ...args], 2);
        assert.match(header!, /^ID\s+TENANT\s+JOB\s+STATUS\s+TRIGGER\s+ATTEMPT\s+QUEUED\s+DURATION\s+NOTE$/, 'runs --follow starts with a header');
        assert.match(first!, /^run_\w+\s+(acme|globex|initech)\s+\S+\s+\w+/);
        continue;
      }
      const r = await asWritten(...args);
      assert.equal(r.code, 0, `${README_PREFIX}${written.join(' ')}: ${r.stderr}`);
      assert.notEqual(r.stdout.trim(), '');
    }
  });

  test("run <id> of a training: its stages, and its metrics as a table", async () => {
    const r = await demo('run', trainingRunId);
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /^outcome\s+promoted$/m);
    const metrics = /\n--- metrics ---\nMETRIC\s+VALUE\n((?:\S+\s+\S+\n)+)/.exec(out);
    assert.ok(metrics, `a metrics table:\n${out}`);
    assert.match(metrics[1]!, /^auc\s+0\.\d+$/m);
    const stages = /\n--- stages ---\nATTEMPT\s+STAGE\s+STARTED\s+DURATION\s+COUNTS\s+NOTE\n((?:.+\n?)+)/.exec(out);
    assert.ok(stages, `a stages table:\n${out}`);
    const names = stages[1]!.trim().split('\n').map((l) => l.split(/\s+/)[1]);
    for (const stage of ['load', 'features', 'train', 'evaluate', 'gate', 'register', 'promote']) assert.ok(names.includes(stage), `stage ${stage} shown:\n${stages[1]}`);
    assert.doesNotMatch(out, /^metrics\s+\{/m, 'no raw JSON metrics line');
  });

  test('run <id> of a pipeline: ::metric lines are in the metrics table, not repeated in the log tail', async () => {
    const r = await demo('run', pipelineRunId);
    assert.equal(r.code, 0, r.stderr);
    const [head, tail] = r.stdout.split('\n--- log tail ---\n');
    assert.ok(tail, r.stdout);
    assert.match(head!, /^collect\.events_count\s+\d+$/m, `the metric in the table:\n${head}`);
    assert.match(tail, /== step collect ==/);
    assert.doesNotMatch(tail, /::metric/, `no ::metric lines in the tail:\n${tail}`);
    const json = JSON.parse((await demo('run', pipelineRunId, '--json')).stdout) as { log_tail: string };
    assert.match(json.log_tail, /::metric events_count=/, '--json keeps the log tail as recorded');
  });

  test('model commands without --tenant: the tenant of a model only one tenant has; otherwise the tenants that have it', async () => {
    const declared = await fetch(`${base}/api/tenants/acme/models/acme_only`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ task: 'binary', dataset: 'machines', features: { continuous: ['temperature', 'vibration'] }, trainer: { kind: 'linear' } }),
    });
    assert.equal(declared.status, 201, await declared.text());
    const history = await demo('champion-history', '--model', 'acme_only');
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /^REVISION\s+ACTION\s+VERSION/);
    const versions = await demo('versions', '--model', 'acme_only', '--json');
    assert.equal(versions.code, 0, versions.stderr);
    assert.deepEqual(JSON.parse(versions.stdout), []);

    const ambiguous = await demo('champion-history', '--model', 'failure');
    assert.equal(ambiguous.code, 5, ambiguous.stderr);
    assert.equal(ambiguous.stderr, 'error NS_VALIDATION: model "failure" is declared for tenants acme, globex, initech; name one with --tenant\n');
    const unknown = await demo('versions', '--model', 'nope');
    assert.equal(unknown.code, 3, unknown.stderr);
    assert.equal(unknown.stderr, 'error NS_NOT_FOUND: no tenant has a model "nope" (models: acme_only, failure)\n');
  });
});
