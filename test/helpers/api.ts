/**
 * HTTP API test helpers: an engine plus its Fastify app for inject tests, an error-body check
 * (stable code, field, message, no stack), a store snapshot to prove bad requests change nothing,
 * and small waits on engine events (never sleeps).
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import Fastify, { type FastifyInstance, type FastifySchema, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { nightshiftPlugin } from '../../src/api/plugin.ts';
import type { DrainState } from '../../src/api/routes/health.ts';
import type { Clock } from '../../src/clock.ts';
import type { Settings } from '../../src/config/types.ts';
import type { Engine } from '../../src/engine.ts';
import type { Services } from '../../src/services/services.ts';
import { ERROR_CODES } from '../../src/errors.ts';
import { TERMINAL_STATUSES } from '../../src/runs/states.ts';
import { getRunRow, runValues, type NewRun, type RunRow } from '../../src/store/runs.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import type { StoreTarget } from './dialects.ts';
import { openTestEngine, type TestEngine } from './engine.ts';
import { tempDir } from './settings.ts';

export const sqliteTarget = (): StoreTarget => ({ dialect: 'sqlite', dataDir: tempDir('ns-api-'), databaseUrl: null });

export interface TestApi extends TestEngine {
  app: FastifyInstance;
  drain: DrainState;
  /** What the HTTP layer logged (JSON lines), kept off the test output. */
  httpLog: Array<Record<string, unknown>>;
}

/** An engine (loops not started, manual clock) and the standalone app over it, for app.inject(). */
export async function openTestApi(o: Partial<Settings> & { target?: StoreTarget; start?: string | number; clock?: Clock } = {}): Promise<TestApi> {
  const { target, ...rest } = o;
  const t = await openTestEngine(target ?? sqliteTarget(), rest);
  const drain: DrainState = { draining: false };
  const httpLog: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) httpLog.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const app = await buildApp({ services: t.engine, drain, logger: pino({ level: "info" }, sink) });
  await app.ready();
  return {
    ...t,
    app,
    drain,
    httpLog,
    close: async () => {
      await app.close();
      await t.close();
    },
  };
}

export interface RouteInfo {
  method: string;
  /** As registered, with `:param` placeholders. */
  url: string;
  schema: FastifySchema;
}

/**
 * Every nightshift route with its request schemas, as Fastify registers them: an onRoute hook on a
 * host that mounts the nightshift plugin (the standalone app adds only /openapi.json and /docs).
 * HEAD routes (Fastify's automatic twins of GET) are left out.
 */
export async function nightshiftRoutes(services: Services): Promise<RouteInfo[]> {
  const host = Fastify();
  const routes: RouteInfo[] = [];
  host.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) if (method !== 'HEAD') routes.push({ method, url: route.url, schema: route.schema ?? {} });
  });
  await host.register(nightshiftPlugin, { services });
  await host.ready();
  await host.close();
  return routes;
}

/** The properties a request part's schema names (params, querystring or body), with their schemas. */
export function schemaProperties(part: unknown): Record<string, Record<string, unknown>> {
  const props = (part as { properties?: Record<string, Record<string, unknown>> } | undefined)?.properties;
  return props ?? {};
}

/** The JSON body of a response, typed by the caller. */
export function body<T = Record<string, unknown>>(res: LightMyRequestResponse | { body: string }): T {
  return JSON.parse(res.body) as T;
}

export interface ErrorExpectation {
  status: number;
  code: keyof typeof ERROR_CODES;
  /** The field at fault; `undefined` skips the check. */
  field?: string | null;
  /** What the message must say (what to fix). */
  message?: RegExp;
}

export interface ErrorShape {
  error: { code: string; message: string; field: string | null; details?: Record<string, unknown> };
}

function hasKeyDeep(value: unknown, key: string): boolean {
  if (Array.isArray(value)) return value.some((v) => hasKeyDeep(v, key));
  if (value && typeof value === 'object') return Object.entries(value).some(([k, v]) => k === key || hasKeyDeep(v, key));
  return false;
}

