/**
 * Fuzzing every route (fast-check). The routes are enumerated from the server itself (the helper the
 * access matrix uses), so a new route is fuzzed without touching this file. For each route, hundreds
 * of query strings, and for each route that takes a body hundreds of bodies: any JSON at all, the
 * route's valid body with one known field given a wrong type or an odd value, unknown keys, huge
 * strings, unicode, NaN-ish strings, deep nesting, text that is not JSON; path parameters take odd
 * ids. Callers are a super admin (JWT) and, for a share of the cases, an admin of tenant acme (API key).
 *
 * Properties, checked on every response:
 * - never a 5xx;
 * - a 4xx carries the error envelope with a documented NS_ code and a message;
 * - after a 4xx the store is exactly as before (a dump of every table, rows ordered by primary key;
 *   UNCHANGED_EXCEPT says why no table is left out).
 * Requests that succeed may change the store (they create tenants, queue trainings...): only the
 * refused ones are compared.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { ERROR_CODES } from '../../src/errors.ts';
import { insertAlerts } from '../../src/store/alerts.ts';
import { PARAM_VALUES, routeSettings, VALID_REQUESTS } from '../fixtures/api/route-requests.ts';
import { newVersion } from '../fixtures/registry/registry-store.ts';
import { nightshiftRoutes, openTestApi, schemaProperties, type RouteInfo, type TestApi } from '../helpers/api.ts';
import { authSettings, bearer, hsToken } from '../helpers/auth.ts';
import { dumpDifferences, storeDumper, type StoreDump } from '../helpers/store-dump.ts';
import { artifactBytesOf, trainedGbdt } from '../unit/serving-fixtures.ts';

/**
 * Tables left out of the comparison after a 4xx, each with why a refused request may move it. None:
 * - the audit log records accepted changes only (a refused request writes no entry);
 * - the rate limiter counts every call of a rate-limited route, refused or not, but on SQLite (this
 *   test's store) its counters are kept in memory; only on PostgreSQL are they rows (rate_limits),
 *   which would belong here;
 * - request logs go to the log stream, not to the store.
 * Every other table must be exactly as before.
 */
const UNCHANGED_EXCEPT: Readonly<Record<string, string>> = {};

/**
 * Cases per route: query strings (fewer for a route that declares no query and no path parameter:
 * any query it gets is refused or ignored as a whole), and bodies for each route that takes one.
 * About 5,900 requests in all: 22 s on a lightly loaded 2-core machine, about 60 s under a heavy
 * load. FUZZ_SCALE multiplies them for a longer run (FUZZ_SCALE=4: 200 query strings and 400
 * bodies per route); a failure prints fast-check's seed, which reproduces it.
 */
const SCALE = Math.max(1, Number(process.env.FUZZ_SCALE ?? 1) || 1);
const QUERY_RUNS = 50 * SCALE;
const NO_INPUT_QUERY_RUNS = 20 * SCALE;
const BODY_RUNS = 100 * SCALE;

// ---------------------------------------------------------------- arbitraries

/** Strings that parse as something else, or break naive parsers, paths and SQL. */
const ODD_STRINGS = [
  '', ' ', 'NaN', 'nan', 'Infinity', '-Infinity', '1e309', '-1e309', '-0', '0x1F', '1_000', '٣', 'null', 'undefined', 'true', 'false', '[]', '{}',
  '[object Object]', '../../etc/passwd', '..', '.', '/', '\\', '\u0000', '\ud800', '\u202e', '💥🔥', 'Ω≈ç√∫', 'e\u0301', '<script>x</script>',
  "' OR 1=1 --", '"; DROP TABLE runs; --', '${x}', '__proto__', 'constructor', 'prototype', 'toString', '-1', '0', '1.5', '1e3', ' 42 ',
  '99999999999999999999', '9007199254740993', '2026-02-30T00:00:00Z', '9999-12-31T23:59:59Z', '0000-01-01', '2026-03-01', 'acme', 'globex', '*', '%', '%zz', '&', '=', '#',
] as const;

const oddString = fc.constantFrom(...ODD_STRINGS);

