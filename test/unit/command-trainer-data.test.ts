import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { csvField, writeTrainingData } from '../../src/trainers/command/index.ts';
import type { TrainingSet } from '../../src/trainers/types.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'ns-data-'));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const file = (ext: string) => path.join(scratch, `d${n++}.${ext}`);

const set = (over: Partial<TrainingSet> = {}): TrainingSet => ({
  features: [
    { name: 'temp', type: 'numeric' },
    { name: 'site, "main"', type: 'categorical', categories: ['a', 'b'] },
  ],
  X: { rows: 3, columns: [Float64Array.from([1.5, Number.NaN, -0.1]), Float64Array.from([0, 1, Number.NaN])] },
  y: Float64Array.from([1, 0, 1]),
  ...over,
});

describe('training data files', () => {
  it('CSV: header, label last, NaN as an empty field, quoted names', async () => {
    const f = file('csv');
    assert.equal(await writeTrainingData(f, set(), { format: 'csv', label: 'y' }), 3);
    assert.equal(readFileSync(f, 'utf8'), 'temp,"site, ""main""",y\n1.5,0,1\n,1,0\n-0.1,,1\n');
  });

  it('NDJSON: one object per row, NaN as null', async () => {
    const f = file('ndjson');
    await writeTrainingData(f, set(), { format: 'ndjson', label: 'y' });
    const rows = readFileSync(f, 'utf8').trimEnd().split('\n').map((l) => JSON.parse(l) as unknown);
    assert.deepEqual(rows, [
      { temp: 1.5, 'site, "main"': 0, y: 1 },
      { temp: null, 'site, "main"': 1, y: 0 },
      { temp: -0.1, 'site, "main"': null, y: 1 },
    ]);
  });

  it('numbers round-trip exactly; many rows are written in chunks', async () => {
    const rows = 5_003;
    const x = Float64Array.from({ length: rows }, (_, i) => (i % 7 === 0 ? Number.NaN : Math.sin(i) * 1e-7 + i));
    const f = file('csv');
    await writeTrainingData(f, { features: [{ name: 'x', type: 'numeric' }], X: { rows, columns: [x] }, y: Float64Array.from({ length: rows }, (_, i) => i / 3) }, { format: 'csv', label: 'y' });
    const lines = readFileSync(f, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, rows + 1);
    lines.slice(1).forEach((line, i) => {
      const [a, b] = line.split(',');
      assert.ok(a === '' ? Number.isNaN(x[i]) : Number(a) === x[i], `row ${i}`);
      assert.equal(Number(b), i / 3);
    });
  });

  it('an empty set is a header only', async () => {
    const f = file('csv');
    await writeTrainingData(f, { features: [{ name: 'x', type: 'numeric' }], X: { rows: 0, columns: [new Float64Array(0)] }, y: new Float64Array(0) }, { format: 'csv', label: 'y' });
    assert.equal(readFileSync(f, 'utf8'), 'x,y\n');
  });

  it('refuses what neither format can carry, naming the column and row', async () => {
    await assert.rejects(writeTrainingData(file('csv'), set({ y: Float64Array.from([1, Number.NaN, 0]) }), { format: 'csv', label: 'y' }), { code: 'NS_VALIDATION', message: /label "y" is missing \(NaN\) at row 1/ });
    const inf = set({ X: { rows: 3, columns: [Float64Array.from([1, Infinity, 0]), Float64Array.from([0, 0, 0])] } });
    await assert.rejects(writeTrainingData(file('ndjson'), inf, { format: 'ndjson', label: 'y' }), { message: /column "temp" holds Infinity at row 1/ });
    await assert.rejects(writeTrainingData(file('csv'), set(), { format: 'csv', label: 'temp' }), { message: /"temp" appears twice/ });
    await assert.rejects(writeTrainingData(file('csv'), set({ y: new Float64Array(2) }), { format: 'csv', label: 'y' }), { message: /label has 2 values, expected 3/ });
  });

  it('quotes CSV fields only when needed', () => {
    assert.equal(csvField('plain'), 'plain');
    assert.equal(csvField('a,b'), '"a,b"');
    assert.equal(csvField('say "hi"'), '"say ""hi"""');
    assert.equal(csvField(' padded'), '" padded"');
  });
});
