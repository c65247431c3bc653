/**
 * CSV ingest's fast path: the reader (cells as offsets into the body), the exact number readers,
 * and validateCsv — every value rule and the order errors are listed in, whichever path a cell takes.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { CsvReader } from '../../src/data/ingest/csv.ts';
import { plainDecimal, plainInteger } from '../../src/data/ingest/text-numbers.ts';
import { validateCsv } from '../../src/data/ingest/validate-csv.ts';
import type { DatasetSchema } from '../../src/data/types.ts';

const schema: DatasetSchema = {
  id: 'd',
  tenantId: 't',
  entityKey: 'dev',
  timestamp: 'time',
  features: [
    { name: 'temp', type: 'numeric', nullable: false },
    { name: 'hum', type: 'numeric', nullable: true },
    { name: 'site', type: 'categorical', nullable: true },
  ],
  label: { name: 'y', type: 'binary', nullable: false },
};
const T = 1772323200000;
const HEADER = 'dev,time,temp,hum,site,y';

const records = (text: string) => {
  const r = new CsvReader(text);
  const out: Array<{ line: number; cells: string[]; problem: string | null }> = [];
  while (r.next()) out.push({ line: r.line, cells: Array.from({ length: r.count }, (_, i) => r.cell(i)), problem: r.problem });
  return out;
};

/** A batch's rows back as plain objects. */
function rowsOf(text: string, maxRows?: number) {
  const { batch: b, errors } = validateCsv(schema, text, maxRows);
  assert.equal(errors.total, 0, JSON.stringify(errors.first));
  return Array.from({ length: b.rows }, (_, i) => {
    const v = (f: number) => b.values[i * 3 + f]!;
    return { dev: b.entity[i], time: b.ts[i], temp: v(0), hum: Number.isNaN(v(1)) ? null : v(1), site: Number.isNaN(v(2)) ? null : b.categories[2]![v(2)], y: b.label[i] };
  });
}

describe('plain number readers', () => {
  const decimal = (s: string) => plainDecimal(`,${s},`, 1, s.length + 1);

  test('a plain decimal of up to 15 digits is read exactly as Number() reads it (-0 included)', () => {
    const cases = ['0', '-0', '-0.0', '1', '+1', '.5', '5.', '-0.1234', '0.1', '0.30000000000004', '123456789012345', '99999999999999.9', '0.00000000000001', '00012.5000'];
    let seed = 7;
    const rnd = () => ((seed = (seed * 48271) % 2147483647) / 2147483647);
    for (let k = 0; k < 100_000; k += 1) {
      const digits = Array.from({ length: 1 + Math.floor(rnd() * 15) }, () => Math.floor(rnd() * 10)).join('');
      const dot = Math.floor(rnd() * (digits.length + 1));
      cases.push(`${rnd() < 0.5 ? '-' : ''}${digits.slice(0, dot)}${rnd() < 0.8 ? '.' : ''}${digits.slice(dot)}`);
    }
    for (const s of cases) assert.ok(Object.is(decimal(s), Number(s)), `${s}: ${decimal(s)} vs ${Number(s)}`);
  });

  test('anything else is declined (NaN), to be judged by the general parser', () => {
    for (const s of ['', '-', '+', '.', '1e3', '1E-2', '1..2', '1.2.3', ' 1', '1 ', '0x10', '1_0', 'NaN', 'inf', '1234567890123456', '--1', '+-1']) assert.ok(Number.isNaN(decimal(s)), s);
  });

  test('plainInteger: 1 to 15 unsigned digits exactly, else -1', () => {
    const int = (s: string) => plainInteger(`x${s}x`, 1, s.length + 1);
    assert.equal(int('1772323200000'), T);
    assert.equal(int('253402300799999'), 253402300799999);
    assert.equal(int('0001'), 1);
    for (const s of ['', '-5', '+5', '1.0', '1e3', '1234567890123456', ' 1']) assert.equal(int(s), -1, s);
  });
});

describe('CsvReader', () => {
  test('cells, quotes, CRLF / LF / lone CR, blank lines and a BOM; lines counted across quoted line breaks', () => {
    assert.deepEqual(records('\ufeffa,b\r\n"x,""y""",\r\n\r\n"two\nlines",z\rlast,"",'), [
      { line: 1, cells: ['a', 'b'], problem: null },
      { line: 2, cells: ['x,"y"', ''], problem: null },
      { line: 4, cells: ['two\nlines', 'z'], problem: null },
      { line: 6, cells: ['last', '', ''], problem: null },
    ]);
  });

  test('malformed records name their problem; the next record is read normally', () => {
    const got = records('a,b\nx"y,1\n"x"y,2\nok,3\n"open,4\n');
    assert.match(got[1]!.problem!, /double quote inside an unquoted field/);
    assert.match(got[2]!.problem!, /characters after a closing quote/);
    assert.deepEqual(got[3], { line: 4, cells: ['ok', '3'], problem: null });
    assert.match(got[4]!.problem!, /opened on line 5 is never closed/);
  });
});

