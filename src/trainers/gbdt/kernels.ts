/**
 * The per-row hot loops of training as WebAssembly over the workspace's memory (workspace.ts):
 * binning, histogram accumulation and subtraction, the row partition after a split, gradient
 * gathering, score updates, log-loss gradients and walking an initial model's trees over the bins.
 * Compiled once per process (emitted by wasm-emit.ts, no build step) and instantiated per thread
 * over the same shared memory.
 *
 * Every argument is an i32 byte address into that memory (or a count). Histogram cells are
 * [Σg, Σh, count] float64 triples, 24 bytes apart; gradients are interleaved [g, h] pairs, so one
 * f64x2 add updates both sums — the same additions in the same order as scalar code, so results
 * do not depend on the instruction set.
 */
import { emitModule, forRange, op, VAL, type Code, type FunctionDef } from './wasm-emit.ts';

const CELL_BYTES = 24;
const { get, set, tee, i32 } = op;

/** Address `base + index << shift`. */
const at = (base: number, index: Code, shift: number): Code[] => [get(base), index, i32(shift), op.shl, op.add];

/**
 * Histograms of `size` features (1, 2 or 4) over rows [start, end). Parameters: the features'
 * bin columns, their histogram bases, the gradient pairs, then (indexed) the row-index array,
 * start and end. Indexed: rows idx[i] with the ordered pairs ogh[i], counting rows too; else
 * rows i with gh[i] (the root; its counts are known in advance).
 */
function histogramKernel(size: 1 | 2 | 4, indexed: boolean): FunctionDef {
  const col = (j: number) => j;
  const base = (j: number) => size + j;
  const gh = 2 * size;
  const idx = gh + 1;
  const start = indexed ? idx + 1 : gh + 1;
  const end = start + 1;
  const [i, row, v, k] = [end + 1, end + 2, end + 3, end + 4];
  const update = (j: number): Code[] => [
    get(base(j)), get(col(j)), get(row), op.add, op.load8(), i32(CELL_BYTES), op.mul, op.add, tee(k),
    get(k), op.loadV128(), get(v), op.f64x2Add, op.storeV128(),
    ...(indexed ? [get(k), get(k), op.loadF64(16), op.f64(1), op.fAdd, op.storeF64(16)] : []),
  ];
  const body: Code[] = [
    ...(indexed ? [...at(idx, get(i), 2), op.load32(), set(row)] : [get(i), set(row)]),
    ...at(gh, get(i), 4), op.loadV128(), set(v),
  ];
  for (let j = 0; j < size; j++) body.push(...update(j));
  return {
    name: `${indexed ? 'rows' : 'root'}${size}`,
    params: Array<typeof VAL.i32>(end + 1).fill(VAL.i32),
    locals: [VAL.i32, VAL.i32, VAL.v128, VAL.i32],
    body: forRange(i, get(start), get(end), body),
  };
}

/** row = idx[i]; bin = col[row] (the partition kernels' read of one row). */
const readRowBin = (idx: number, i: number, col: number, row: number, bin: number) => [
  ...at(idx, get(i), 2), op.load32(), set(row),
  get(col), get(row), op.add, op.load8(), set(bin),
];

/** 1 when the row goes left: bin <= splitBin, or the missing bin (255) when missingLeft is 1. */
const goesLeft = (bin: number, splitBin: number, missingLeft: number) => [
  get(bin), get(splitBin), op.leU, get(bin), i32(255), op.eq, get(missingLeft), op.and, op.or,
];

/**
 * Phase 1 of a split's partition, on one chunk [start, end) of a leaf's rows: reads idx, writes the
 * rows going left to scratch[start…] in order and those going right to scratch[…end−1] in reverse
 * order (every row is written to both ends of the free gap, only the counter moves: no branch).
 * Returns the left count. Left: bin <= splitBin, or the missing bin when missingLeft is 1.
 */
