/** GBDT WebAssembly kernels against plain reference loops: quantized pairs, histograms, partition, scores, binning, tree walks. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binOnTeam } from '../../src/trainers/gbdt/bin-matrix.ts';
import { binColumn, binSampleRows, computeBinEdges, edgeScratch, MISSING_BIN } from '../../src/trainers/gbdt/binning.ts';
import { scoreInitial } from '../../src/trainers/gbdt/boost.ts';
import { forestBytes } from '../../src/trainers/gbdt/forest.ts';
import { addRows, BUILD, cellTotals, clearHistograms, mergePartial, planGroups, searchFeature, subtractHistogram } from '../../src/trainers/gbdt/histogram.ts';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { kernelModule } from '../../src/trainers/gbdt/kernels.ts';
import { GATHER } from '../../src/trainers/gbdt/kernels-rows.ts';
import { OBJECTIVES } from '../../src/trainers/gbdt/objective.ts';
import { predictRaw } from '../../src/trainers/gbdt/predict.ts';
import { quantization } from '../../src/trainers/gbdt/quantize.ts';
import type { LeafSums, SplitRules } from '../../src/trainers/gbdt/split.ts';
import { gatherRows, partitionLeaf, placeChunk, scanChunk, scoreRows } from '../../src/trainers/gbdt/team-tasks.ts';
import { ThreadTeam } from '../../src/trainers/gbdt/thread-team.ts';
import { allocateMemory, bufferAddress, histAddress, openWorkspace, type Workspace, type WorkspaceShape } from '../../src/trainers/gbdt/workspace.ts';
import { lcg, nonlinear } from '../fixtures/gbdt/data.ts';

const ROWS = 5000;
const FEATURES = 5;

function workspace(seed: number, threads = 1): Workspace {
  const shape: WorkspaceShape = { rows: ROWS, features: FEATURES, slots: 3, leaves: 8, forestBytes: 0, withHess: true, threads };
  const ws = openWorkspace(shape, allocateMemory(shape), kernelModule());
  const r = lcg(seed);
  for (const col of ws.bins) for (let i = 0; i < ROWS; i++) col[i] = r() < 0.05 ? MISSING_BIN : Math.floor(r() * 40);
  for (let i = 0; i < ROWS; i++) ws.y[i] = r() < 0.3 ? 1 : 0;
  ws.kernels.transpose(ws.at.bins, ROWS, FEATURES, ws.at.records, 0, ROWS); // the records (row-major codes) too
  return ws;
}

/** Int64 lanes of the memory from byte address `at`. */
const lanes = (ws: Workspace, at: number, count: number) => new BigInt64Array(ws.memory.buffer, at, count);

/** Quantized gradient pairs of every row, as a log-loss training stores them. */
function fillPairs(ws: Workspace, seed: number) {
  const r = lcg(seed);
  for (let i = 0; i < ROWS; i++) {
    ws.gh[2 * i] = r() - 0.5;
    ws.gh[2 * i + 1] = r() * 0.25;
  }
  const q = quantization(ROWS, 1, 0.25);
  ws.kernels.quantizePairs(ws.at.gh, 0, ROWS, q.gScale, q.hScale, q.countBits);
  return q;
}

/** Every other row, from 7 on: an ascending leaf like the grower's. */
const someRows = (ws: Workspace) => {
  let n = 0;
  for (let r = 7; r < ROWS; r += 2) ws.idx[n++] = r;
  return n;
};