/** Percent-encodes like a browser; a lone surrogate (which encodeURIComponent refuses) goes as the bytes of an invalid UTF-8 sequence. */
const enc = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return `${[...Buffer.from(s)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('')}%ED%A0%80`;
  }
};
const hugeString = fc.integer({ min: 20_000, max: 300_000 }).map((n) => 'x'.repeat(n));
const text = fc.oneof(
  { weight: 4, arbitrary: oddString },
  { weight: 2, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
);
const scalar = fc.oneof(
  { weight: 4, arbitrary: text },
  { weight: 1, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.double() },
  { weight: 1, arbitrary: fc.constantFrom(-1, 0, 1, 2 ** 31, 2 ** 53 + 2, -(2 ** 63), 1e308, 5e-324, 0.5) },
  { weight: 1, arbitrary: fc.boolean() },
  { weight: 1, arbitrary: fc.constant(null) },
);

/** Arrays or objects nested `depth` deep: the parsers and validators must not recurse themselves to death. */
function nested(depth: number, kind: 'array' | 'object'): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = kind === 'array' ? [v] : { a: v };
  return v;
}
const deep = fc.tuple(fc.integer({ min: 20, max: 3_000 }), fc.constantFrom('array' as const, 'object' as const)).map(([d, kind]) => nested(d, kind));

const value: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 6, arbitrary: scalar },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 5 }) },
  { weight: 1, arbitrary: fc.dictionary(text, scalar, { maxKeys: 4 }) },
  { weight: 1, arbitrary: deep },
  { weight: 1, arbitrary: hugeString },
);

/** Path parameter values: mostly the fixture's (so the route's handler runs), else an odd id. */
const oddId = fc.oneof(
  oddString.filter((s) => s !== '').map((s) => enc(s)),
  fc.constantFrom('%2e%2e', '%2F', '%00', '%C0%AE', '%E0%A4%A', 'a%20b', 'x'.repeat(300), 'ACME', 'Acme', '1.0', '0', '-1', '01', '1e2', '2147483648'),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).map((s) => enc(s)),
);

/** A query-string value, encoded as a browser would, or raw (broken percent escapes, stray delimiters). */
const queryText = fc.oneof(
  { weight: 5, arbitrary: text.map((s) => enc(s)) },
  { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '%E0%A4%A', 'a+b', '1;2', '', '[]', 'a%00b') },
  { weight: 1, arbitrary: fc.integer({ min: 2_000, max: 8_000 }).map((n) => '9'.repeat(n)) },
);

type Schema = Record<string, unknown>;