const partitionScan: FunctionDef = (() => {
  const [col, splitBin, missingLeft, idx, scratch, start, end] = [0, 1, 2, 3, 4, 5, 6];
  const [i, row, bin, left] = [7, 8, 9, 10];
  return {
    name: 'partitionScan',
    params: Array<typeof VAL.i32>(7).fill(VAL.i32),
    result: VAL.i32,
    locals: [VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    body: [
      i32(0), set(left),
      ...forRange(i, get(start), get(end), [
        ...readRowBin(idx, i, col, row, bin),
        // scratch[start + left] = row; scratch[end − 1 − (i − start − left)] = row
        ...at(scratch, [get(start), get(left), op.add].flat(), 2), get(row), op.store32(),
        ...at(scratch, [get(end), i32(1), op.sub, get(i), op.sub, get(start), op.add, get(left), op.add].flat(), 2), get(row), op.store32(),
        get(left),
        ...goesLeft(bin, splitBin, missingLeft),
        op.add, set(left),
      ]),
      get(left),
    ],
  };
})();

/**
 * The partition of a leaf [start, end) in one pass (one thread): rows going left are compacted in
 * place to idx[start…] (never past the row being read), rows going right to scratch[start…] in
 * order; the caller then copies those to idx[mid…] (mid = start + left count). Branch-free like
 * partitionScan: each row is written to both next slots, only the counter moves; a slot written
 * for the other side is always overwritten later or lies outside the final ranges. Returns the
 * left count.
 */
const partitionInPlace: FunctionDef = (() => {
  const [col, splitBin, missingLeft, idx, scratch, start, end] = [0, 1, 2, 3, 4, 5, 6];
  const [i, row, bin, left] = [7, 8, 9, 10];
  return {
    name: 'partitionInPlace',
    params: Array<typeof VAL.i32>(7).fill(VAL.i32),
    result: VAL.i32,
    locals: [VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    body: [
      i32(0), set(left),
      ...forRange(i, get(start), get(end), [
        ...readRowBin(idx, i, col, row, bin),
        // idx[start + left] = row; scratch[start + (i − start − left)] = scratch[i − left] = row
        ...at(idx, [get(start), get(left), op.add].flat(), 2), get(row), op.store32(),
        ...at(scratch, [get(i), get(left), op.sub].flat(), 2), get(row), op.store32(),
        get(left),
        ...goesLeft(bin, splitBin, missingLeft),
        op.add, set(left),
      ]),
      get(left),
    ],
  };
})();

/**
 * Phase 2: copies `count` row ids from scratch (from byte address `src`, stepping `step` bytes: +4
 * or −4 for the reversed right part) to idx at byte address `dest`; with `gather`, also copies each
 * row's gradient pair to the ordered pairs at `ogh` (the child whose histograms are built next).
 */
function placeKernel(gather: boolean): FunctionDef {
  const [src, step, count, dest, gh, ogh] = [0, 1, 2, 3, 4, 5];
  const [j, row] = [6, 7];
  return {
    name: gather ? 'placeGather' : 'place',
    params: Array<typeof VAL.i32>(6).fill(VAL.i32),
    locals: [VAL.i32, VAL.i32],
    body: forRange(j, i32(0), get(count), [
      get(src), op.load32(), set(row),
      get(dest), get(row), op.store32(),
      ...(gather ? [get(ogh), ...at(gh, get(row), 4), op.loadV128(), op.storeV128(), get(ogh), i32(16), op.add, set(ogh)] : []),
      get(src), get(step), op.add, set(src),
      get(dest), i32(4), op.add, set(dest),
    ]),
  };
}

/** ogh[i] = gh[idx[i]] for i in [start, end). */
const gather: FunctionDef = (() => {
  const [idx, gh, ogh, start, end, i] = [0, 1, 2, 3, 4, 5];
  return {
    name: 'gather',
    params: Array<typeof VAL.i32>(5).fill(VAL.i32),
    locals: [VAL.i32],
    body: forRange(i, get(start), get(end), [...at(ogh, get(i), 4), ...at(gh, [...at(idx, get(i), 2), op.load32()].flat(), 4), op.loadV128(), op.storeV128()]),
  };
})();

/** target[j] −= source[j] for `pairs` float64 pairs (a sibling's histograms from its parent's). */
const subtract: FunctionDef = (() => {
  const [target, source, pairs, j] = [0, 1, 2, 3];
  return {
    name: 'subtract',
    params: [VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32],
    body: forRange(j, i32(0), get(pairs), [
      ...at(target, get(j), 4), ...at(target, get(j), 4), op.loadV128(), ...at(source, get(j), 4), op.loadV128(), op.f64x2Sub, op.storeV128(),
    ]),
  };
})();

/** raw[idx[i]] += value for i in [start, end): one leaf's output added to its rows' scores. */
const addLeaf: FunctionDef = (() => {
  const [idx, raw, start, end, value, i, at8] = [0, 1, 2, 3, 4, 5, 6];
  return {
    name: 'addLeaf',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.f64],
    locals: [VAL.i32, VAL.i32],
    body: forRange(i, get(start), get(end), [
      ...at(raw, [...at(idx, get(i), 2), op.load32()].flat(), 3), tee(at8), get(at8), op.loadF64(), get(value), op.fAdd, op.storeF64(),
    ]),
  };
})();

/** Smallest hessian used (objective.ts), so a confident leaf never divides by ~0. */
export const MIN_HESSIAN = 1e-16;

/**
 * One leaf's output added to its rows' scores, with e^−raw (binary log-loss) kept up to date by
 * multiplying it with e^−value: raw[idx[i]] += value, ex[idx[i]] *= expNeg for i in [start, end).
 */
const addLeafExp: FunctionDef = (() => {
  const [idx, raw, ex, start, end, value, expNeg, i, row] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'addLeafExp',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.f64, VAL.f64],
    locals: [VAL.i32, VAL.i32],
    body: forRange(i, get(start), get(end), [
      ...at(idx, get(i), 2), op.load32(), i32(3), op.shl, set(row),
      get(raw), get(row), op.add, get(raw), get(row), op.add, op.loadF64(), get(value), op.fAdd, op.storeF64(),
      get(ex), get(row), op.add, get(ex), get(row), op.add, op.loadF64(), get(expNeg), op.fMul, op.storeF64(),
    ]),
  };
})();