test('gradient pairs are quantized to nearest(g · 2^gExp) and nearest(h · 2^hExp) · 2^countBits + 1', () => {
  const ws = workspace(1);
  const r = lcg(2);
  const g = Float64Array.from({ length: ROWS }, () => (r() - 0.5) * 2);
  const h = Float64Array.from({ length: ROWS }, () => r() * 0.25);
  g[0] = 1;
  g[1] = -1;
  h[2] = 1e-16; // below half a unit: 0
  for (let i = 0; i < ROWS; i++) [ws.gh[2 * i], ws.gh[2 * i + 1]] = [g[i]!, h[i]!];
  const q = quantization(ROWS, 1, 0.25);
  assert.equal(q.countBits, 13); // 2^13 > 5000
  assert.ok(ROWS * q.gScale <= 2 ** 61 && ROWS * 0.25 * q.hScale * 2 ** q.countBits <= 2 ** 61);
  assert.ok(2 * ROWS * q.gScale > 2 ** 61, 'the largest exponent that fits');
  ws.kernels.quantizePairs(ws.at.gh, 0, ROWS, q.gScale, q.hScale, q.countBits);
  const pairs = lanes(ws, ws.at.gh, 2 * ROWS);
  for (let i = 0; i < ROWS; i++) {
    assert.equal(pairs[2 * i], BigInt(Math.round(g[i]! * q.gScale)), `g of row ${i}`);
    assert.equal(pairs[2 * i + 1], (BigInt(Math.round(h[i]! * q.hScale)) << BigInt(q.countBits)) + 1n, `h of row ${i}`);
  }
  // Unit hessians (squared error): lane 1 is the count alone.
  const u = quantization(ROWS, 7.5, null);
  ws.gh[0] = 7.5;
  ws.gh[1] = 1;
  ws.kernels.quantizePairs(ws.at.gh, 0, 1, u.gScale, u.hScale, u.countBits);
  assert.deepEqual([...lanes(ws, ws.at.gh, 2)], [BigInt(7.5 * u.gScale), 1n]);
});

test('histograms sum the quantized pairs and counts per bin exactly; unpacked cells are [G, H, count]', () => {
  const ws = workspace(3);
  const q = fillPairs(ws, 4);
  const pairs = lanes(ws, ws.at.gh, 2 * ROWS);
  const n = someRows(ws);
  gatherRows(ws, 0, n, GATHER.RECORDS);
  const features = Int32Array.from([4, 0, 1, 2, 3]);
  for (const count of [5, 3, 1]) {
    for (const mode of [BUILD.INDEXED, BUILD.ORDERED, BUILD.ROOT]) {
      const indexed = mode !== BUILD.ROOT;
      const [start, end] = indexed ? [3, n - 5] : [0, ROWS];
      clearHistograms(ws, 0, 1, features, count);
      const plan = planGroups(count);
      addRows(ws, 0, 1, features, plan, plan.length / 2, start, end, mode);
      for (let j = 0; j < count; j++) {
        const f = features[j]!;
        const want = new BigInt64Array(512);
        for (let i = start; i < end; i++) {
          const row = indexed ? ws.idx[i]! : i;
          const k = 2 * ws.bins[f]![row]!;
          want[k] = want[k]! + pairs[2 * row]!;
          want[k + 1] = want[k + 1]! + pairs[2 * row + 1]!;
        }
        assert.deepEqual(lanes(ws, histAddress(ws, 1, f), 512), want, `feature ${f}, ${count} features, mode ${mode}`);
        ws.kernels.unpackCells(histAddress(ws, 1, f), ws.at.scratch, 256, q.gUnit, q.hUnit, q.countBits, q.countMask);
        const view = new Float64Array(ws.memory.buffer, ws.at.scratch, 768);
        for (let b = 0; b < 256; b++) {
          const lane1 = want[2 * b + 1]!;
          const c = Number(lane1 & ((1n << BigInt(q.countBits)) - 1n));
          assert.equal(view[3 * b], Number(want[2 * b]!) * q.gUnit);
          assert.equal(view[3 * b + 1], Number(lane1 >> BigInt(q.countBits)) * q.hUnit);
          assert.equal(view[3 * b + 2], c);
        }
        const totals = cellTotals(ws, 0, 1, f, q);
        assert.equal(totals.count, end - start);
      }
    }
  }
});

