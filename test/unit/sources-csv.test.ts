/** CSV source: RFC 4180 parsing, schema mapping, tenant separation, window filtering; the default window. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { createCsvSource, csvField, defaultWindow, parseCsv } from '../../src/data/sources/index.ts';
import type { DatasetSchema } from '../../src/data/types.ts';
import { tempDir } from '../helpers/settings.ts';

const FIXTURES = join(import.meta.dirname, '..', 'fixtures', 'data');
const DAY = 86_400_000;

const schema: DatasetSchema = {
  id: 'readings',
  tenantId: 'acme',
  entityKey: 'device',
  timestamp: 'ts',
  features: [
    { name: 'temp', type: 'numeric', nullable: true },
    { name: 'site', type: 'categorical', nullable: false },
  ],
  label: { name: 'failed', type: 'binary', nullable: true },
};

const JAN1 = Date.UTC(2026, 0, 1);
const DAY1 = { since: JAN1, until: JAN1 + DAY };

const errorWith = (code: string, field: string, message?: RegExp) => (e: unknown) => {
  const err = e as { code?: string; field?: string; message: string };
  assert.equal(err.code, code, err.message);
  assert.equal(err.field, field, err.message);
  if (message) assert.match(err.message, message);
  return true;
};

describe('parseCsv (RFC 4180)', () => {
  test('quotes, doubled quotes, delimiters and line breaks inside quotes, CRLF, empty fields', () => {
    const text = '\uFEFFa,b,c\r\n"x, y","say ""hi""",\r\n"multi\nline",,"last"\n\n1,2,3';
    assert.deepEqual(parseCsv(text), [
      ['a', 'b', 'c'],
      ['x, y', 'say "hi"', ''],
      ['multi\nline', '', 'last'],
      ['1', '2', '3'],
    ]);
  });

  test('another delimiter; a lone quoted empty field is a record, a blank line is not', () => {
    assert.deepEqual(parseCsv('a;b\n""\n\nc;"d;e"\n', { delimiter: ';' }), [['a', 'b'], [''], ['c', 'd;e']]);
  });

  test('malformed quoting is an error naming the line', () => {
    assert.throws(() => parseCsv('a,b\nx"y,z\n'), /line 2: a quote inside an unquoted field/);
    assert.throws(() => parseCsv('a,b\n"x"y,z\n'), /line 2: unexpected "y" after a closing quote/);
    assert.throws(() => parseCsv('a,b\n1,2\n"open,3\n'), /quoted field starting on line 3 is never closed/);
  });

  test('csvField quotes what needs it and parses back', () => {
    const values = ['plain', 'a,b', 'say "x"', 'two\nlines', ' padded ', ''];
    const line = values.map((v) => csvField(v)).join(',');
    assert.deepEqual(parseCsv(line), [values]);
    assert.equal(csvField(null), '');
    assert.equal(csvField(1.5), '1.5');
  });
});

describe('CsvSource', () => {
  test('a tenant column keeps tenants apart; the window is since ≤ ts < until; values follow the schema', async () => {
    const source = createCsvSource({ path: join(FIXTURES, 'readings.csv'), schema, tenantColumn: 'tenant_id' });
    assert.equal(source.kind, 'csv');
    const acme = await source.load('acme', DAY1);
    assert.deepEqual(acme, [
      { entity: 'd1', ts: JAN1, values: { temp: 20.5, site: 'Plant A, north' }, label: 0 },
      { entity: 'd1', ts: JAN1 + 3_600_000, values: { temp: null, site: 'Plant "B"' }, label: 1 },
      { entity: 'd2', ts: JAN1 + 3_600_000, values: { temp: 21, site: 'multi\r\nline' }, label: null },
    ]);
    const globex = await source.load('globex', DAY1);
    assert.deepEqual(globex.map((s) => s.entity), ['g1']);
    // The +01:00 row is 22:00Z on Dec 31; the Jan 3 row is outside too.
    const wide = await source.load('acme', { since: JAN1 - DAY, until: JAN1 + 3 * DAY });
    assert.equal(wide.length, 5);
    assert.ok(wide.some((s) => s.ts === Date.UTC(2025, 11, 31, 22)));
    assert.deepEqual(await source.load('acme', { since: JAN1 + 3_600_000, until: JAN1 + 3_600_000 }), [], 'an empty window');
  });

  test('a per-tenant path template reads the tenant’s own file', async () => {
    const source = createCsvSource({ path: 'per-tenant/{tenant}.csv', cwd: FIXTURES, schema });
    assert.deepEqual((await source.load('acme', DAY1)).map((s) => [s.entity, s.values.temp, s.label]), [
      ['d9', 1, 1],
      ['d9', 2, 0],
    ]);
    assert.deepEqual((await source.load('globex', DAY1)).map((s) => s.entity), ['e1']);
    await assert.rejects(source.load('initech', DAY1), errorWith('NS_NOT_FOUND', 'path'));
    await assert.rejects(source.load('../etc', DAY1), errorWith('NS_VALIDATION', 'tenantId'));
  });

  test('a source that cannot tell tenants apart is refused at config time', () => {
    assert.throws(() => createCsvSource({ path: join(FIXTURES, 'readings.csv'), schema }), errorWith('NS_CONFIG_INVALID', 'path', /\{tenant\}.*tenantColumn/));
    assert.throws(() => createCsvSource({ path: 'x/{tenant}.csv', schema, delimiter: '"' }), errorWith('NS_CONFIG_INVALID', 'delimiter'));
  });

  test('a header without a required column, or a bad value, is an error naming the column', async () => {
    const dir = tempDir('ns-csv-');
    writeFileSync(join(dir, 'a.csv'), 'device,ts,temp\nd1,2026-01-01T00:00:00Z,1\n');
    await assert.rejects(createCsvSource({ path: '{tenant}.csv', cwd: dir, schema }).load('a', DAY1), errorWith('NS_VALIDATION', 'site', /lacks column\(s\) "site"/));
    writeFileSync(join(dir, 'b.csv'), 'device,ts,temp,site,failed\nd1,2026-01-01T00:00:00Z,hot,X,0\n');
    await assert.rejects(createCsvSource({ path: '{tenant}.csv', cwd: dir, schema }).load('b', DAY1), errorWith('NS_VALIDATION', 'temp', /b\.csv line 2/));
    writeFileSync(join(dir, 'c.csv'), 'device,ts,temp,site,failed\nd1,2026-01-01T00:00:00Z,1,,0\n');
    await assert.rejects(createCsvSource({ path: '{tenant}.csv', cwd: dir, schema }).load('c', DAY1), errorWith('NS_VALIDATION', 'site', /not nullable/));
    writeFileSync(join(dir, 'd.csv'), 'device,ts,temp,site,failed\nd1,2026-01-01 00:00,1,X,0\n');
    await assert.rejects(createCsvSource({ path: '{tenant}.csv', cwd: dir, schema }).load('d', DAY1), errorWith('NS_VALIDATION', 'ts', /has no time zone; add Z or an offset/));
    writeFileSync(join(dir, 'e.csv'), 'device,ts,temp,site,failed\nd1,2026-01-01T00:00:00Z,1,X,2\n');
    await assert.rejects(createCsvSource({ path: '{tenant}.csv', cwd: dir, schema }).load('e', DAY1), errorWith('NS_VALIDATION', 'failed', /must be 0, 1, true or false/));
    writeFileSync(join(dir, 'f.csv'), 'device,ts,temp,site,failed\nd1,2026-01-01T00:00:00Z,1,X\n');
    await assert.rejects(createCsvSource({ path: '{tenant}.csv', cwd: dir, schema }).load('f', DAY1), errorWith('NS_VALIDATION', 'csv', /4 fields, the header has 5/));
  });

  test('rows outside the window are not validated', async () => {
    const dir = tempDir('ns-csv-');
    writeFileSync(join(dir, 'a.csv'), 'device,ts,temp,site,failed\nd1,2025-06-01T00:00:00Z,bad,X,0\nd1,2026-01-01T00:00:00Z,1,X,0\n');
    assert.equal((await createCsvSource({ path: '{tenant}.csv', cwd: dir, schema }).load('a', DAY1)).length, 1);
  });

  test('an aborted load stops', async () => {
    const source = createCsvSource({ path: join(FIXTURES, 'readings.csv'), schema, tenantColumn: 'tenant_id' });
    await assert.rejects(source.load('acme', DAY1, AbortSignal.abort()), { name: 'AbortError' });
  });
});

describe('defaultWindow', () => {
  test('the last 180 days by default, or dataRangeDays', () => {
    const now = Date.UTC(2026, 6, 1, 12);
    assert.deepEqual(defaultWindow(now), { since: now - 180 * DAY, until: now });
    assert.deepEqual(defaultWindow(now, 7), { since: now - 7 * DAY, until: now });
    assert.throws(() => defaultWindow(now, 0), errorWith('NS_VALIDATION', 'dataRangeDays'));
  });
});

test('a CSV source and CSV ingest refuse the same values (one set of parsers)', async () => {
  const { sampleFromRecord } = await import('../../src/data/sources/row-mapping.ts');
  const { numberFromText } = await import('../../src/data/ingest/values.ts');
  const schema = { id: 'd', tenantId: 't', entityKey: 'm', timestamp: 'ts', features: [{ name: 'x', type: 'numeric' as const, nullable: false }], label: { name: 'y', type: 'binary' as const, nullable: false } };
  for (const cell of ['0x10', 'NaN', 'Infinity', '1_000']) {
    assert.ok(!(typeof numberFromText(cell) === 'number'), `ingest refuses ${cell}`);
    assert.throws(() => sampleFromRecord({ m: 'a', ts: '2026-01-01T00:00:00Z', x: cell, y: '1' }, schema, () => 'f.csv line 2'), { code: 'NS_VALIDATION', field: 'x' }, `the source refuses ${cell}`);
  }
  assert.equal(sampleFromRecord({ m: 7, ts: new Date('2026-01-01T00:00:00Z'), x: 12n, y: true }, schema, () => 'sql row 1').values.x, 12, 'typed SQL values are read as typed');
});
