/** Dataset and sample store contract: round trip, counting, isolation, atomic batches — on SQLite and PostgreSQL. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { checkDatasetDefinition } from '../../src/data/ingest/dataset-definition.ts';
import { defineDataset, describeDataset } from '../../src/data/ingest/dataset-service.ts';
import { ingestSamples } from '../../src/data/ingest/ingest-service.ts';
import type { RawSample } from '../../src/data/types.ts';
import type { Engine } from '../../src/engine.ts';
import { loadNewestColumns, loadSampleColumns, loadSamples } from '../../src/store/sample-window.ts';
import { countSamplesSince, listCategories } from '../../src/store/samples.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const MIN = 60_000;
const ALL = { since: 0, until: Number.MAX_SAFE_INTEGER };

const SENSORS = {
  entityKey: 'device',
  timestamp: 'time',
  features: [
    { name: 'temp', type: 'numeric', nullable: false },
    { name: 'humidity', type: 'numeric', nullable: true },
    { name: 'site', type: 'categorical', nullable: true },
  ],
  label: { name: 'failed', type: 'binary', nullable: true },
};

async function define(engine: Engine, tenantId: string, id: string, def: unknown = SENSORS) {
  return defineDataset(engine.db, checkDatasetDefinition(tenantId, id, def), engine.clock.now());
}

const ingestJson = (engine: Engine, tenantId: string, datasetId: string, rows: unknown[]) =>
  ingestSamples(engine.db, { tenantId, datasetId, format: 'json', body: JSON.stringify(rows), now: engine.clock.now() });

function rowsFor(n: number, o: { from?: number; site?: (i: number) => string | null } = {}) {
  return Array.from({ length: n }, (_, k) => {
    const i = (o.from ?? 0) + k;
    return {
      device: `dev-${i % 7}`,
      time: T0 + i * MIN,
      temp: 20 + i / 8,
      humidity: i % 5 === 0 ? null : 0.25 * (i % 4),
      site: o.site ? o.site(i) : i % 3 === 0 ? null : `site-${i % 2}`,
      failed: i % 11 === 0 ? null : i % 2 === 0,
    };
  });
}

const asSample = (r: ReturnType<typeof rowsFor>[number]): RawSample => ({
  entity: r.device,
  ts: r.time,
  values: { temp: r.temp, humidity: r.humidity, site: r.site },
  label: r.failed === null ? null : r.failed ? 1 : 0,
});

for (const target of await storeTargets()) {
  describe(`sample store contract (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('ingest, count since and load a window round-trip values and nulls exactly, ordered by ts then entity', async () => {
      const t = await openTestEngine(await target.make());
      try {
        assert.equal(await define(t.engine, 'acme', 'sensors'), 'created');
        assert.equal(await define(t.engine, 'acme', 'sensors'), 'unchanged');
        const rows = rowsFor(500);
        // Sent out of order, with awkward doubles.
        rows[3]!.temp = 0.1 + 0.2;
        rows[4]!.temp = 5e-324;
        rows[5]!.temp = 1e-300;
        rows[6]!.temp = -1.7976931348623157e308;
        const shuffled = [...rows].reverse();
        assert.deepEqual(await ingestJson(t.engine, 'acme', 'sensors', shuffled), { accepted: 500, inserted: 500, updated: 0, rejected: 0 });

        const loaded = await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL);
        assert.deepEqual(loaded, rows.map(asSample), 'values identical, nulls preserved, in ts order');
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'sensors', T0), 500);
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'sensors', T0 + 100 * MIN), 400);
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'sensors', T0 + 500 * MIN), 0);

        const window = await loadSamples(t.engine.db.k, 'acme', 'sensors', { since: T0 + 10 * MIN, until: T0 + 20 * MIN });
        assert.deepEqual(window, rows.slice(10, 20).map(asSample), 'since inclusive, until exclusive');

        const view = await describeDataset(t.engine.db.k, 'acme', 'sensors');
        assert.deepEqual(view.samples, { count: 500, firstTs: T0, lastTs: T0 + 499 * MIN });
        assert.equal(view.lastIngestAt, t.clock.now());
        assert.deepEqual((await listCategories(t.engine.db.k, 'acme', 'sensors')).map((c) => c.value).sort(), ['site-0', 'site-1'], 'categoricals stored once, as codes');
      } finally {
        await t.close();
      }
    });

    test('re-sending a batch is idempotent: same (entity, ts) replaces the stored sample', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        const rows = rowsFor(50);
        assert.deepEqual(await ingestJson(t.engine, 'acme', 'sensors', rows), { accepted: 50, inserted: 50, updated: 0, rejected: 0 });
        assert.deepEqual(await ingestJson(t.engine, 'acme', 'sensors', rows), { accepted: 50, inserted: 0, updated: 50, rejected: 0 });
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'sensors', 0), 50);
        const changed = rows.slice(0, 5).map((r) => ({ ...r, temp: -5, site: 'moved' }));
        // Five stored ones replaced, two new ones beside them: counted apart, in one statement chunk.
        const added = rowsFor(2, { from: 50 });
        assert.deepEqual(await ingestJson(t.engine, 'acme', 'sensors', [...changed, ...added]), { accepted: 7, inserted: 2, updated: 5, rejected: 0 });
        assert.deepEqual(await loadSamples(t.engine.db.k, 'acme', 'sensors', { since: T0 + 50 * MIN, until: T0 + 52 * MIN }), added.map(asSample));
        const loaded = (await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL)).slice(0, 50);
        assert.deepEqual(loaded.slice(0, 5), changed.map(asSample));
        assert.deepEqual(loaded.slice(5), rows.slice(5).map(asSample));
      } finally {
        await t.close();
      }
    });

    test('inserted and updated are counted across statement chunks (4,000 rows each)', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        assert.deepEqual(await ingestJson(t.engine, 'acme', 'sensors', rowsFor(8_500)), { accepted: 8_500, inserted: 8_500, updated: 0, rejected: 0 });
        // Rows 3,000-9,999: 5,500 stored (in the first and second chunks of this batch), 1,500 new (second chunk).
        const again = rowsFor(7_000, { from: 3_000 });
        assert.deepEqual(await ingestJson(t.engine, 'acme', 'sensors', again), { accepted: 7_000, inserted: 1_500, updated: 5_500, rejected: 0 });
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'sensors', 0), 10_000);
      } finally {
        await t.close();
      }
    });

    test('ties on ts are ordered by entity in code-unit order, the same on every dialect', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        const entities = ['b', 'B', 'a', 'A', '_x', 'a-2', 'a_1', 'Ä', 'z'];
        const rows = entities.map((device) => ({ device, time: T0, temp: 1 }));
        await ingestJson(t.engine, 'acme', 'sensors', [...rows, { device: 'first', time: T0 - 1, temp: 2 }]);
        const order = (await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL)).map((s) => s.entity);
        assert.deepEqual(order, ['first', ...[...entities].sort()]);
      } finally {
        await t.close();
      }
    });

    test('a window of some entities only (serving history): the others are not returned', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        const rows = ['a', 'b', 'c'].flatMap((device) => [0, 1, 2].map((k) => ({ device, time: T0 + k * 1000, temp: k })));
        await ingestJson(t.engine, 'acme', 'sensors', rows);
        const picked = await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL, ['c', 'a']);
        assert.deepEqual(picked.map((s) => `${s.entity}@${s.ts - T0}`), ['a@0', 'c@0', 'a@1000', 'c@1000', 'a@2000', 'c@2000']);
        assert.deepEqual(await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL, ['nobody']), []);
      } finally {
        await t.close();
      }
    });

    test('a bad row in the middle of a batch writes nothing: no samples, no dictionary entries', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        await ingestJson(t.engine, 'acme', 'sensors', rowsFor(10));
        const before = await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL);
        const categories = await listCategories(t.engine.db.k, 'acme', 'sensors');
        const batch: Array<Record<string, unknown>> = rowsFor(1000, { from: 10, site: (i) => `new-site-${i}` });
        batch[499] = { ...batch[499], temp: 'hot' };
        await assert.rejects(ingestJson(t.engine, 'acme', 'sensors', batch), (e: { code: string; field: string; details: { errors: unknown[]; errorCount: number } }) => {
          assert.equal(e.code, 'NS_VALIDATION');
          assert.equal(e.field, 'temp');
          assert.deepEqual(e.details.errors, [{ row: 500, field: 'temp', reason: 'expected a number, got the string "hot"' }]);
          assert.equal(e.details.errorCount, 1);
          return true;
        });
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'sensors', 0), 10, 'count unchanged');
        assert.deepEqual(await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL), before);
        assert.deepEqual(await listCategories(t.engine.db.k, 'acme', 'sensors'), categories, 'no new dictionary codes');
      } finally {
        await t.close();
      }
    });

    test('tenants are isolated: the same dataset id is two datasets; another tenant cannot read or write', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        await define(t.engine, 'acme', 'acme-only');
        await define(t.engine, 'globex', 'sensors', { ...SENSORS, features: [{ name: 'pressure', type: 'numeric' }] });
        await ingestJson(t.engine, 'acme', 'sensors', rowsFor(20));
        await ingestJson(t.engine, 'globex', 'sensors', [{ device: 'g1', time: T0, pressure: 1013, failed: 1 }]);
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'sensors', 0), 20);
        assert.equal(await countSamplesSince(t.engine.db.k, 'globex', 'sensors', 0), 1);
        assert.deepEqual(await loadSamples(t.engine.db.k, 'globex', 'sensors', ALL), [{ entity: 'g1', ts: T0, values: { pressure: 1013 }, label: 1 }]);
        // globex cannot see, read or write acme's dataset.
        await assert.rejects(describeDataset(t.engine.db.k, 'globex', 'acme-only'), { code: 'NS_NOT_FOUND' });
        await assert.rejects(loadSamples(t.engine.db.k, 'globex', 'acme-only', ALL), { code: 'NS_NOT_FOUND' });
        await assert.rejects(ingestJson(t.engine, 'globex', 'acme-only', rowsFor(1)), { code: 'NS_NOT_FOUND' });
        assert.equal(await countSamplesSince(t.engine.db.k, 'globex', 'acme-only', 0), 0);
        await assert.rejects(define(t.engine, 'nobody', 'sensors'), { code: 'NS_NOT_FOUND' });
        await assert.rejects(ingestJson(t.engine, 'nobody', 'sensors', rowsFor(1)), { code: 'NS_NOT_FOUND' });
        assert.equal(await countSamplesSince(t.engine.db.k, 'acme', 'acme-only', 0), 0);
      } finally {
        await t.close();
      }
    });

    test('schema changes: free while empty; once samples exist only changes they survive (else NS_CONFLICT)', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        // Empty: anything goes, including retyping a categorical.
        const retyped = { ...SENSORS, features: [SENSORS.features[0], SENSORS.features[1], { name: 'site', type: 'numeric', nullable: true }] };
        assert.equal(await define(t.engine, 'acme', 'sensors', retyped), 'updated');
        assert.equal(await define(t.engine, 'acme', 'sensors'), 'updated');
        await ingestJson(t.engine, 'acme', 'sensors', rowsFor(3));

        await assert.rejects(define(t.engine, 'acme', 'sensors', retyped), (e: { code: string; message: string; details: { reasons: string[] } }) => {
          assert.equal(e.code, 'NS_CONFLICT');
          assert.match(e.message, /feature "site" changed type from categorical to numeric/);
          return true;
        });
        const nonNullableAdded = { ...SENSORS, features: [...SENSORS.features, { name: 'vibration', type: 'numeric', nullable: false }] };
        await assert.rejects(define(t.engine, 'acme', 'sensors', nonNullableAdded), /must be nullable/);
        await assert.rejects(define(t.engine, 'acme', 'sensors', { ...SENSORS, features: SENSORS.features.slice(1) }), /removed, renamed or moved/);
        await assert.rejects(define(t.engine, 'acme', 'sensors', { ...SENSORS, label: { name: 'failed', type: 'numeric', nullable: true } }), /label changed type/);

        const grown = {
          ...SENSORS,
          entityKey: 'machine',
          features: [{ ...SENSORS.features[0]!, nullable: true }, SENSORS.features[1], SENSORS.features[2], { name: 'vibration', type: 'numeric', nullable: true }],
        };
        assert.equal(await define(t.engine, 'acme', 'sensors', grown), 'updated');
        await ingestJson(t.engine, 'acme', 'sensors', [{ machine: 'm1', time: T0 + 99 * MIN, temp: null, vibration: 0.5, site: 'site-1', failed: 0 }]);
        const loaded = await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL);
        assert.deepEqual(loaded.slice(0, 3), rowsFor(3).map((r) => ({ ...asSample(r), values: { ...asSample(r).values, vibration: null } })), 'older rows read the added feature as null');
        assert.deepEqual(loaded[3], { entity: 'm1', ts: T0 + 99 * MIN, values: { temp: null, humidity: null, site: 'site-1', vibration: 0.5 }, label: 0 });
      } finally {
        await t.close();
      }
    });

    test('windows larger than a scan page: whole instants, (ts, entity) order, and columns equal to rows', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        // 20,000 rows at one instant (more than a page), then 30,000 at three per instant (pages end mid-instant).
        const crowd = Array.from({ length: 20_000 }, (_, i) => ({ device: `${i % 2 ? 'A' : 'a'}${i}`, time: T0, temp: i, site: i % 3 ? 'x' : null, failed: i % 2 }));
        const steady = Array.from({ length: 30_000 }, (_, i) => ({ device: ['b', 'B', '_'][i % 3]!, time: T0 + 1 + Math.floor(i / 3), temp: -i, humidity: i / 4, site: `s${i % 4}`, failed: null }));
        await ingestJson(t.engine, 'acme', 'sensors', [...steady, ...crowd]);
        const rows = await loadSamples(t.engine.db.k, 'acme', 'sensors', ALL);
        assert.equal(rows.length, 50_000);
        for (let i = 1; i < rows.length; i += 1) {
          const a = rows[i - 1]!;
          const b = rows[i]!;
          assert.ok(a.ts < b.ts || (a.ts === b.ts && a.entity < b.entity), `row ${i}: (${a.ts}, ${a.entity}) then (${b.ts}, ${b.entity})`);
        }
        const cols = await loadSampleColumns(t.engine.db.k, 'acme', 'sensors', ALL);
        assert.equal(cols.rows, 50_000);
        assert.deepEqual(cols.features.map((f) => f.name), ['temp', 'humidity', 'site']);
        const site = cols.features[2]!.categories!;
        rows.forEach((r, i) => {
          const at = `row ${i}`;
          assert.equal(cols.ts[i], r.ts, at);
          assert.equal(cols.entities[cols.entityIndex[i]!], r.entity, at);
          assert.ok(Number.isNaN(cols.label[i]!) ? r.label === null : cols.label[i] === r.label, at);
          assert.equal(cols.columns[0]![i], r.values.temp, at);
          assert.ok(Number.isNaN(cols.columns[1]![i]!) ? r.values.humidity === null : cols.columns[1]![i] === r.values.humidity, at);
          assert.equal(Number.isNaN(cols.columns[2]![i]!) ? null : site[cols.columns[2]![i]!], r.values.site, at);
        });
        const part = await loadSampleColumns(t.engine.db.k, 'acme', 'sensors', { since: T0 + 1, until: T0 + 11 });
        assert.equal(part.rows, 30);
        assert.deepEqual(part.entities, ['B', '_', 'b']);
      } finally {
        await t.close();
      }
    });

    test('columns equal rows exactly, on one thread and on two: ties in JavaScript order, rows older than the schema, awkward labels', async () => {
      const t = await openTestEngine(await target.make());
      try {
        const levels = { entityKey: 'device', timestamp: 'time', features: [{ ...SENSORS.features[0]!, nullable: true }, SENSORS.features[2]!], label: { name: 'level', type: 'numeric', nullable: true } };
        await define(t.engine, 'acme', 'levels', levels);
        // Six entities at every instant; '\uFF61' sorts before '\u{1F600}' by UTF-8 bytes, after it by UTF-16 code units.
        const devices = ['b', '\uFF61', '\u{1F600}', 'a', 'Z', '\u00e9'];
        const awkward = [0.1 + 0.2, 1e300 / 3, 5e-324, -1.7976931348623157e308, 123456.78901234568, Math.PI, 2 ** 53 - 1, 1 / 3, null, 0, 1];
        const row = (i: number, withVibration: boolean) => ({
          device: devices[i % devices.length]!,
          time: T0 + Math.floor(i / devices.length) * 1000,
          temp: i % 13 === 0 ? null : i / 7,
          site: i % 5 === 0 ? null : `s${i % 3}`,
          ...(withVibration ? { vibration: i % 4 === 0 ? null : -i } : {}),
          level: awkward[i % awkward.length],
        });
        // The first rows are written before the schema gains a feature: they are shorter.
        await ingestJson(t.engine, 'acme', 'levels', Array.from({ length: 3_000 }, (_, i) => row(i, false)));
        await define(t.engine, 'acme', 'levels', { ...levels, features: [...levels.features, { name: 'vibration', type: 'numeric', nullable: true }] });
        await ingestJson(t.engine, 'acme', 'levels', Array.from({ length: 33_000 }, (_, i) => row(3_000 + i, true)));
        const windows = [ALL, { since: T0 + 100_000, until: T0 + 5_500_000 }];
        for (const window of windows) {
          const rows = await loadSamples(t.engine.db.k, 'acme', 'levels', window);
          assert.ok(rows.length > 30_000);
          const firstSeen = [...new Set(rows.map((r) => r.entity))];
          for (const threads of [1, 2]) {
            const cols = await loadSampleColumns(t.engine.db.k, 'acme', 'levels', window, { threads });
            const at = (i: number) => `threads ${threads}, row ${i}`;
            assert.equal(cols.rows, rows.length, at(-1));
            assert.deepEqual(cols.entities, firstSeen, 'entities numbered in order of first appearance');
            const site = cols.features[1]!.categories!;
            const same = (a: number, b: number | null) => (b === null ? Number.isNaN(a) : Object.is(a, b));
            rows.forEach((r, i) => {
              if (cols.ts[i] !== r.ts || cols.entities[cols.entityIndex[i]!] !== r.entity || !same(cols.label[i]!, r.label)) assert.fail(`${at(i)}: (${cols.ts[i]}, ${cols.entities[cols.entityIndex[i]!]}, ${cols.label[i]}) for (${r.ts}, ${r.entity}, ${r.label})`);
              if (!same(cols.columns[0]![i]!, r.values.temp as number | null)) assert.fail(`${at(i)}: temp ${cols.columns[0]![i]} for ${r.values.temp}`);
              if ((Number.isNaN(cols.columns[1]![i]!) ? null : site[cols.columns[1]![i]!]) !== r.values.site) assert.fail(`${at(i)}: site`);
              if (!same(cols.columns[2]![i]!, r.values.vibration as number | null)) assert.fail(`${at(i)}: vibration ${cols.columns[2]![i]} for ${r.values.vibration}`);
            });
          }
        }
      } finally {
        await t.close();
      }
    });

    test("the newest rows of a window in columns: read from the instant of the n-th newest (its ties whole), the same rows as the whole window's tail", async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'sensors');
        // 7 devices per instant from i = 70 on (ties), one a minute before.
        const rows = rowsFor(70).concat(Array.from({ length: 10 }, (_, k) => rowsFor(7, { from: 70 + k }).map((r, d) => ({ ...r, device: `dev-${d}`, time: T0 + (70 + k) * MIN }))).flat());
        await ingestJson(t.engine, 'acme', 'sensors', rows);
        const window = { since: T0, until: T0 + 1_000 * MIN };
        const whole = await loadSampleColumns(t.engine.db.k, 'acme', 'sensors', window);
        assert.equal(whole.rows, 140);
        const tail = (w: typeof whole, n: number) => ({ ts: Array.from(w.ts.subarray(w.rows - n)), temp: Array.from(w.columns[0]!.subarray(w.rows - n)), entity: Array.from(w.entityIndex.subarray(w.rows - n), (e) => w.entities[e]) });
        // The 10 newest: the last instant (7) and 3 of the one before, which comes whole.
        const newest = await loadNewestColumns(t.engine.db.k, 'acme', 'sensors', window, 10);
        assert.equal(newest.rows, 14);
        assert.equal(newest.ts[0], T0 + 78 * MIN);
        assert.deepEqual(tail(newest, 10), tail(whole, 10));
        // Past the ties, on single rows: exactly n.
        const older = await loadNewestColumns(t.engine.db.k, 'acme', 'sensors', { since: T0, until: T0 + 70 * MIN }, 5);
        assert.deepEqual(Array.from(older.ts), [65, 66, 67, 68, 69].map((i) => T0 + i * MIN));
        assert.equal((await loadNewestColumns(t.engine.db.k, 'acme', 'sensors', window, 1_000)).rows, 140, 'fewer than asked: the whole window');
      } finally {
        await t.close();
      }
    });

    test('CSV and NDJSON bodies store the same samples as JSON', async () => {
      const t = await openTestEngine(await target.make());
      try {
        await define(t.engine, 'acme', 'a');
        await define(t.engine, 'acme', 'b');
        await define(t.engine, 'acme', 'c');
        const rows = rowsFor(30);
        await ingestJson(t.engine, 'acme', 'a', rows);
        const csv = ['time,device,temp,humidity,site,failed', ...rows.map((r) => [new Date(r.time).toISOString(), r.device, r.temp, r.humidity ?? '', r.site ?? '', r.failed === null ? '' : String(r.failed)].join(','))].join('\r\n');
        await ingestSamples(t.engine.db, { tenantId: 'acme', datasetId: 'b', format: 'csv', body: csv, now: t.clock.now() });
        const ndjson = rows.map((r) => JSON.stringify(r)).join('\n');
        await ingestSamples(t.engine.db, { tenantId: 'acme', datasetId: 'c', format: 'ndjson', body: ndjson, now: t.clock.now() });
        const a = await loadSamples(t.engine.db.k, 'acme', 'a', ALL);
        assert.deepEqual(await loadSamples(t.engine.db.k, 'acme', 'b', ALL), a);
        assert.deepEqual(await loadSamples(t.engine.db.k, 'acme', 'c', ALL), a);
      } finally {
        await t.close();
      }
    });
  });
}