test('a build split between threads, merged, equals the one-thread build; the sibling is parent − built, exactly', () => {
  const ws = workspace(5, 2);
  fillPairs(ws, 6);
  const n = someRows(ws);
  gatherRows(ws, 0, n, GATHER.RECORDS);
  const features = Int32Array.from([0, 1, 2, 3, 4]);
  const plan = planGroups(FEATURES);
  const bytes = FEATURES * 512;
  clearHistograms(ws, 0, 0, features, FEATURES);
  addRows(ws, 0, 0, features, plan, plan.length / 2, 0, n, BUILD.ORDERED);
  const whole = lanes(ws, histAddress(ws, 0, 0), bytes).slice();
  // Thread 0 adds rows [0, 1000) and [2000, n) into slot 1, thread 1 rows [1000, 2000) into its partials.
  clearHistograms(ws, 0, 1, features, FEATURES);
  clearHistograms(ws, 1, 1, features, FEATURES);
  addRows(ws, 0, 1, features, plan, plan.length / 2, 2000, n, BUILD.INDEXED);
  addRows(ws, 1, 1, features, plan, plan.length / 2, 1000, 2000, BUILD.ORDERED);
  addRows(ws, 0, 1, features, plan, plan.length / 2, 0, 1000, BUILD.ORDERED);
  assert.notEqual(bufferAddress(ws, 1, 1, 0), histAddress(ws, 1, 0));
  for (let f = 0; f < FEATURES; f++) mergePartial(ws, 1, 1, f);
  assert.deepEqual(lanes(ws, histAddress(ws, 1, 0), bytes), whole);
  // Slot 2 = all rows (the parent); subtracting the built child leaves exactly the other rows.
  clearHistograms(ws, 0, 2, features, FEATURES);
  addRows(ws, 0, 2, features, plan, plan.length / 2, 0, ROWS, BUILD.ROOT);
  for (let f = 0; f < FEATURES; f++) subtractHistogram(ws, 2, 1, f);
  for (let i = 0; i < ROWS; i++) ws.idx[i] = i % 2 === 1 && i >= 7 ? -1 : i; // the rows someRows did not take
  let m = 0;
  for (let i = 0; i < ROWS; i++) if (ws.idx[i] !== 0xffffffff) ws.idx[m++] = ws.idx[i]!;
  gatherRows(ws, 0, m, GATHER.RECORDS);
  clearHistograms(ws, 0, 0, features, FEATURES);
  addRows(ws, 0, 0, features, plan, plan.length / 2, 0, m, BUILD.INDEXED);
  assert.deepEqual(lanes(ws, histAddress(ws, 2, 0), bytes), lanes(ws, histAddress(ws, 0, 0), bytes));
});

test('the partition is stable, puts missing values on their side, and gathers the chosen side; chunked or not', () => {
  for (const missingLeft of [false, true]) {
    for (const chunk of [Infinity, 333]) {
      const ws = workspace(2);
      fillPairs(ws, 7);
      const gh = lanes(ws, ws.at.gh, 2 * ROWS);
      const ogh = lanes(ws, ws.at.ogh, 2 * ROWS);
      const n = someRows(ws);
      const [start, end] = [11, n - 3];
      const rows = [...ws.idx.slice(start, end)];
      const goesLeft = (r: number) => {
        const b = ws.bins[3]![r]!;
        return b === MISSING_BIN ? missingLeft : b <= 17;
      };
      const want = [...rows.filter(goesLeft), ...rows.filter((r) => !goesLeft(r))];
      const mid = start + rows.filter(goesLeft).length;
      const split = { feature: 3, bin: 17, missingLeft };
      // Phase 1 per chunk, then phase 2 per chunk with the lefts before it (as the thread team does).
      const lefts: number[] = [];
      for (let a = start; a < end; a += Math.min(chunk, end - start)) lefts.push(scanChunk(ws, a, Math.min(end, a + chunk), split.feature, split.bin, split.missingLeft));
      assert.equal(lefts.reduce((s, l) => s + l, 0), mid - start);
      let before = 0;
      lefts.forEach((l, u) => {
        const a = start + u * Math.min(chunk, end - start);
        placeChunk(ws, start, mid, a, Math.min(end, a + chunk), before, l, GATHER.NONE, GATHER.RECORDS);
        before += l;
      });
      assert.deepEqual([...ws.idx.slice(start, end)], want);
      const records = new Uint8Array(ws.memory.buffer, ws.at.records, ROWS * FEATURES);
      const ordered = new Uint8Array(ws.memory.buffer, ws.at.orecords, ROWS * FEATURES);
      for (let i = mid; i < end; i++) {
        assert.equal(ogh[2 * i], gh[2 * ws.idx[i]!]);
        assert.equal(ogh[2 * i + 1], gh[2 * ws.idx[i]! + 1]);
        const row = ws.idx[i]!;
        assert.deepEqual(ordered.subarray(i * FEATURES, (i + 1) * FEATURES), records.subarray(row * FEATURES, (row + 1) * FEATURES));
        for (let f = 0; f < FEATURES; f++) assert.equal(records[row * FEATURES + f], ws.bins[f]![row]);
      }
      // The one-thread path: in place, one pass.
      const other = workspace(2);
      fillPairs(other, 7);
      const otherGh = lanes(other, other.at.gh, 2 * ROWS);
      const otherOgh = lanes(other, other.at.ogh, 2 * ROWS);
      someRows(other);
      const tail = other.idx[end]; // a row outside the leaf must stay where it is
      assert.equal(partitionLeaf(other, start, end, mid, split.feature, split.bin, split.missingLeft, GATHER.PAIRS, GATHER.NONE), mid - start);
      assert.deepEqual([...other.idx.slice(start, end)], want);
      assert.equal(other.idx[end], tail);
      for (let i = start; i < mid; i++) assert.equal(otherOgh[2 * i], otherGh[2 * other.idx[i]!]);
      for (let i = mid; i < end; i++) assert.equal(otherOgh[2 * i], 0n);
    }
  }
});

