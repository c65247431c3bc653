/**
 * What the standalone server logs per request: one access line (method, url, status, duration) with a
 * request id that is unique across restarts and returned as `x-request-id`; and one info line for
 * each change a request makes (tenant, schedule, trigger, cancel, dataset, ingest with its counts,
 * model declaration, promotion, rollback), carrying the same request id.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { buildApp } from '../../src/api/app.ts';
import { ManualClock } from '../../src/clock.ts';
import { Engine } from '../../src/engine.ts';
import { artifactBytes, newVersion } from '../fixtures/registry/registry-store.ts';
import { commandJob, emptyJob, makeSettings } from '../helpers/settings.ts';

type Line = Record<string, unknown> & { msg: string; level: number; reqId?: string };

const REQUEST_ID = /^req_[0-9a-z]{9}[0-9a-f]{12}$/;
const SENSORS = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'ingest', 'sensors.schema.json'), 'utf8')) as Record<string, unknown>;

/** An engine and its server sharing one logger at info, as `nightshift serve` builds them. */
async function open(): Promise<{ app: FastifyInstance; engine: Engine; lines: Line[]; close(): Promise<void> }> {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const logger = pino({ level: 'info' }, sink);
  const settings = makeSettings({ logLevel: 'info', jobs: [commandJob('quick', process.execPath, ['-e', '0']), emptyJob('noop')] });
  const engine = await Engine.open({ settings, clock: new ManualClock('2026-03-01T00:00:00Z'), logger });
  const app = await buildApp({ services: engine, logger });
  await app.ready();
  return {
    app,
    engine,
    lines,
    close: async () => {
      await app.close();
      await engine.close(1_000);
    },
  };
}

describe('request ids and the access log', () => {
  test('one access line per request, with a request id that is returned as x-request-id and unique across restarts', async () => {
    const seen = new Set<string>();
    for (let restart = 0; restart < 2; restart++) {
      const s = await open();
      try {
        for (const url of ['/api/tenants', '/api/runs?limit=1', '/api/nothing-here']) {
          const res = await s.app.inject({ url });
          const id = String(res.headers['x-request-id']);
          assert.match(id, REQUEST_ID, `${url}: x-request-id`);
          assert.ok(!seen.has(id), `${id} not reused (restart ${restart})`);
          seen.add(id);
          const mine = s.lines.filter((l) => l.reqId === id);
          assert.equal(mine.length, 1, `${url}: one line: ${JSON.stringify(mine)}`);
          assert.equal(mine[0]!.msg, 'request completed');
          assert.equal(mine[0]!.level, 30);
          assert.equal(mine[0]!.method, 'GET');
          assert.equal(mine[0]!.url, url);
          assert.equal(mine[0]!.statusCode, res.statusCode);
          assert.equal(typeof mine[0]!.durationMs, 'number');
        }
      } finally {
        await s.close();
      }
    }
  });

  test("a caller's own x-request-id is kept when it is a plain token, and replaced when it is not", async () => {
    const s = await open();
    try {
      const kept = await s.app.inject({ url: '/api/tenants', headers: { 'x-request-id': 'edge-7f3a.42:1' } });
      assert.equal(kept.headers['x-request-id'], 'edge-7f3a.42:1');
      assert.ok(s.lines.some((l) => l.reqId === 'edge-7f3a.42:1' && l.msg === 'request completed'));
      for (const bad of ['two words', 'x'.repeat(200), 'line\nbreak']) {
        const replaced = await s.app.inject({ url: '/api/tenants', headers: { 'x-request-id': bad } });
        assert.match(String(replaced.headers['x-request-id']), REQUEST_ID, JSON.stringify(bad));
      }
    } finally {
      await s.close();
    }
  });
});