describe('validateCsv', () => {
  test('fast and general paths give the same values: plain, quoted, spaced, exponent, ISO time, categorical', () => {
    const text = [HEADER, `d1,${T},-0.25,,north,1`, `"d2","${T + 1}","-0.25"," 2 ",,"0"`, `d3, ${T + 2},-2.5e-1,2E0,"north", 1`, 'd4,2026-03-01T00:00:03Z,1,,south,true'].join('\n');
    assert.deepEqual(rowsOf(text), [
      { dev: 'd1', time: T, temp: -0.25, hum: null, site: 'north', y: 1 },
      { dev: 'd2', time: T + 1, temp: -0.25, hum: 2, site: null, y: 0 },
      { dev: 'd3', time: T + 2, temp: -0.25, hum: 2, site: 'north', y: 1 },
      { dev: 'd4', time: T + 3000, temp: 1, hum: null, site: 'south', y: 1 },
    ]);
  });

  test('every bad value is reported with its row, line and column; NaN, Infinity and out-of-range values are refused', () => {
    const text = [HEADER, `d1,${T},NaN,1,,1`, `d1,${T + 1},1,-Infinity,,2`, `,253402300800000,1e999,,,1`, `d1,${T + 3},0x10,,,1`].join('\n');
    const { errors, rows } = validateCsv(schema, text);
    assert.equal(rows, 4);
    // Row order; within a row: entity, time, label, then the features in schema order.
    assert.deepEqual(
      errors.first.map((e) => [e.row, e.line, e.field]),
      [
        [1, 2, 'temp'],
        [2, 3, 'y'],
        [2, 3, 'hum'],
        [3, 4, 'dev'],
        [3, 4, 'time'],
        [3, 4, 'temp'],
        [4, 5, 'temp'],
      ],
    );
    assert.match(errors.first[0]!.reason, /NaN and Infinity are not numbers/);
    assert.match(errors.first.find((e) => e.field === 'time')!.reason, /outside years 1970-9999/);
    assert.match(errors.first.find((e) => e.row === 3 && e.field === 'temp')!.reason, /outside the range of a 64-bit float/);
    assert.equal(errors.first.at(-1)!.reason, '"0x10" is not a number');
  });

  test('malformed records are listed first, and then no value is judged', () => {
    const text = [HEADER, `d1,${T},warm,,,1`, `d1,${T + 1},1,,"open,1`].join('\n');
    const { errors, rows } = validateCsv(schema, text);
    assert.equal(rows, 2);
    assert.deepEqual(errors.first, [{ row: 2, line: 3, field: null, reason: 'a quoted field opened on line 3 is never closed; close it with a double quote' }]);
  });

  test('header errors stop value checks; a row with the wrong number of fields is one error', () => {
    assert.deepEqual(validateCsv(schema, `dev,time,temp,y,nope\nd1,${T},warm,1,1`).errors.first.map((e) => [e.row, e.field]), [[0, 'nope']]);
    const short = validateCsv(schema, `${HEADER}\nd1,${T},1`);
    assert.deepEqual(short.errors.first, [{ row: 1, line: 2, field: null, reason: 'has 3 fields, the header has 6' }]);
  });

  test('nullable columns may be left out of the header; a required one may not', () => {
    assert.deepEqual(rowsOf(`time,dev,y,temp\n${T},d1,0,3`), [{ dev: 'd1', time: T, temp: 3, hum: null, site: null, y: 0 }]);
    assert.match(validateCsv(schema, `dev,time,y\nd1,${T},1`).errors.first[0]!.reason, /column missing from the header/);
  });

  test('the same (entity, time) twice is an error, whether the batch is in time order or not', () => {
    const text = [HEADER, `d1,${T + 5},1,,,1`, `d2,${T},1,,,1`, `d1,${T + 5},2,,,1`, `d2,${T},3,,,0`].join('\n');
    const { errors } = validateCsv(schema, text);
    assert.deepEqual(
      errors.first.map((e) => [e.row, e.field, e.reason]),
      [
        [3, 'time', 'same entity "d1" and timestamp as row 1; send one sample per (entity, timestamp)'],
        [4, 'time', 'same entity "d2" and timestamp as row 2; send one sample per (entity, timestamp)'],
      ],
    );
    assert.equal(rowsOf([HEADER, `d1,${T},1,,,1`, `d2,${T},1,,,1`, `d1,${T + 1},1,,,1`].join('\n')).length, 3, 'two entities at one instant are fine');
  });

  test('more rows than maxRows is reported as truncated; rows counts only those read', () => {
    const text = [HEADER, ...Array.from({ length: 5 }, (_, i) => `d1,${T + i},1,,,1`)].join('\n');
    assert.deepEqual([validateCsv(schema, text, 5).truncated, validateCsv(schema, text, 4).truncated, validateCsv(schema, text, 4).rows], [false, true, 4]);
  });
});