test('score updates keep e^−raw in step; by ranges of row ids they equal one pass, and log-loss pairs follow the Math.exp formula', () => {
  const ws = workspace(3);
  const r = lcg(4);
  for (let i = 0; i < ROWS; i++) {
    ws.raw[i] = (r() - 0.5) * 6;
    ws.ex[i] = Math.exp(-ws.raw[i]!);
  }
  const raw0 = ws.raw.slice();
  const ex0 = ws.ex.slice();
  const n = someRows(ws);
  ws.kernels.addLeafExp(ws.at.idx, ws.at.raw, ws.at.ex, 0, n, 0.25, Math.exp(-0.25));
  for (let i = 0; i < ROWS; i++) {
    const inLeaf = i >= 7 && (i - 7) % 2 === 0;
    assert.equal(ws.raw[i], inLeaf ? raw0[i]! + 0.25 : raw0[i]);
    assert.equal(ws.ex[i], inLeaf ? ex0[i]! * Math.exp(-0.25) : ex0[i]);
    assert.ok(Math.abs(ws.ex[i]! / Math.exp(-ws.raw[i]!) - 1) < 1e-14);
  }
  // Two leaves over all rows: [0, n) as above, then the rest; ranges of 700 row ids vs one pass.
  let m = n;
  for (let i = 0; i < ROWS; i++) if (i < 7 || (i - 7) % 2 === 1) ws.idx[m++] = i;
  ws.leafTable.set([0, n, -0.5, n, ROWS, 0.125]);
  const objective = OBJECTIVES.binary_logloss;
  const q = quantization(ROWS, 1, 0.25);
  const other = workspace(3);
  other.raw.set(ws.raw);
  other.ex.set(ws.ex);
  other.idx.set(ws.idx);
  other.leafTable.set([0, n, -0.5, n, ROWS, 0.125]);
  scoreRows(ws, objective, 0, ROWS, 2, true, q);
  for (let a = 0; a < ROWS; a += 700) scoreRows(other, objective, a, Math.min(ROWS, a + 700), 2, true, q);
  assert.deepEqual(other.raw, ws.raw);
  assert.deepEqual(other.ex, ws.ex);
  assert.deepEqual(lanes(other, other.at.gh, 2 * ROWS), lanes(ws, ws.at.gh, 2 * ROWS));
  // The pairs from e^−raw are those of the exact (Math.exp) path, up to e^−raw's rounding.
  const exact = workspace(3);
  exact.raw.set(ws.raw);
  objective.gradients(exact, 0, ROWS, true, q);
  const a = lanes(ws, ws.at.gh, 2 * ROWS);
  const b = lanes(exact, exact.at.gh, 2 * ROWS);
  for (let i = 0; i < 2 * ROWS; i++) assert.ok(Math.abs(Number(a[i]! - b[i]!)) <= 2 ** 16, `lane ${i}`);
});