/**
 * Binary log-loss gradient pairs of rows [start, end) from e = e^−raw (see addLeafExp):
 * p = 1/(1 + e), g = p − y, h = max(p(1 − p), MIN_HESSIAN) — what objective.ts computes with
 * Math.exp, without the exponential.
 */
const loglossFromExp: FunctionDef = (() => {
  const [ex, y, gh, start, end, i, p, hh] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'loglossFromExp',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32, VAL.f64, VAL.f64],
    body: forRange(i, get(start), get(end), [
      op.f64(1), op.f64(1), ...at(ex, get(i), 3), op.loadF64(), op.fAdd, op.fDiv, set(p),
      ...at(gh, get(i), 4), get(p), ...at(y, get(i), 3), op.loadF64(), op.fSub, op.storeF64(),
      get(p), op.f64(1), get(p), op.fSub, op.fMul, set(hh),
      ...at(gh, get(i), 4), get(hh), op.f64(MIN_HESSIAN), get(hh), op.f64(MIN_HESSIAN), op.fGt, op.select, op.storeF64(8),
    ]),
  };
})();

/**
 * Σg and Σh over rows [start, end) (indexed: rows idx[i]), summed in row order, stored as a pair
 * at `out`: a leaf's totals.
 */
const sumPairs: FunctionDef = (() => {
  const [gh, idx, start, end, indexed, out, i, acc] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'sumPairs',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32, VAL.v128],
    body: [
      op.f64(0), op.f64x2Splat, set(acc),
      ...forRange(i, get(start), get(end), [
        get(acc),
        ...at(gh, [...at(idx, get(i), 2), op.load32(), get(i), get(indexed), op.select].flat(), 4), op.loadV128(),
        op.f64x2Add, set(acc),
      ]),
      get(out), get(acc), op.storeV128(),
    ],
  };
})();

/**
 * Bin codes of `rows` float64 values at `src` into bytes at `out` (binning.ts binColumn): a fixed
 * 8-step branch-free search over `table`, the inner edges padded to 256 with +Infinity; NaN →
 * the missing bin, above the last inner edge → bin `top`. Each search is a chain of dependent
 * loads, so four rows are searched side by side, then the remainder one by one.
 */