const EDGE_TIMES = ['1970-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '9999-12-31T23:59:59.999Z', '2026-03-01T00:00:00+14:00', '2026-02-28T23:59:59.999-12:00', '2026-03-29T01:30:00Z', '2026-03-01T00:00:00Z'];

/**
 * Values the field's schema accepts, at its edges (bounds, enum members, pattern matches, longest
 * strings, far dates): they get past the validator, so the handler itself meets them.
 */
function plausible(schema: Schema | undefined, depth = 0): fc.Arbitrary<unknown> {
  if (!schema || depth > 3) return scalar;
  const alternatives = (schema.anyOf ?? schema.oneOf) as Schema[] | undefined;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => plausible(a, depth + 1)));
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return fc.constantFrom(...(schema.enum as unknown[]));
  if ('const' in schema) return fc.constant(schema.const);
  const type = Array.isArray(schema.type) ? (schema.type as string[]).find((x) => x !== 'null') : (schema.type as string | undefined);
  switch (type) {
    case 'integer':
    case 'number': {
      const min = typeof schema.minimum === 'number' ? schema.minimum : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + (type === 'integer' ? 1 : 1e-9) : -(2 ** 53 - 1);
      const max = typeof schema.maximum === 'number' ? schema.maximum : typeof schema.exclusiveMaximum === 'number' ? schema.exclusiveMaximum - (type === 'integer' ? 1 : 1e-9) : 2 ** 53 - 1;
      const inRange = type === 'integer' ? fc.integer({ min: Math.max(min, -(2 ** 31)), max: Math.min(max, 2 ** 31) }) : fc.double({ min, max, noNaN: true });
      return fc.oneof(fc.constantFrom(min, max, Math.min(Math.max(0, min), max)), inRange);
    }
    case 'boolean':
      return fc.boolean();
    case 'string': {
      if (schema.format === 'date-time') return fc.oneof(fc.constantFrom(...EDGE_TIMES), fc.date({ noInvalidDate: true }).map((d) => d.toISOString()));
      const minLength = typeof schema.minLength === 'number' ? schema.minLength : 0;
      const maxLength = typeof schema.maxLength === 'number' ? schema.maxLength : 64;
      const options: Array<fc.Arbitrary<unknown>> = [fc.string({ unit: 'grapheme', minLength, maxLength: Math.min(maxLength, 40) })];
      if (typeof schema.pattern === 'string') {
        try {
          options.push(fc.stringMatching(new RegExp(schema.pattern)).filter((x) => x.length >= minLength && x.length <= maxLength));
          if (maxLength <= 1024) options.push(fc.constant('a'.repeat(maxLength)));
        } catch {
          // A pattern that fast-check cannot invert: the other options remain.
        }
      } else {
        options.push(fc.constantFrom('a'.repeat(Math.max(minLength, 1)), 'é'.repeat(Math.max(minLength, Math.min(maxLength, 200)))));
      }
      return fc.oneof(...options);
    }
    case 'array': {
      const items = plausible(schema.items as Schema | undefined, depth + 1);
      const minItems = typeof schema.minItems === 'number' ? schema.minItems : 0;
      const maxItems = typeof schema.maxItems === 'number' ? Math.min(schema.maxItems, 6) : 6;
      return fc.array(items, { minLength: Math.min(minItems, maxItems), maxLength: maxItems });
    }
    case 'object': {
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      const names = Object.keys(props);
      if (names.length === 0) return fc.dictionary(text, scalar, { maxKeys: 3 });
      const required = new Set((schema.required as string[] | undefined) ?? []);
      return fc.record(Object.fromEntries(names.map((n) => [n, plausible(props[n], depth + 1)])), { requiredKeys: names.filter((n) => required.has(n)) });
    }
    default:
      return scalar;
  }
}

/** Values that parse as the field's kind but are odd for it: crons that never fire, zones that barely exist, extreme durations. */
const BY_NAME: ReadonlyArray<[RegExp, readonly unknown[]]> = [
  [/cron|pattern/i, ['0 0 31 2 *', '0 0 30 2 *', '* * * * * * *', '@yearly', '@reboot', '0 0 L * *', '0 0 * * 5L', '0 0 1W * *', '0 0 * * 1#5', '*/0 * * * *', '60 * * * *', '0 0 29 2 1', '59 23 31 12 *', '0 0 0 * *', '0 0 * * 8', '1-0 * * * *', '0 0 * * MON-SUN/0']],
  [/timezone|zone/i, ['Etc/GMT+14', 'Etc/GMT-14', 'America/Argentina/ComodRivadavia', 'UTC+1', 'Local', 'Z', 'utc', 'Europe/Kyiv', 'Asia/Kathmandu', 'Pacific/Chatham', 'Antarctica/Troll', 'posixrules', 'Factory', 'US/Pacific-New']],
  [/every|jitter|grace|window|timeout|at$|when/i, ['0s', '0', '1ms', '999999d', '1e9h', '-1m', '1.5h', '1h30m', '1 h', 'P1D', 'PT1H', '9007199254740993ms', 'Infinity', 'now', 'queue', '2026-03-29T02:30:00', '2100-01-01T00:00:00Z', 0, -1, 2 ** 53]],
  [/days|limit|version|max|attempts|threshold|points/i, [0, -1, 1e308, 2 ** 31, 2 ** 53, 0.5, '1', '007', 1e-7]],
];
const byName = (field: string): fc.Arbitrary<unknown> | null => {
  const values = BY_NAME.filter(([re]) => re.test(field)).flatMap(([, v]) => v);
  return values.length > 0 ? fc.constantFrom(...values) : null;
};

