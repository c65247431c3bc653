/**
 * GET /api/runs on SQLite and PostgreSQL: every filter, cursor pagination under every allow-listed
 * sort and both orders (each run exactly once, in order, ties broken by id), and refused queries.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { newId } from '../../src/ids.ts';
import { ALL_STATUSES, TERMINAL_STATUSES } from '../../src/runs/states.ts';
import { inTransaction } from '../../src/store/db.ts';
import { insertRuns, RUN_SORT_FIELDS, type RunRow, type RunSortField } from '../../src/store/runs.ts';
import { assertError, body, openTestApi, seededRun, storeSnapshot, type TestApi } from '../helpers/api.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { MINUTE } from '../helpers/engine.ts';
import { commandJob } from '../helpers/settings.ts';

const node = process.execPath;
const JOBS = ['train', 'analyse', 'etl'] as const;
const TRIGGERS = ['slot', 'manual', 'dependency'] as const;
const BASE = Date.parse('2026-02-20T00:00:00Z');

interface RunJson {
  id: string;
  tenantId: string;
  jobId: string;
  trigger: string;
  status: string;
  queuedAt: string;
  runAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  durationMs: number | null;
}
interface Page {
  runs: RunJson[];
  nextCursor: string | null;
}

/** 61 runs with many ties in every sort column and nulls in the nullable ones. */
function history(): RunRow[] {
  const rows: RunRow[] = [];
  const running = new Set<string>();
  for (let i = 0; i < 61; i++) {
    const tenantId = i % 4 === 0 ? 'globex' : 'acme';
    const jobId = JOBS[i % JOBS.length]!;
    let status = ALL_STATUSES[i % ALL_STATUSES.length]!;
    // At most one running run per (tenant, job): the store enforces single flight.
    if (status === 'running' && running.has(`${tenantId}/${jobId}`)) status = 'cancelled';
    if (status === 'running') running.add(`${tenantId}/${jobId}`);
    const queuedAt = BASE + (i % 9) * MINUTE; // about 7 runs share each queued_at
    const started = status === 'queued' || status === 'skipped' ? null : queuedAt + (i % 4) * 1_000;
    const terminal = (TERMINAL_STATUSES as readonly string[]).includes(status);
    const duration = started !== null && terminal ? (i % 5) * 1_000 : null;
    rows.push(
      seededRun({
        id: newId('run', queuedAt),
        tenantId,
        jobId,
        trigger: TRIGGERS[Math.floor(i / 2) % TRIGGERS.length]!,
        status,
        maxAttempts: 1,
        timeoutMs: 60_000,
        runAt: queuedAt + (i % 2) * MINUTE,
        now: queuedAt,
        started_at: started,
        finished_at: terminal ? (started ?? queuedAt) + (duration ?? 0) : null,
        duration_ms: duration,
        attempt: started === null ? 0 : 1,
      }),
    );
  }
  return rows;
}

const sortValue = (run: RunRow, sort: RunSortField) => run[sort] ?? -1;

/** The order the API promises: by the sort column (nulls as -1), then by id, both in `order`. */
function compare(sort: RunSortField, order: 'asc' | 'desc') {
  const dir = order === 'asc' ? 1 : -1;
  return (a: RunRow, b: RunRow) => {
    const d = sortValue(a, sort) - sortValue(b, sort);
    if (d !== 0) return d * dir;
    return (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) * dir;
  };
}

async function seed(t: TestApi): Promise<RunRow[]> {
  const rows = history();
  await inTransaction(t.engine.db, (x) => insertRuns(x, rows));
  return rows;
}