const binValues: FunctionDef = (() => {
  const [src, table, out, rows, top, i, quads] = [0, 1, 2, 3, 4, 5, 6];
  const LANES = 4;
  const lo = (l: number) => 7 + l;
  const v = (l: number) => 7 + LANES + l;
  const load = (l: number): Code[] => [...at(src, [get(i), i32(l), op.add].flat(), 3), op.loadF64(), set(v(l)), i32(0), set(lo(l))];
  const step = (l: number, bit: number): Code[] => [
    get(lo(l)),
    get(v(l)), ...at(table, [get(lo(l)), i32((1 << bit) - 1), op.add].flat(), 3), op.loadF64(), op.fGt, i32(bit), op.shl,
    op.add, set(lo(l)),
  ];
  const store = (l: number): Code[] => [
    get(out), get(i), op.add,
    i32(255), get(lo(l)), get(top), get(lo(l)), get(top), op.ltU, op.select, get(v(l)), get(v(l)), op.fNe, op.select,
    op.store8(l),
  ];
  const search = (lanes: number): Code[] => {
    const body: Code[] = [];
    for (let l = 0; l < lanes; l++) body.push(...load(l));
    for (let bit = 7; bit >= 0; bit--) for (let l = 0; l < lanes; l++) body.push(...step(l, bit));
    for (let l = 0; l < lanes; l++) body.push(...store(l));
    return body;
  };
  return {
    name: 'binValues',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32, VAL.i32, ...Array<typeof VAL.i32>(LANES).fill(VAL.i32), ...Array<typeof VAL.f64>(LANES).fill(VAL.f64)],
    body: [
      // quads = rows rounded down to a multiple of 4; i steps by 4 up to it, then by 1.
      get(rows), i32(-LANES), op.and, set(quads),
      i32(0), set(i),
      op.block, get(i), get(quads), op.geU, op.brIf(0), op.loop,
      ...search(LANES),
      get(i), i32(LANES), op.add, op.tee(i), get(quads), op.ltU, op.brIf(0),
      op.end, op.end,
      op.block, get(i), get(rows), op.geU, op.brIf(0), op.loop,
      ...search(1),
      get(i), i32(1), op.add, op.tee(i), get(rows), op.ltU, op.brIf(0),
      op.end, op.end,
    ],
  };
})();

/**
 * Bytes per node of a tree laid out for walkBinned: i32 column, split bin, missing-left, left,
 * right, internal (1/0), then the f64 value at 24. A leaf reads column 0 with split bin 255 and
 * is its own left child, so a step from a leaf stays there.
 */
export const TREE_NODE_BYTES = 32;

/**
 * raw[i] += tree(row i) for rows [0, rows), walking the tree over the bin codes (column-major at
 * `bins`, `rows` per column): left when bin <= split bin, or the bin is the missing one and missing
 * values go left. Four rows walk in step (their chains of dependent loads overlap) until all four
 * are at leaves; the remaining rows one by one.
 */