/** Status, a stable documented NS_ code, the field, a useful message, and no stack trace anywhere. */
export function assertError(res: LightMyRequestResponse | { statusCode: number; body: string }, expected: ErrorExpectation): ErrorShape['error'] {
  const where = `${res.statusCode} ${res.body.slice(0, 300)}`;
  assert.equal(res.statusCode, expected.status, `status: ${where}`);
  const parsed = body<ErrorShape>(res);
  assert.ok(parsed.error && typeof parsed.error === 'object', `error envelope: ${where}`);
  const e = parsed.error;
  assert.equal(e.code, expected.code, `code: ${where}`);
  assert.match(e.code, /^NS_[A-Z_]+$/);
  assert.ok(e.code in ERROR_CODES, `${e.code} is a documented code`);
  assert.equal(typeof e.message, 'string');
  assert.ok(e.message.length >= 10, `the message says something: ${where}`);
  if (expected.field !== undefined) assert.equal(e.field, expected.field, `field: ${where}`);
  if (expected.message) assert.match(e.message, expected.message, `message: ${where}`);
  assert.ok(!hasKeyDeep(parsed, 'stack'), `no stack key: ${where}`);
  assert.doesNotMatch(res.body, /\bat [^\s"]+ \(|\\n\s+at |node:internal|\.ts:\d+:\d+/, `no stack lines: ${where}`);
  return e;
}

export interface StoreSnapshot {
  tenants: unknown[];
  jobs: unknown[];
  schedules: unknown[];
  slots: unknown[];
  runs: unknown[];
  attempts: unknown[];
}

/**
 * Every row of every table a request could touch, to prove that a refused request changed nothing.
 * Read whole tables (selectAll, so new columns and tombstones are included) rather than through
 * the store's listing functions, which hide some rows. With `live`, the columns a worker keeps
 * moving on a running run (pid, heartbeat, lease, updated_at) are left out.
 */
export async function storeSnapshot(engine: Engine, o: { live?: boolean } = {}): Promise<StoreSnapshot> {
  const k = engine.db.k;
  const rows = await k.selectFrom('runs').selectAll().orderBy('id').execute();
  const runs = o.live ? rows.map(({ pid: _pid, heartbeat_at: _beat, lease_expires_at: _lease, updated_at: _updated, ...stable }) => stable) : rows;
  return {
    tenants: await k.selectFrom('tenants').selectAll().orderBy('id').execute(),
    jobs: await k.selectFrom('jobs').selectAll().orderBy('id').execute(),
    schedules: await k.selectFrom('schedules').selectAll().orderBy('id').execute(),
    slots: await k.selectFrom('slots').selectAll().orderBy('schedule_id').orderBy('slot_at').execute(),
    runs,
    attempts: await k.selectFrom('run_attempts').selectAll().orderBy('run_id').orderBy('attempt').execute(),
  };
}

export function counts(s: StoreSnapshot) {
  return Object.fromEntries(Object.entries(s).map(([table, rows]) => [table, (rows as unknown[]).length]));
}

/** Sends a request that must be refused, checks the error body, and proves the store did not change. */
export async function refused(
  t: { app: FastifyInstance; engine: Engine },
  request: InjectOptions | string,
  expected: ErrorExpectation,
  o: { live?: boolean } = {},
): Promise<ErrorShape['error']> {
  const before = await storeSnapshot(t.engine, o);
  const error = assertError(await t.app.inject(request), expected);
  const after = await storeSnapshot(t.engine, o);
  assert.deepEqual(counts(after), counts(before), 'a refused request adds or removes no row');
  assert.deepEqual(after, before, 'a refused request changes no row');
  return error;
}

/** Resolves with the run once it has reached a terminal state (subscribes first, then looks). */
export async function waitForRunEnd(engine: Engine, runId: string, timeoutMs = 20_000): Promise<RunRow> {
  const finished = engine.events.waitFor('run:finished', (p) => p.run.id === runId, timeoutMs);
  const now = await getRunRow(engine.db.k, ALL_TENANTS, runId);
  if (now && (TERMINAL_STATUSES as readonly string[]).includes(now.status)) {
    finished.catch(() => undefined);
    return now;
  }
  return (await finished).run;
}

/** Resolves once the run's process has been spawned (subscribes first, then looks for its pid). */
export async function waitForRunSpawned(engine: Engine, runId: string, timeoutMs = 20_000): Promise<void> {
  const spawned = engine.events.waitFor('run:spawned', (p) => p.runId === runId, timeoutMs);
  const now = await getRunRow(engine.db.k, ALL_TENANTS, runId);
  if (now?.status === 'running' && now.pid !== null) {
    spawned.catch(() => undefined);
    return;
  }
  await spawned;
}

/** A TCP port that was free a moment ago (the listen(0) probe). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A run row for seeding history directly (listing and pagination tests). */
export function seededRun(r: NewRun & Partial<RunRow>): RunRow {
  const { id, tenantId, jobId, trigger, status, maxAttempts, timeoutMs, runAt, now, scheduleId, slotAt, lateMs, params, reason, parentRunId, ...columns } = r;
  return { ...runValues({ id, tenantId, jobId, trigger, status, maxAttempts, timeoutMs, runAt, now, scheduleId, slotAt, lateMs, params, reason, parentRunId }), ...columns };
}

/** Parses Prometheus text exposition into `name{labels}` → value (labels in the order written). */
export function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*(?:\{.*\})?) (\S+)$/.exec(line);
    if (match) values.set(match[1]!, Number(match[2]));
  }
  return values;
}

/** The value of one sample whose labels include all of `labels` (any order); undefined if absent. */
export function sample(values: Map<string, number>, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const [key, value] of values) {
    const brace = key.indexOf('{');
    const metric = brace === -1 ? key : key.slice(0, brace);
    if (metric !== name) continue;
    const text = brace === -1 ? '' : key.slice(brace);
    if (Object.entries(labels).every(([k, v]) => text.includes(`${k}="${v}"`))) return value;
  }
  return undefined;
}