test('binning on a thread team gives the edges of computeBinEdges on the seeded sample, the codes of binColumn and the row records', async () => {
  const r = lcg(6);
  const columns = Array.from({ length: FEATURES }, (_, f) => Float64Array.from({ length: ROWS }, () => {
    const u = r();
    if (u < 0.02) return NaN;
    if (u < 0.03) return u < 0.025 ? Infinity : -Infinity;
    return f === 4 ? Math.floor(r() * 3) : (r() - 0.5) * 1000;
  }));
  const X = { rows: ROWS, columns };
  for (const threads of [1, 2]) {
    for (const sampleLimit of [1000, ROWS]) {
      const shape: WorkspaceShape = { rows: ROWS, features: FEATURES, slots: 2, leaves: 8, forestBytes: 0, withHess: true, threads };
      const ws = openWorkspace(shape, allocateMemory(shape), kernelModule());
      const team = ThreadTeam.spawn(ws, OBJECTIVES.binary_logloss);
      await team.start();
      try {
        const { edges } = binOnTeam(team, ws, X, null, 17, sampleLimit, 3);
        const sample = binSampleRows(ROWS, sampleLimit, 3);
        columns.forEach((c, f) => {
          assert.deepEqual(edges[f], computeBinEdges(c, 17, sample), `edges of feature ${f}`);
          const want = new Uint8Array(ROWS);
          binColumn(c, edges[f]!, want, ROWS);
          assert.deepEqual(ws.bins[f], want, `codes of feature ${f}`);
        });
        const records = new Uint8Array(ws.memory.buffer, ws.at.records, ROWS * FEATURES);
        for (let i = 0; i < ROWS; i += 97) for (let f = 0; f < FEATURES; f++) assert.equal(records[i * FEATURES + f], ws.bins[f]![i]);
        // Given edges (an initial model's) are kept as they are.
        const given = columns.map((c) => computeBinEdges(c, 255, null));
        assert.equal(binOnTeam(team, ws, X, given, 255, sampleLimit, 3).edges, given);
        columns.forEach((c, f) => {
          const want = new Uint8Array(ROWS);
          binColumn(c, given[f]!, want, ROWS);
          assert.deepEqual(ws.bins[f], want, `codes of feature ${f} with given edges`);
        });
      } finally {
        await team.close();
      }
    }
  }
});

test('an initial model walked over the bins scores rows exactly as predictRaw over the raw values', async () => {
  const data = nonlinear(4001, 6, 8, 0.05); // not a multiple of the four rows walked in step
  const { model } = await trainGbdt(data, { objective: 'binary_logloss', numTrees: 12, maxLeaves: 9 }, { seed: 2 });
  const shape: WorkspaceShape = { rows: data.X.rows, features: 6, slots: 2, leaves: 9, forestBytes: forestBytes(model.body.trees), withHess: true, threads: 1 };
  const ws = openWorkspace(shape, allocateMemory(shape), kernelModule());
  const team = ThreadTeam.spawn(ws, OBJECTIVES.binary_logloss);
  binOnTeam(team, ws, data.X, model.body.binEdges, 255, 1000, 1);
  await team.close();
  scoreInitial(model, data, ws, ws.raw);
  assert.deepEqual(ws.raw, predictRaw(model.body, data.X)); // the JavaScript walk over the raw values
});