const walkBinned: FunctionDef = (() => {
  const [tree, bins, rows, raw, i, quads] = [0, 1, 2, 3, 4, 5];
  const LANES = 4;
  const node = (l: number) => 6 + l;
  const bin = 6 + LANES;
  const field = (l: number, offset: number): Code[] => [get(tree), get(node(l)), i32(5), op.shl, op.add, op.load32(offset)];
  const step = (l: number): Code[] => [
    get(bins), ...field(l, 0), get(rows), op.mul, op.add, get(i), i32(l), op.add, op.add, op.load8(), set(bin),
    ...field(l, 12), ...field(l, 16),
    get(bin), ...field(l, 4), op.leU, get(bin), i32(255), op.eq, ...field(l, 8), op.and, op.or,
    op.select, set(node(l)),
  ];
  const add = (l: number): Code[] => [
    ...at(raw, [get(i), i32(l), op.add].flat(), 3), ...at(raw, [get(i), i32(l), op.add].flat(), 3), op.loadF64(),
    get(tree), get(node(l)), i32(5), op.shl, op.add, op.loadF64(24),
    op.fAdd, op.storeF64(),
  ];
  const walk = (lanes: number): Code[] => {
    const body: Code[] = [];
    for (let l = 0; l < lanes; l++) body.push(i32(0), set(node(l)));
    body.push(op.loop);
    for (let l = 0; l < lanes; l++) body.push(...step(l));
    body.push(...field(0, 20));
    for (let l = 1; l < lanes; l++) body.push(...field(l, 20), op.or);
    body.push(op.brIf(0), op.end);
    for (let l = 0; l < lanes; l++) body.push(...add(l));
    return body;
  };
  return {
    name: 'walkBinned',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32, VAL.i32, ...Array<typeof VAL.i32>(LANES + 1).fill(VAL.i32)],
    body: [
      get(rows), i32(-LANES), op.and, set(quads),
      i32(0), set(i),
      op.block, get(i), get(quads), op.geU, op.brIf(0), op.loop,
      ...walk(LANES),
      get(i), i32(LANES), op.add, tee(i), get(quads), op.ltU, op.brIf(0),
      op.end, op.end,
      op.block, get(i), get(rows), op.geU, op.brIf(0), op.loop,
      ...walk(1),
      get(i), i32(1), op.add, tee(i), get(rows), op.ltU, op.brIf(0),
      op.end, op.end,
    ],
  };
})();

/** idx[i] = i for i in [start, end). */
const iota: FunctionDef = (() => {
  const [idx, start, end, i] = [0, 1, 2, 3];
  return {
    name: 'iota',
    params: [VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32],
    body: forRange(i, get(start), get(end), [...at(idx, get(i), 2), get(i), op.store32()]),
  };
})();

export interface Kernels {
  root4(c0: number, c1: number, c2: number, c3: number, h0: number, h1: number, h2: number, h3: number, gh: number, start: number, end: number): void;
  root2(c0: number, c1: number, h0: number, h1: number, gh: number, start: number, end: number): void;
  root1(c0: number, h0: number, gh: number, start: number, end: number): void;
  rows4(c0: number, c1: number, c2: number, c3: number, h0: number, h1: number, h2: number, h3: number, ogh: number, idx: number, start: number, end: number): void;
  rows2(c0: number, c1: number, h0: number, h1: number, ogh: number, idx: number, start: number, end: number): void;
  rows1(c0: number, h0: number, ogh: number, idx: number, start: number, end: number): void;
  partitionScan(col: number, splitBin: number, missingLeft: number, idx: number, scratch: number, start: number, end: number): number;
  partitionInPlace(col: number, splitBin: number, missingLeft: number, idx: number, scratch: number, start: number, end: number): number;
  place(src: number, step: number, count: number, dest: number, gh: number, ogh: number): void;
  placeGather(src: number, step: number, count: number, dest: number, gh: number, ogh: number): void;
  gather(idx: number, gh: number, ogh: number, start: number, end: number): void;
  subtract(target: number, source: number, pairs: number): void;
  addLeaf(idx: number, raw: number, start: number, end: number, value: number): void;
  iota(idx: number, start: number, end: number): void;
  sumPairs(gh: number, idx: number, start: number, end: number, indexed: number, out: number): void;
  binValues(src: number, table: number, out: number, rows: number, top: number): void;
  walkBinned(tree: number, bins: number, rows: number, raw: number): void;
  addLeafExp(idx: number, raw: number, ex: number, start: number, end: number, value: number, expNeg: number): void;
  loglossFromExp(ex: number, y: number, gh: number, start: number, end: number): void;
}

let compiled: WebAssembly.Module | null = null;

/** The kernel module, compiled on first use (a few KB; sent as is to worker threads). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(emitModule([
    histogramKernel(4, false), histogramKernel(2, false), histogramKernel(1, false),
    histogramKernel(4, true), histogramKernel(2, true), histogramKernel(1, true),
    partitionScan, placeKernel(false), placeKernel(true), gather, subtract, addLeaf, iota,
    addLeafExp, loglossFromExp, sumPairs, binValues, partitionInPlace, walkBinned,
  ]));
  return compiled;
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
}
