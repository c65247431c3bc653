/**
 * Two real `nightshift serve` processes on one PostgreSQL schema, each with its own empty data dir
 * and node id, artifacts in PostgreSQL (the default with DATABASE_URL). Over HTTP only: a dataset
 * and a model declared, samples ingested, v1 trained through node A (either node's workers may run
 * it; the attempt's worker says which), served by node B, v2 trained through node B, rolled back to
 * v1 through node B, and node A serves v1 within its model cache's recheck. Neither data dir holds
 * an artifact file.
 */
import { randomBytes } from 'node:crypto';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import pg from 'pg';
import { MODEL_CACHE_DEFAULTS } from '../../src/serving/model-cache.ts';
import { freshPostgresUrl, PG_BASE_URL, storeTargets } from '../helpers/dialects.ts';
import { ServeProcess, type LogLine } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';
import { FAILURE_MODEL, fleetCsv, fleetSamples } from '../fixtures/training/fleet.ts';

const postgres = (await storeTargets()).find((t) => t.name === 'postgres')!;

const T = 'acme';
const MODEL = `/api/tenants/${T}/models/failure`;
const ROW = { entity: 'm-001', values: { model: 'M200', temperature: 88.5, vibration: 4.9, pressure: 121, rpm: 1790 } };

/** The predictive-maintenance schema (as syntheticSchema has it), declared over the API. */
const DATASET = {
  entityKey: 'machine_id',
  timestamp: 'timestamp',
  features: [
    { name: 'model', type: 'categorical' },
    ...['temperature', 'vibration', 'pressure', 'rpm', 'load', 'voltage'].map((name) => ({ name, type: 'numeric', nullable: true })),
  ],
  label: { name: 'fails_within_24h', type: 'binary' },
};

/** A run ends within this (training is a few seconds; two servers share two cores with others). */
const RUN_END_MS = 120_000;
/** A change made on the other node is served within the cache's recheck plus one load; this bounds it generously. */
const SWITCH_MS = MODEL_CACHE_DEFAULTS.recheckMs + 25_000;

interface Node {
  name: string;
  dataDir: string;
  server: ServeProcess;
  base: string;
}

type Json = Record<string, any>;