interface BodyCase {
  /** Sent as is (not JSON-encoded), with `contentType`. */
  raw?: string;
  json?: unknown;
  contentType?: string;
}

const NOT_JSON = ['{', '{"a":', 'nul', '[1,]', '\ufeff{}', '{"a":1}{"b":2}', '"', "{'a':1}", '{"__proto__":{"polluted":1}}', '{"constructor":{"prototype":{"polluted":1}}}', '[' .repeat(5_000)];

function bodyCases(valid: unknown, fields: readonly string[], schema: Schema | undefined, samples: boolean): fc.Arbitrary<BodyCase> {
  const base = valid !== null && typeof valid === 'object' && !Array.isArray(valid) ? (valid as Record<string, unknown>) : {};
  const keys = fields.length > 0 ? fields : ['x'];
  const field = fc.constantFrom(...keys);
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const edge = fc.constantFrom(...keys).chain((k) => {
    const named = byName(k);
    return (named ? fc.oneof(plausible(props[k]), named) : plausible(props[k])).map((v) => [k, v] as const);
  });
  const cases: Array<fc.Arbitrary<BodyCase>> = [
    // Edge values each field's schema accepts: one, two, or the whole body generated from the schema.
    edge.map(([k, v]) => ({ json: { ...base, [k]: v } })),
    fc.tuple(edge, edge).map(([[k1, v1], [k2, v2]]) => ({ json: { ...base, [k1]: v1, [k2]: v2 } })),
    plausible(schema).map((json) => ({ json })),
    value.map((json) => ({ json })),
    fc.tuple(field, value).map(([k, v]) => ({ json: { ...base, [k]: v } })),
    fc.tuple(field, field, value, value).map(([k1, k2, v1, v2]) => ({ json: { ...base, [k1]: v1, [k2]: v2 } })),
    fc.dictionary(field, value, { maxKeys: keys.length }).map((json) => ({ json })),
    fc.tuple(text, value).map(([k, v]) => ({ json: { ...base, [k]: v } })),
    fc.oneof(fc.constantFrom(...NOT_JSON), fc.string({ maxLength: 30 })).map((raw) => ({ raw, contentType: 'application/json' })),
    fc.tuple(fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data', 'application/xml'), fc.string({ maxLength: 30 })).map(([contentType, raw]) => ({ raw, contentType })),
  ];
  if (samples) {
    // The ingest route reads a JSON array, NDJSON or CSV of rows: rows with odd values, and odd text in each format.
    const row = fc.tuple(fc.constantFrom('machine', 'ts', 'temp', 'failed', 'extra'), value).map(([k, v]) => ({ machine: 'm1', ts: '2026-02-01T00:00:00Z', temp: 1, failed: 0, [k]: v }));
    cases.push(
      fc.array(row, { minLength: 1, maxLength: 4 }).map((json) => ({ json })),
      fc.array(row, { minLength: 1, maxLength: 4 }).map((rows) => ({ raw: rows.map((r) => JSON.stringify(r)).join('\n'), contentType: 'application/x-ndjson' })),
      fc.array(fc.array(text, { minLength: 1, maxLength: 5 }), { maxLength: 4 }).map((lines) => ({ raw: ['machine,ts,temp,failed', ...lines.map((l) => l.join(','))].join('\n'), contentType: 'text/csv' })),
    );
  }
  return fc.oneof(...cases);
}

/** Query entries: the route's valid query with odd values, known fields with odd values, unknown keys, repeated keys. */
function queryCases(valid: Record<string, string>, schema: Schema | undefined): fc.Arbitrary<string> {
  const props = (schema?.properties ?? {}) as Record<string, Schema>;
  const fields = Object.keys(props);
  const keys = [...new Set([...fields, ...Object.keys(valid), 'tenantId'])];
  // Values the query schema accepts, at its edges, as text (tenant fields keep the valid query's tenant).
  const edgeFields = fields.filter((k) => !['tenantId', 'organizationId', 'user_id', 'tenant'].includes(k));
  const edge = edgeFields.length > 0
    ? fc.constantFrom(...edgeFields).chain((k) => {
        const named = byName(k);
        return (named ? fc.oneof(plausible(props[k]), named) : plausible(props[k])).map((v) => [k, enc(typeof v === 'string' ? v : JSON.stringify(v))] as const);
      }) : fc.constant(['tenantId', 'acme'] as const);
  const entry = fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...keys) }, { weight: 1, arbitrary: text.map((s) => enc(s)) }, { weight: 1, arbitrary: fc.constantFrom('a[b]', 'tenantId[]', '__proto__', 'limit[0]') }), queryText);
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(edge, { maxLength: 4 }).map((entries) => [...Object.entries(valid).filter(([k]) => !entries.some(([e]) => e === k)).map(([k, v]) => [k, enc(v)]), ...entries]) },
    fc.array(entry, { maxLength: 6 }).map((entries) => [...Object.entries(valid).map(([k, v]) => [k, enc(v)]), ...entries]),
    fc.array(entry, { maxLength: 6 }),
    fc.tuple(fc.constantFrom(...keys), queryText).map(([k, v]) => [...Object.entries(valid).filter(([name]) => name !== k).map(([name, x]) => [name, enc(x)]), [k, v]]),
  ).map((entries) => entries.map(([k, v]) => `${k}=${v}`).join('&'));
}