describe('one info line per change, with the request id', () => {
  let s: Awaited<ReturnType<typeof open>>;
  before(async () => {
    s = await open();
  });
  after(() => s.close());

  /** The request succeeds; among its lines, exactly one says `msg` at info, with `fields`. */
  async function change(request: InjectOptions, msg: string, fields: Record<string, unknown>): Promise<LightMyRequestResponse> {
    const res = await s.app.inject(request);
    assert.ok(res.statusCode < 300, `${request.method} ${request.url}: ${res.statusCode} ${res.body}`);
    const id = String(res.headers['x-request-id']);
    const mine = s.lines.filter((l) => l.reqId === id);
    const said = mine.filter((l) => l.msg === msg);
    assert.equal(said.length, 1, `${request.method} ${request.url}: one "${msg}" line with its request id; its lines: ${JSON.stringify(mine)}`);
    assert.equal(said[0]!.level, 30);
    for (const [key, value] of Object.entries(fields)) assert.deepEqual(said[0]![key], value, `${msg}: ${key} in ${JSON.stringify(said[0])}`);
    assert.equal(mine.filter((l) => l.msg === 'request completed').length, 1, 'and its access line');
    return res;
  }

  test('tenants, schedules, triggers and cancels', async () => {
    await change({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', timezone: 'Europe/Paris' } }, 'tenant created', { tenantId: 'initech', after: { name: 'initech', timezone: 'Europe/Paris' } });
    await change({ method: 'PUT', url: '/api/tenants/initech', payload: { name: 'Initech' } }, 'tenant updated', { tenantId: 'initech', changed: ['name'], before: { name: 'initech' }, after: { name: 'Initech' } });
    await change({ method: 'PUT', url: '/api/schedules/noop-hourly', payload: { tenantId: 'acme', jobId: 'noop', cron: '0 * * * *' } }, 'schedule upserted', { scheduleId: 'noop-hourly', tenantId: 'acme', jobId: 'noop', result: 'created' });
    await change({ method: 'POST', url: '/api/schedules/noop-hourly/disable' }, 'schedule disabled', { scheduleId: 'noop-hourly' });
    await change({ method: 'DELETE', url: '/api/schedules/noop-hourly' }, 'schedule deleted', { scheduleId: 'noop-hourly' });
    const triggered = await change({ method: 'POST', url: '/api/jobs/quick/trigger', payload: { tenantId: 'acme', mode: 'queue' } }, 'run triggered', { jobId: 'quick', tenantId: 'acme' });
    const runId = (triggered.json() as { runId: string }).runId;
    await change({ method: 'POST', url: `/api/runs/${runId}/cancel` }, 'cancel requested', { runId, result: 'cancelled' });
  });

  test('datasets, ingest with its counts, model declaration, promotion and rollback', async () => {
    await change({ method: 'PUT', url: '/api/tenants/acme/datasets/sensors', payload: SENSORS }, 'dataset defined', { tenantId: 'acme', dataset: 'sensors', result: 'created' });
    const csv = 'device,time,temp,humidity,site,failed\ndev-1,2026-02-28T00:00:00Z,21.5,0.4,north,0\ndev-2,2026-02-28T00:00:00Z,25,,south,1\n';
    await change({ method: 'POST', url: '/api/tenants/acme/datasets/sensors/samples', headers: { 'content-type': 'text/csv' }, payload: csv }, 'samples ingested', {
      tenantId: 'acme',
      dataset: 'sensors',
      format: 'csv',
      accepted: 2,
    });
    const model = { task: 'binary', dataset: 'sensors', features: { continuous: ['temp'], categorical: ['site'] }, trainer: { kind: 'linear', params: { epochs: 5 } } };
    await change({ method: 'PUT', url: '/api/tenants/acme/models/failure', payload: model }, 'model declared', { tenantId: 'acme', model: 'failure', result: 'created' });
    for (const label of ['v1', 'v2']) await s.engine.models.registry.registerVersion(newVersion('acme', 'failure'), artifactBytes(label));
    await change({ method: 'POST', url: '/api/tenants/acme/models/failure/promote', payload: { version: 2, reason: 'looks better' } }, 'champion changed', {
      tenantId: 'acme',
      model: 'failure',
      action: 'promote',
      version: 2,
      previousVersion: null,
      reason: 'looks better',
    });
    await change({ method: 'POST', url: '/api/tenants/acme/models/failure/rollback', payload: { targetVersion: 1 } }, 'champion changed', { tenantId: 'acme', model: 'failure', action: 'rollback', version: 1, previousVersion: 2 });
  });

  test('a read changes nothing and logs only its access line', async () => {
    const res = await s.app.inject({ url: '/api/schedules' });
    assert.deepEqual(
      s.lines.filter((l) => l.reqId === res.headers['x-request-id']).map((l) => l.msg),
      ['request completed'],
    );
  });
});
