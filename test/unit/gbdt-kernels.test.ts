/** GBDT WebAssembly kernels against plain reference loops: histograms, partition, gradients, scores. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binColumn, binMatrix, computeBinEdges, MISSING_BIN } from '../../src/trainers/gbdt/binning.ts';
import { scoreInitial } from '../../src/trainers/gbdt/boost.ts';
import { buildGroup, subtractHistograms } from '../../src/trainers/gbdt/histogram.ts';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { kernelModule, MIN_HESSIAN } from '../../src/trainers/gbdt/kernels.ts';
import { partitionLeaf, placeChunk, scanChunk } from '../../src/trainers/gbdt/team-tasks.ts';
import { allocateMemory, histIndex, HIST_STRIDE, openWorkspace, type Workspace } from '../../src/trainers/gbdt/workspace.ts';
import { lcg, nonlinear } from '../fixtures/gbdt/data.ts';

const ROWS = 5000;
const FEATURES = 5;

function workspace(seed: number): Workspace {
  const shape = { rows: ROWS, features: FEATURES, slots: 3, leaves: 8, treeNodes: 15, withHess: true };
  const ws = openWorkspace(shape, allocateMemory(shape), kernelModule());
  const r = lcg(seed);
  for (const col of ws.bins) for (let i = 0; i < ROWS; i++) col[i] = r() < 0.05 ? MISSING_BIN : Math.floor(r() * 40);
  for (let i = 0; i < 2 * ROWS; i++) ws.gh[i] = r() - 0.5;
  for (let i = 0; i < ROWS; i++) ws.y[i] = r() < 0.3 ? 1 : 0;
  return ws;
}

/** Every other row, from 7 on: an ascending leaf like the grower's. */
const someRows = (ws: Workspace) => {
  let n = 0;
  for (let r = 7; r < ROWS; r += 2) ws.idx[n++] = r;
  return n;
};

test('histogram kernels sum gradients, hessians and counts per bin exactly as a plain loop', () => {
  const ws = workspace(1);
  const features = Int32Array.from([0, 1, 2, 3, 4]);
  const n = someRows(ws);
  for (let i = 0; i < n; i++) {
    ws.ogh[2 * i] = ws.gh[2 * ws.idx[i]!]!;
    ws.ogh[2 * i + 1] = ws.gh[2 * ws.idx[i]! + 1]!;
  }
  for (const [from, size] of [[0, 4], [1, 2], [4, 1]] as const) {
    for (const indexed of [true, false]) {
      const [start, end] = indexed ? [3, n - 5] : [0, ROWS];
      if (!indexed) for (let j = 0; j < size; j++) for (let b = 0; b < 256; b++) ws.counts[features[from + j]! * 256 + b] = 1000 + b;
      buildGroup(ws, features, from, size, 1, start, end, indexed);
      for (let j = 0; j < size; j++) {
        const f = features[from + j]!;
        const want = new Float64Array(HIST_STRIDE);
        for (let i = start; i < end; i++) {
          const row = indexed ? ws.idx[i]! : i;
          const k = ws.bins[f]![row]! * 3;
          want[k] = want[k]! + (indexed ? ws.ogh[2 * i]! : ws.gh[2 * row]!);
          want[k + 1] = want[k + 1]! + (indexed ? ws.ogh[2 * i + 1]! : ws.gh[2 * row + 1]!);
          want[k + 2] = want[k + 2]! + 1;
        }
        if (!indexed) for (let b = 0; b < 256; b++) want[b * 3 + 2] = 1000 + b; // the root's counts are copied
        const base = histIndex(ws, 1, f);
        assert.deepEqual(ws.hist.slice(base, base + HIST_STRIDE), want, `feature ${f}, size ${size}, indexed ${indexed}`);
      }
    }
  }
  const parent = histIndex(ws, 1, 0);
  const before = ws.hist.slice(parent, parent + FEATURES * HIST_STRIDE);
  buildGroup(ws, features, 0, 4, 2, 0, 100, true);
  buildGroup(ws, features, 4, 1, 2, 0, 100, true);
  const child = ws.hist.slice(histIndex(ws, 2, 0), histIndex(ws, 2, 0) + FEATURES * HIST_STRIDE);
  subtractHistograms(ws, 1, 2, features, FEATURES);
  assert.deepEqual(ws.hist.slice(parent, parent + FEATURES * HIST_STRIDE), before.map((v, i) => v - child[i]!));
});