async function pageThrough(t: TestApi, query: string, limit: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const url: string = `/api/runs?${query}&limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const res = await t.app.inject({ url });
    assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    const page = body<Page>(res);
    assert.ok(page.runs.length <= limit);
    if (page.nextCursor !== null) assert.equal(page.runs.length, limit, 'only the last page is short');
    ids.push(...page.runs.map((r) => r.id));
    cursor = page.nextCursor;
    pages++;
    assert.ok(pages <= 100, 'paging terminates');
  } while (cursor !== null);
  return { ids, pages };
}

const openApi = async (target: Awaited<ReturnType<typeof storeTargets>>[number]) =>
  openTestApi({ target: await target.make(), jobs: JOBS.map((id) => commandJob(id, node, ['-e', '0'])) });

for (const target of await storeTargets()) {
  describe(`GET /api/runs (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('paging with every sort field and order returns every run exactly once, in order, ties broken by id', async () => {
      const t = await openApi(target);
      try {
        const rows = await seed(t);
        for (const sort of RUN_SORT_FIELDS) {
          for (const order of ['asc', 'desc'] as const) {
            const { ids, pages } = await pageThrough(t, `sort=${sort}&order=${order}`, 7);
            assert.equal(pages, Math.ceil(rows.length / 7) + (rows.length % 7 === 0 ? 1 : 0));
            assert.equal(new Set(ids).size, ids.length, `${sort} ${order}: no run twice`);
            assert.equal(ids.length, rows.length, `${sort} ${order}: every run`);
            assert.deepEqual(ids, [...rows].sort(compare(sort, order)).map((r) => r.id), `${sort} ${order}: sorted with the id tiebreak`);
          }
        }
      } finally {
        await t.close();
      }
    });

    test('paging combines with filters; the default is newest queued first', async () => {
      const t = await openApi(target);
      try {
        const rows = await seed(t);
        const wanted = rows.filter((r) => r.tenant_id === 'acme' && ['succeeded', 'failed', 'queued'].includes(r.status));
        for (const sort of ['duration_ms', 'started_at'] as const) {
          const { ids } = await pageThrough(t, `tenantId=acme&status=succeeded,failed,queued&sort=${sort}&order=asc`, 4);
          assert.deepEqual(ids, [...wanted].sort(compare(sort, 'asc')).map((r) => r.id));
        }
        const first = body<Page>(await t.app.inject({ url: '/api/runs?limit=5' }));
        assert.deepEqual(first.runs.map((r) => r.id), [...rows].sort(compare('queued_at', 'desc')).slice(0, 5).map((r) => r.id));
      } finally {
        await t.close();
      }
    });

    test('filters: job, tenant, status (one or several), trigger, time range [from, to) on queued time', async () => {
      const t = await openApi(target);
      try {
        const rows = await seed(t);
        const check = async (query: string, keep: (r: RunRow) => boolean) => {
          const res = await t.app.inject({ url: `/api/runs?${query}&limit=500` });
          assert.equal(res.statusCode, 200, res.body);
          const got = body<Page>(res).runs.map((r) => r.id).sort();
          const want = rows.filter(keep).map((r) => r.id).sort();
          assert.ok(want.length > 0 && want.length < rows.length, `${query} is a real filter`);
          assert.deepEqual(got, want, query);
        };
        const from = BASE + 3 * MINUTE;
        const to = BASE + 6 * MINUTE;
        await check('jobId=analyse', (r) => r.job_id === 'analyse');
        await check('tenantId=globex', (r) => r.tenant_id === 'globex');
        await check('status=failed', (r) => r.status === 'failed');
        await check('status=queued,running', (r) => r.status === 'queued' || r.status === 'running');
        await check('trigger=dependency', (r) => r.trigger === 'dependency');
        await check(`from=${new Date(from).toISOString()}`, (r) => r.queued_at >= from);
        await check(`to=${new Date(to).toISOString()}`, (r) => r.queued_at < to);
        await check(`from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`, (r) => r.queued_at >= from && r.queued_at < to);
        await check(`jobId=train&tenantId=acme&trigger=slot&status=succeeded,failed,skipped,queued`, (r) => r.job_id === 'train' && r.tenant_id === 'acme' && r.trigger === 'slot' && ['succeeded', 'failed', 'skipped', 'queued'].includes(r.status));
        const one = body<Page>(await t.app.inject({ url: '/api/runs?jobId=etl&limit=1' })).runs[0]!;
        const source = rows.find((r) => r.id === one.id)!;
        assert.equal(one.queuedAt, new Date(source.queued_at).toISOString());
        assert.equal(one.startedAt, source.started_at === null ? null : new Date(source.started_at).toISOString());
        assert.equal(one.durationMs, source.duration_ms);
      } finally {
        await t.close();
      }
    });

    test('refused queries: unknown sort field, bad order, foreign or forged cursor, bad filters — 400 naming the field', async () => {
      const t = await openApi(target);
      try {
        await seed(t);
        const before = await storeSnapshot(t.engine);
        const q = (query: string) => t.app.inject({ url: `/api/runs?${query}` });
        for (const sort of ['id', 'status', 'tenant_id', 'queued_at desc', 'queued_at;drop table runs', 'random()']) {
          assertError(await q(`sort=${encodeURIComponent(sort)}`), { status: 400, code: 'NS_VALIDATION', field: 'sort', message: /sort.*must be one of.*queued_at/ });
        }
        assertError(await q('order=sideways'), { status: 400, code: 'NS_VALIDATION', field: 'order', message: /"asc", "desc"/ });
        const first = body<Page>(await q('sort=run_at&order=asc&limit=3'));
        assert.ok(first.nextCursor);
        assertError(await q(`sort=run_at&order=desc&cursor=${first.nextCursor}`), { status: 400, code: 'NS_VALIDATION', field: 'cursor', message: /same sort and order/ });
        assertError(await q(`sort=started_at&order=asc&cursor=${first.nextCursor}`), { status: 400, code: 'NS_VALIDATION', field: 'cursor' });
        assertError(await q('cursor=not-a-cursor'), { status: 400, code: 'NS_VALIDATION', field: 'cursor', message: /nextCursor/ });
        const forged = Buffer.from(JSON.stringify(['queued_at', 'desc', "1; drop table runs", 'x'])).toString('base64url');
        assertError(await q(`cursor=${forged}`), { status: 400, code: 'NS_VALIDATION', field: 'cursor' });
        assertError(await q('status=done'), { status: 400, code: 'NS_VALIDATION', field: 'status', message: /"done".*succeeded/ });
        assertError(await q('status=failed,nope'), { status: 400, code: 'NS_VALIDATION', field: 'status' });
        assertError(await q('trigger=cron'), { status: 400, code: 'NS_VALIDATION', field: 'trigger' });
        assertError(await q('from=yesterday'), { status: 400, code: 'NS_VALIDATION', field: 'from', message: /date-time/ });
        assertError(await q('to=2026-13-45'), { status: 400, code: 'NS_VALIDATION', field: 'to' });
        assertError(await q('limit=0'), { status: 400, code: 'NS_VALIDATION', field: 'limit' });
        assertError(await q('limit=501'), { status: 400, code: 'NS_VALIDATION', field: 'limit' });
        assertError(await q('limit=ten'), { status: 400, code: 'NS_VALIDATION', field: 'limit', message: /integer/ });
        assertError(await q('jobId=Not%20An%20Id'), { status: 400, code: 'NS_VALIDATION', field: 'jobId' });
        assertError(await q('page=2'), { status: 400, code: 'NS_VALIDATION', field: 'page', message: /unknown field/ });
        assert.deepEqual(await storeSnapshot(t.engine), before);
      } finally {
        await t.close();
      }
    });
  });
}