test('the WebAssembly radix sort of bin edges orders values as a typed array sort does (−0 before +0, negatives, duplicates)', () => {
  const r = lcg(9);
  for (const size of [1500, 20_000]) {
    const scratch = edgeScratch(size);
    for (let trial = 0; trial < 3; trial++) {
      const count = size - trial * 7;
      const want = new Float64Array(count);
      for (let i = 0; i < count; i++) {
        const u = r();
        const v = u < 0.05 ? (u < 0.025 ? -0 : 0) : u < 0.3 ? Math.round((r() - 0.5) * 40) : (r() - 0.5) * 10 ** (r() * 600 - 300);
        want[i] = v;
        scratch.values[i] = v;
      }
      want.sort();
      const got = scratch.sort(count);
      assert.equal(got.length, count);
      for (let i = 0; i < count; i++) assert.ok(Object.is(got[i], want[i]), `value ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
});

/** The split search of one feature in plain JavaScript (split.ts before it became a kernel), over unpacked [G, H, count] cells. */
function referenceSplit(view: Float64Array, numBins: number, total: LeafSums, rules: SplitRules, withHess: boolean): number[] | null {
  if (numBins < 2) return null;
  const score = (g: number, h: number) => (h + rules.l2 > 0 ? (g * g) / (h + rules.l2) : 0);
  const parent = score(total.g, total.h);
  let best: number[] | null = null;
  let bestGain = rules.minSplitGain;
  const [mg, mc] = [view[3 * 255]!, view[3 * 255 + 2]!];
  const mh = withHess ? view[3 * 255 + 1]! : mc;
  let [gl, hl, cl] = [0, 0, 0];
  for (let b = 0; b < numBins - 1; b++) {
    gl += view[3 * b]!;
    const c = view[3 * b + 2]!;
    cl += c;
    hl += withHess ? view[3 * b + 1]! : c;
    const cr = total.count - cl;
    if (cr < rules.minSamplesLeaf) break;
    const hr = total.h - hl;
    if (cl >= rules.minSamplesLeaf && hl >= rules.minChildWeight && hr >= rules.minChildWeight) {
      const gain = score(gl, hl) + score(total.g - gl, hr) - parent;
      if (gain > bestGain && gain > 1e-12 * (parent + gain)) [bestGain, best] = [gain, [gain, b, mc > 0 ? 0 : cl >= cr ? 1 : 0, gl, hl, cl]];
    }
    if (mc > 0) {
      const [cl2, hl2] = [cl + mc, hl + mh];
      const [cr2, hr2] = [total.count - cl2, total.h - hl2];
      if (cl2 >= rules.minSamplesLeaf && cr2 >= rules.minSamplesLeaf && hl2 >= rules.minChildWeight && hr2 >= rules.minChildWeight) {
        const gl2 = gl + mg;
        const gain = score(gl2, hl2) + score(total.g - gl2, hr2) - parent;
        if (gain > bestGain && gain > 1e-12 * (parent + gain)) [bestGain, best] = [gain, [gain, b, 1, gl2, hl2, cl2]];
      }
    }
  }
  return best;
}

test('the split search kernel finds exactly what the plain JavaScript scan finds (missing values either side, unit hessians, rules)', () => {
  const r = lcg(10);
  for (const withHess of [true, false]) {
    const shape: WorkspaceShape = { rows: ROWS, features: FEATURES, slots: 2, leaves: 8, forestBytes: 0, withHess, threads: 1 };
    const ws = openWorkspace(shape, allocateMemory(shape), kernelModule());
    for (let trial = 0; trial < 60; trial++) {
      const q = withHess ? quantization(ROWS, 1, 0.25) : quantization(ROWS, 3, null);
      const missing = trial % 3 === 0 ? 0 : Math.floor(r() * 40);
      for (let i = 0; i < ROWS; i++) {
        for (let f = 0; f < FEATURES; f++) ws.bins[f]![i] = i < missing ? MISSING_BIN : Math.floor(r() * (trial % 5 === 0 ? 3 : 200));
        ws.gh[2 * i] = (r() - 0.3) * (withHess ? 1 : 3);
        ws.gh[2 * i + 1] = r() * 0.25;
      }
      ws.kernels.quantizePairs(ws.at.gh, 0, ROWS, q.gScale, q.hScale, q.countBits);
      const features = Int32Array.from([0, 1, 2, 3, 4]);
      clearHistograms(ws, 0, 0, features, FEATURES);
      addRows(ws, 0, 0, features, planGroups(FEATURES), planGroups(FEATURES).length / 2, 0, ROWS, BUILD.ROOT);
      const rules = { l2: trial % 2 === 0 ? 0 : 1.5, minSamplesLeaf: 1 + Math.floor(r() * 300), minChildWeight: trial % 4 === 0 ? 50 : 1e-3, minSplitGain: 0 };
      const sums = cellTotals(ws, 0, 0, 0, q);
      for (let f = 0; f < FEATURES; f++) {
        ws.numBins[f] = f === 4 ? 1 : trial % 5 === 0 ? 3 : 200;
        searchFeature(ws, 0, f, q, sums, rules, 0);
        ws.kernels.unpackCells(histAddress(ws, 0, f), ws.at.scratch, 256, q.gUnit, q.hUnit, q.countBits, q.countMask);
        const want = referenceSplit(new Float64Array(ws.memory.buffer, ws.at.scratch, 768), ws.numBins[f]!, sums, rules, withHess);
        const got = [...ws.cands.subarray(0, 6)];
        if (want === null) assert.equal(got[0], -Infinity, `trial ${trial}, feature ${f}`);
        else assert.deepEqual(got, want, `trial ${trial}, feature ${f}`);
      }
    }
  }
});