// ---------------------------------------------------------------- the world

const routeKey = (route: RouteInfo) => `${route.method} ${route.url}`;
const TAKES_BODY = new Set(['POST', 'PUT', 'PATCH']);

describe('fuzzing every route: never a 5xx, and a refused request changes nothing', () => {
  let t: TestApi;
  let routes: RouteInfo[];
  let dump: () => Promise<StoreDump>;
  const callers: Array<{ name: string; headers: Record<string, string> }> = [];

  before(async () => {
    t = await openTestApi({ ...routeSettings(), auth: authSettings() });
    routes = await nightshiftRoutes(t.engine);
    const root = bearer(await hsToken(t.clock.now(), { sub: 'root', role: 'super_admin' }));
    const admin = bearer((await t.engine.keys.create({ tenant: 'acme', role: 'admin', createdBy: 'test' })).token);
    callers.push({ name: 'super_admin', headers: root }, { name: 'admin of acme', headers: admin });

    // Something for every route to act on: a dataset with samples, a model with two versions (one the champion), a channel, an alert.
    const seed = async (route: string, url: string) => {
      const valid = VALID_REQUESTS[route]!;
      const res = await t.app.inject({ method: route.split(' ')[0] as 'PUT', url, payload: typeof valid.body === 'string' ? valid.body : JSON.stringify(valid.body), headers: { ...root, 'content-type': valid.contentType ?? 'application/json' } });
      assert.ok(res.statusCode < 300, `${route}: ${res.statusCode} ${res.body.slice(0, 300)}`);
    };
    await seed('PUT /api/tenants/:tenantId/datasets/:datasetId', '/api/tenants/acme/datasets/readings');
    await seed('POST /api/tenants/:tenantId/datasets/:datasetId/samples', '/api/tenants/acme/datasets/readings/samples');
    await seed('PUT /api/tenants/:tenantId/models/:model', '/api/tenants/acme/models/failure');
    await seed('POST /api/tenants/:tenantId/notification-channels', '/api/tenants/acme/notification-channels');
    const artifact = artifactBytesOf(await trainedGbdt('binary', 3));
    await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), artifact);
    await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), artifact);
    // A champion, so the readiness probes answer 200 (their 503 before any champion is by design).
    await seed('POST /api/tenants/:tenantId/models/:model/promote', '/api/tenants/acme/models/failure/promote');
    const now = t.clock.now();
    await insertAlerts(t.engine.db.k, [
      { id: 'x1', tenant_id: 'acme', model_name: 'failure', subject: '', type: 'STALE_MODEL', severity: 'warning', status: 'open', message: 'stale', value: 40, threshold: 30, opened_at: now, updated_at: now, acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolution: null },
    ]);
    dump = await storeDumper(t.engine, Object.keys(UNCHANGED_EXCEPT));
  });
  after(() => t.close());

  /** Sends one request; a problem with the answer is returned as text (none: undefined). */
  async function check(request: InjectOptions): Promise<string | undefined> {
    // The dump after a refused request is the store as it still is (the comparison proved it), so it
    // serves as the next request's "before"; after an accepted one the store is dumped afresh.
    const before = unchanged ?? (await dump());
    unchanged = null;
    let res: LightMyRequestResponse;
    try {
      res = await t.app.inject(request);
    } catch (error) {
      return `inject threw ${(error as Error).message}`;
    }
    const tally = statuses.get(current) ?? {};
    tally[`${String(res.statusCode)[0]}xx`] = (tally[`${String(res.statusCode)[0]}xx`] ?? 0) + 1;
    statuses.set(current, tally);
    if (res.statusCode >= 500) return `${res.statusCode} ${res.body.slice(0, 300)}`;
    if (res.statusCode < 400) return undefined;
    let code: unknown;
    try {
      const parsed = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
      code = parsed.error?.code;
      if (typeof parsed.error?.message !== 'string' || parsed.error.message.length < 10) return `${res.statusCode} without a useful message: ${res.body.slice(0, 300)}`;
    } catch {
      return `${res.statusCode} with a body that is not JSON: ${res.body.slice(0, 300)}`;
    }
    if (typeof code !== 'string' || !(code in ERROR_CODES)) return `${res.statusCode} with an undocumented code ${String(code)}: ${res.body.slice(0, 300)}`;
    const after = await dump();
    const changed = dumpDifferences(before, after);
    if (changed.length === 0) unchanged = after;
    if (changed.length > 0) return `${res.statusCode} ${res.body.slice(0, 200)} yet the store changed: ${changed.join('; ')}`;
    return undefined;
  }

  /** The route's URL with each path parameter the fixture's value or an odd id. */
  function urlArb(route: RouteInfo): fc.Arbitrary<string> {
    const valid = VALID_REQUESTS[routeKey(route)];
    const names = Object.keys(schemaProperties(route.schema.params));
    const base = route.url.replace('/*', '/index.css');
    if (names.length === 0) return fc.constant(base);
    const param = (name: string) => fc.oneof({ weight: 3, arbitrary: fc.constant(enc(valid?.params?.[name] ?? PARAM_VALUES[name] ?? 'x1')) }, { weight: 1, arbitrary: oddId });
    return fc.tuple(...names.map(param)).map((values) => names.reduce((url, name, i) => url.replace(`:${name}`, values[i]!), base));
  }

  const failures: string[] = [];
  let sent = 0;
  /** Route → status class → count, to see that the cases reach the handlers (2xx) as well as the validators. */
  const statuses = new Map<string, Record<string, number>>();
  let current = '';
  let unchanged: StoreDump | null = null;

  async function fuzz(route: RouteInfo, kind: 'query' | 'body', arb: fc.Arbitrary<InjectOptions>, numRuns: number): Promise<void> {
    current = `${routeKey(route)} ${kind}`;
    const result = await fc.check(
      fc.asyncProperty(arb, async (request) => {
        sent++;
        const problem = await check(request);
        if (problem) throw new Error(problem);
      }),
      { numRuns, endOnFailure: false },
    );
    if (result.failed) {
      const example = result.counterexample?.[0] as InjectOptions | undefined;
      const payload = typeof example?.payload === 'string' ? example.payload.slice(0, 200) : '';
      failures.push(`${routeKey(route)} (${kind}, seed ${result.seed}): ${example?.method} ${String(example?.url).slice(0, 200)} ${payload} → ${(result.errorInstance as Error | undefined)?.message ?? String(result.errorInstance)}`);
    }
  }

  test('the dump sees a row added, changed or removed in any table, and nothing else', async () => {
    const before = await dump();
    assert.deepEqual(dumpDifferences(before, await dump()), []);
    const now = t.clock.now();
    await insertAlerts(t.engine.db.k, [{ id: 'al_dump', tenant_id: 'acme', model_name: 'failure', subject: 'dump', type: 'STALE_MODEL', severity: 'warning', status: 'open', message: 'stale', value: 1, threshold: 1, opened_at: now, updated_at: now, acknowledged_at: null, acknowledged_by: null, resolved_at: null, resolution: null }]);
    const added = await dump();
    assert.match(dumpDifferences(before, added).join(), /^alerts: 1 → 2 rows/);
    await t.engine.db.k.updateTable('alerts').set({ message: 'changed' }).where('id', '=', 'al_dump').execute();
    assert.match(dumpDifferences(added, await dump()).join(), /^alerts: row \d+ changed: .*"message":"stale".*→.*"message":"changed"/);
    await t.engine.db.k.deleteFrom('alerts').where('id', '=', 'al_dump').execute();
    assert.deepEqual(dumpDifferences(before, await dump()), []);
  });

  test('every route: its query strings and, when it takes one, its body', { timeout: 600_000 * SCALE }, async (ctx) => {
    const started = Date.now();
    const caller = fc.oneof({ weight: 3, arbitrary: fc.constant(callers[0]!) }, { weight: 1, arbitrary: fc.constant(callers[1]!) });
    for (const route of routes) {
      const key = routeKey(route);
      const valid = VALID_REQUESTS[key] ?? {};
      const method = route.method as InjectOptions['method'];
      const takesBody = TAKES_BODY.has(route.method);
      const validPayload = valid.body === undefined ? (takesBody ? '{}' : undefined) : typeof valid.body === 'string' ? valid.body : JSON.stringify(valid.body);
      const validType = valid.contentType ?? 'application/json';

      const queries = fc.tuple(urlArb(route), queryCases(valid.query ?? {}, route.schema.querystring as Schema | undefined), caller).map(
        ([url, query, who]): InjectOptions => ({
          method,
          url: query ? `${url}?${query}` : url,
          headers: { ...who.headers, ...(validPayload !== undefined ? { 'content-type': validType } : {}) },
          ...(validPayload !== undefined ? { payload: validPayload } : {}),
        }),
      );
      const hasInput = Object.keys(schemaProperties(route.schema.querystring)).length + Object.keys(schemaProperties(route.schema.params)).length > 0;
      await fuzz(route, 'query', queries, hasInput ? QUERY_RUNS : NO_INPUT_QUERY_RUNS);

      if (!takesBody) continue;
      const bodyFields = [...new Set([...Object.keys(schemaProperties(route.schema.body)), ...Object.keys((valid.body as Record<string, unknown> | undefined) ?? {})])].filter((f) => !/^\d+$/.test(f));
      const samples = route.url.endsWith('/samples');
      const validQuery = new URLSearchParams(valid.query ?? {}).toString();
      const bodies = fc.tuple(urlArb(route), bodyCases(typeof valid.body === 'string' ? {} : valid.body, bodyFields, route.schema.body as Schema | undefined, samples), caller).map(
        ([url, b, who]): InjectOptions => ({
          method,
          url: validQuery ? `${url}?${validQuery}` : url,
          headers: { ...who.headers, ...(b.contentType ? { 'content-type': b.contentType } : { 'content-type': 'application/json' }) },
          payload: b.raw ?? JSON.stringify(b.json) ?? 'null',
        }),
      );
      await fuzz(route, 'body', bodies, BODY_RUNS);
    }
    const seconds = (Date.now() - started) / 1000;
    const total: Record<string, number> = {};
    for (const tally of statuses.values()) for (const [k, n] of Object.entries(tally)) total[k] = (total[k] ?? 0) + n;
    assert.deepEqual(failures, [], `${failures.length} routes failed their properties`);
    // Every case of every route was sent (none skipped by a generator that gave up).
    assert.ok(sent >= routes.length * NO_INPUT_QUERY_RUNS + (routes.filter((r) => TAKES_BODY.has(r.method)).length * BODY_RUNS), `requests sent: ${sent} in ${seconds.toFixed(1)} s`);
    ctx.diagnostic(`fuzzed ${routes.length} routes with ${sent} requests in ${seconds.toFixed(1)} s: ${JSON.stringify(total)}`);
  });
});