async function call(node: Node, method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; body: Json }> {
  const res = await fetch(`${node.base}${path}`, {
    method,
    signal: AbortSignal.timeout(30_000),
    ...(body === undefined ? {} : { headers: { 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  return { status: res.status, body: (await res.json()) as Json };
}

/** The champion version the node predicts with; null while it has none to serve (404). */
async function servedVersion(node: Node): Promise<number | null> {
  const res = await call(node, 'POST', `${MODEL}/predict`, ROW);
  if (res.status === 404 && /has no champion yet/.test(String(res.body.error?.message))) return null;
  assert.equal(res.status, 200, `${node.name}: ${JSON.stringify(res.body)}`);
  return res.body.version as number;
}

async function predictVersion(node: Node): Promise<number | null> {
  const v = await servedVersion(node);
  assert.notEqual(v, null, `${node.name} has a champion to serve`);
  return v;
}

/**
 * Polls the node's predictions until they use `version`: a change made on the other node reaches
 * this node's model cache at its next recheck (each prediction may start one), and "no champion"
 * is remembered as long. Returns how long it took.
 */
async function waitForServedVersion(node: Node, version: number, timeoutMs = SWITCH_MS): Promise<number> {
  const started = Date.now();
  let seen: Array<number | null> = [];
  while (Date.now() - started < timeoutMs) {
    const v = await servedVersion(node);
    if (v === version) return Date.now() - started;
    seen = [...seen.slice(-4), v];
    await delay(200);
  }
  throw new Error(`${node.name} did not serve v${version} within ${timeoutMs} ms; last versions served: ${seen.join(', ')}`);
}

/** Any regular file below dir/artifacts (none expected: artifacts live in PostgreSQL). */
function artifactFiles(dataDir: string): string[] {
  const root = join(dataDir, 'artifacts');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

describe('two serve processes on one PostgreSQL database', { skip: postgres.skip && 'PostgreSQL unreachable (set NIGHTSHIFT_REQUIRE_POSTGRES=1 to fail instead)' }, () => {
  let databaseUrl = '';
  const nodes: Node[] = [];
  const node = (name: string) => nodes.find((n) => n.name === name)!;

  before(async () => {
    databaseUrl = await freshPostgresUrl();
    const dir = tempDir('ns-e2e-two-nodes-');
    const masterKey = randomBytes(32).toString('base64');
    const config = join(dir, 'nightshift.json');
    writeFileSync(config, JSON.stringify({ tenants: [{ id: T, timezone: 'UTC' }] }));
    const start = (name: string): { name: string; dataDir: string; server: ServeProcess } => {
      const dataDir = join(dir, `data-${name}`);
      const server = new ServeProcess(
        {
          DATABASE_URL: databaseUrl,
          NIGHTSHIFT_ARTIFACTS: '', // empty = unset: the default with DATABASE_URL (postgres)
          NIGHTSHIFT_DATA_DIR: dataDir,
          // Every node of a cluster has the same master key, or none reads what another encrypted.
          NIGHTSHIFT_MASTER_KEY: masterKey,
          NIGHTSHIFT_NODE_ID: name,
          NIGHTSHIFT_HOST: '127.0.0.1',
          NIGHTSHIFT_PORT: '0',
          NIGHTSHIFT_CONCURRENCY: '1',
          NIGHTSHIFT_TRAIN_THREADS: '1',
          NIGHTSHIFT_POLL: '250ms',
          NIGHTSHIFT_SHUTDOWN_GRACE: '2s',
          NIGHTSHIFT_LOG_LEVEL: 'info',
          NIGHTSHIFT_AUTH: 'off',
          ML_TRAINING_ENABLED: 'false',
        },
        ['--config', config, 'serve'],
      );
      return { name, dataDir, server };
    };
    // Both at once, on an empty schema: the migrations are serialized by an advisory lock.
    const started = [start('node-a'), start('node-b')];
    for (const s of started) nodes.push({ ...s, base: '' });
    const listening = await Promise.all(started.map((s) => s.server.waitForLog((l) => l.msg === 'HTTP API listening', 60_000)));
    listening.forEach((l, i) => (nodes[i]!.base = String(l.address)));
    for (const n of nodes) {
      const engine = n.server.lines.find((l) => l.msg === 'nightshift engine started');
      assert.equal(engine?.store, 'postgres', `${n.name} runs on PostgreSQL`);
      assert.equal(engine?.node, n.name);
    }
  });

  after(async () => {
    // SIGTERM (graceful, 2 s grace), then SIGKILL if a server has not exited 20 s later.
    await Promise.all(
      nodes.map(async (n) => {
        const killer = setTimeout(() => void n.server.stop('SIGKILL'), 20_000);
        try {
          await n.server.stop('SIGTERM');
        } finally {
          clearTimeout(killer);
        }
      }),
    );
    const schema = /search_path%3D(\w+)/.exec(databaseUrl)?.[1];
    if (!schema) return;
    const client = new pg.Client({ connectionString: PG_BASE_URL });
    await client.connect();
    try {
      await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  });

  /** Queues a training through `via`, waits for its end on whichever node ran it, and returns the run. */
  async function train(via: Node): Promise<{ run: Json; ranOn: string }> {
    const res = await call(via, 'POST', `${MODEL}/train`, {});
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const runId = res.body.id as string;
    const ended = (l: LogLine) => l.runId === runId && (l.msg === 'run succeeded' || l.msg === 'run ended without success');
    await Promise.any(nodes.map((n) => n.server.waitForLog(ended, RUN_END_MS)));
    const run = (await call(via, 'GET', `/api/runs/${runId}`)).body;
    const workers = (run.attempts as Array<{ worker: string }>).map((a) => a.worker);
    assert.equal(workers.length, 1, `one attempt: ${JSON.stringify(run.attempts)}`);
    const ranOn = workers[0]!;
    assert.ok(nodes.some((n) => n.name === ranOn), `run ${runId} ran on a known node: ${ranOn}`);
    assert.ok(node(ranOn).server.lines.some(ended), `the node named by the attempt (${ranOn}) logged the run's end`);
    return { run, ranOn };
  }

  test('a model trained through one node is served and rolled back on the other', { timeout: 300_000 }, async (t) => {
    const a = node('node-a');
    const b = node('node-b');

    // 1. Dataset, samples and model, declared over the API (through A; B sees them in the store).
    assert.equal((await call(a, 'PUT', `/api/tenants/${T}/datasets/machines`, DATASET)).status, 201);
    const samples = fleetSamples({ endMs: Date.now() });
    const ingested = await call(a, 'POST', `/api/tenants/${T}/datasets/machines/samples`, fleetCsv(samples), 'text/csv');
    assert.deepEqual(ingested.body, { accepted: samples.length, inserted: samples.length, updated: 0, rejected: 0 });
    const { name: _name, ...declaration } = FAILURE_MODEL;
    const declared = await call(a, 'PUT', MODEL, { ...declaration, mode: 'full' });
    assert.equal(declared.status, 201, JSON.stringify(declared.body));
    assert.equal((await call(b, 'GET', `/api/tenants/${T}/datasets/machines`)).body.samples.count, samples.length);
    assert.equal(await servedVersion(b), null, 'no champion yet (B\'s cache now remembers that until its next recheck)');

    // 2-3. v1, trained through A (whichever node's worker claims it), promoted.
    const first = await train(a);
    assert.equal(first.run.status, 'succeeded', first.run.logTail);
    assert.equal(first.run.outcome, 'promoted', first.run.logTail);
    t.diagnostic(`v1 trained on ${first.ranOn}`);

    // 4. B serves v1: its data dir is empty, so the artifact came from PostgreSQL.
    t.diagnostic(`node-b served v1 ${await waitForServedVersion(b, 1)} ms after the run ended`);
    // Its log line may come a moment after the answer that shows it (stdout is read in chunks).
    await b.server.waitForLog((l) => l.msg === 'model cache: champion loaded' && l.version === 1, 10_000);
    assert.equal(await predictVersion(a), 1);

    // 5. v2 (the same data again: not worse, promoted), queued through B this time, served by both nodes.
    const second = await train(b);
    assert.equal(second.run.outcome, 'promoted', second.run.logTail);
    t.diagnostic(`v2 trained on ${second.ranOn}`);
    await waitForServedVersion(a, 2);
    await waitForServedVersion(b, 2);

    // Rollback to v1 through B: B switches at once, A within its recheck.
    const rolled = await call(b, 'POST', `${MODEL}/rollback`, { targetVersion: 1, reason: 'rolled back on node-b' });
    assert.equal(rolled.status, 200, JSON.stringify(rolled.body));
    assert.equal(rolled.body.change.version, 1);
    assert.equal(await predictVersion(b), 1, 'the node that rolled back serves v1 at once');
    const tookMs = await waitForServedVersion(a, 1);
    t.diagnostic(`node-a served v1 ${tookMs} ms after node-b's rollback`);
    assert.equal((await call(a, 'GET', MODEL)).body.champion.version, 1);
    const history = (await call(a, 'GET', `${MODEL}/champion/history`)).body.history as Array<{ action: string; version: number; reason: string }>;
    assert.deepEqual(history.map((h) => [h.action, h.version]), [['rollback', 1], ['promote', 2], ['promote', 1]]);
    assert.equal(history[0]!.reason, 'rolled back on node-b');

    // 6. No artifact file on either node.
    for (const n of nodes) assert.deepEqual(artifactFiles(n.dataDir), [], `no artifact files in ${n.name}'s data dir`);
    for (const n of nodes) assert.ok(!n.server.lines.some((l) => typeof l.level === 'number' && l.level >= 50), `${n.name} logged no error: ${JSON.stringify(n.server.lines.filter((l) => (l.level ?? 0) >= 50))}`);
  });
});