test('the partition is stable, puts missing values on their side, and gathers the chosen side; chunked or not', () => {
  for (const missingLeft of [false, true]) {
    for (const chunk of [Infinity, 333]) {
      const ws = workspace(2);
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
        placeChunk(ws, start, mid, a, Math.min(end, a + chunk), before, l, false, true);
        before += l;
      });
      assert.deepEqual([...ws.idx.slice(start, end)], want);
      for (let i = mid; i < end; i++) {
        assert.equal(ws.ogh[2 * i], ws.gh[2 * ws.idx[i]!]);
        assert.equal(ws.ogh[2 * i + 1], ws.gh[2 * ws.idx[i]! + 1]);
      }
      // The one-thread path: in place, one pass.
      const other = workspace(2);
      someRows(other);
      other.ogh.fill(0);
      const tail = other.idx[end]; // a row outside the leaf must stay where it is
      assert.equal(partitionLeaf(other, start, end, mid, split.feature, split.bin, split.missingLeft, true, false), mid - start);
      assert.deepEqual([...other.idx.slice(start, end)], want);
      assert.equal(other.idx[end], tail);
      for (let i = start; i < mid; i++) assert.equal(other.ogh[2 * i], other.gh[2 * other.idx[i]!]);
      for (let i = mid; i < end; i++) assert.equal(other.ogh[2 * i], 0);
    }
  }
});

test('score updates keep e^−raw in step, and log-loss gradients from it match the Math.exp formula', () => {
  const ws = workspace(3);
  const { kernels: k, at } = ws;
  const r = lcg(4);
  for (let i = 0; i < ROWS; i++) {
    ws.raw[i] = (r() - 0.5) * 6;
    ws.ex[i] = Math.exp(-ws.raw[i]!);
  }
  const raw0 = ws.raw.slice();
  const ex0 = ws.ex.slice();
  const n = someRows(ws);
  k.addLeafExp(at.idx, at.raw, at.ex, 0, n, 0.25, Math.exp(-0.25));
  for (let i = 0; i < ROWS; i++) {
    const inLeaf = i >= 7 && (i - 7) % 2 === 0;
    assert.equal(ws.raw[i], inLeaf ? raw0[i]! + 0.25 : raw0[i]);
    assert.equal(ws.ex[i], inLeaf ? ex0[i]! * Math.exp(-0.25) : ex0[i]);
    assert.ok(Math.abs(ws.ex[i]! / Math.exp(-ws.raw[i]!) - 1) < 1e-14);
  }
  k.loglossFromExp(at.ex, at.y, at.gh, 0, ROWS);
  for (let i = 0; i < ROWS; i++) {
    const p = 1 / (1 + ws.ex[i]!);
    assert.equal(ws.gh[2 * i], p - ws.y[i]!);
    assert.equal(ws.gh[2 * i + 1], Math.max(p * (1 - p), MIN_HESSIAN));
  }
});

test('binning in WebAssembly gives the codes of binColumn, with NaN, ±Infinity and few distinct values', () => {
  const ws = workspace(5);
  const r = lcg(6);
  const columns = Array.from({ length: FEATURES }, (_, f) => Float64Array.from({ length: ROWS }, () => {
    const u = r();
    if (u < 0.02) return NaN;
    if (u < 0.03) return u < 0.025 ? Infinity : -Infinity;
    return f === 4 ? Math.floor(r() * 3) : (r() - 0.5) * 1000;
  }));
  const edges = columns.map((c, f) => computeBinEdges(c, f === 0 ? 255 : 17, null));
  binMatrix({ rows: ROWS, columns }, edges, ws);
  columns.forEach((c, f) => {
    const want = new Uint8Array(ROWS);
    binColumn(c, edges[f]!, want, ROWS);
    assert.deepEqual(ws.bins[f], want, `feature ${f}`);
  });
});

test('an initial model walked over the bins scores rows exactly as predictRaw over the raw values', async () => {
  const data = nonlinear(4001, 6, 8, 0.05); // not a multiple of the four rows walked in step
  const { model } = await trainGbdt(data, { objective: 'binary_logloss', numTrees: 12, maxLeaves: 9 }, { seed: 2 });
  const longest = Math.max(...model.body.trees.map((t) => t.feature.length));
  const shape = { rows: data.X.rows, features: 6, slots: 2, leaves: 9, treeNodes: longest, withHess: true };
  const ws = openWorkspace(shape, allocateMemory(shape), kernelModule());
  binMatrix(data.X, model.body.binEdges, ws);
  scoreInitial(model, data, ws, ws.raw);
  assert.deepEqual(ws.raw, model.predictRaw(data.X));
});
