/**
 * Per-row kernels of a split and of a tree's end (assembled into one module by kernels.ts): the
 * row partition, gathering gradient pairs in leaf order, score updates, and gradient pairs —
 * computed in float64 and stored quantized (quantize.ts): [g·gScale, (h·hScale << countBits) + 1]
 * as two i64, rounded to nearest.
 */
import { at } from './kernels-histogram.ts';
import { forRange, op, VAL, type Code, type FunctionDef } from './wasm-emit.ts';

const { get, set, tee, i32 } = op;

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
export const partitionScan: FunctionDef = (() => {
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
export const partitionInPlace: FunctionDef = (() => {
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
export function placeKernel(gather: boolean): FunctionDef {
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
export const gather: FunctionDef = (() => {
  const [idx, gh, ogh, start, end, i] = [0, 1, 2, 3, 4, 5];
  return {
    name: 'gather',
    params: Array<typeof VAL.i32>(5).fill(VAL.i32),
    locals: [VAL.i32],
    body: forRange(i, get(start), get(end), [...at(ogh, get(i), 4), ...at(gh, [...at(idx, get(i), 2), op.load32()].flat(), 4), op.loadV128(), op.storeV128()]),
  };
})();

/** idx[i] = i for i in [start, end). */
export const iota: FunctionDef = (() => {
  const [idx, start, end, i] = [0, 1, 2, 3];
  return {
    name: 'iota',
    params: [VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32],
    body: forRange(i, get(start), get(end), [...at(idx, get(i), 2), get(i), op.store32()]),
  };
})();

/** raw[idx[i]] += value for i in [start, end): one leaf's output added to its rows' scores. */
export const addLeaf: FunctionDef = (() => {
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

/**
 * Stores the quantized pair of (g, h) at `address` (code pushing it): lane 0 = nearest(g · gScale),
 * lane 1 = nearest(h · hScale) << countBits, plus 1 (the row's count). Locals: the f64 g and h.
 */
const storeQuantized = (address: Code[], g: number, h: number, gScale: number, hScale: number, countBits: number): Code[] => [
  ...address, get(g), get(gScale), op.fMul, op.fNearest, op.i64TruncSatF64, op.storeI64(),
  ...address, get(h), get(hScale), op.fMul, op.fNearest, op.i64TruncSatF64, get(countBits), op.i64ExtendI32U, op.i64Shl,
  op.i64(1n), op.i64Add, op.storeI64(8),
];

/** Binary log-loss from e = e^−raw: p = 1/(1 + e) into locals g = p − y and h = p(1 − p). */
const loglossOf = (e: Code[], y: Code[], p: number, g: number, h: number): Code[] => [
  op.f64(1), op.f64(1), ...e, op.fAdd, op.fDiv, set(p),
  get(p), ...y, op.fSub, set(g),
  get(p), op.f64(1), get(p), op.fSub, op.fMul, set(h),
];

/**
 * Binary log-loss gradient pairs of rows [start, end) from e = e^−raw (kept up to date by the score
 * updates), stored quantized: what objective.ts computes with Math.exp, without the exponential.
 */
export const loglossPairs: FunctionDef = (() => {
  const [ex, y, gh, start, end, gScale, hScale, countBits, i, p, g, h] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  return {
    name: 'loglossPairs',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.f64, VAL.f64, VAL.i32],
    locals: [VAL.i32, VAL.f64, VAL.f64, VAL.f64],
    body: forRange(i, get(start), get(end), [
      ...loglossOf([...at(ex, get(i), 3), op.loadF64()], [...at(y, get(i), 3), op.loadF64()], p, g, h),
      ...storeQuantized(at(gh, get(i), 4), g, h, gScale, hScale, countBits),
    ]),
  };
})();

/** Float64 pairs [g, h] of rows [start, end) (written by objective.ts) quantized in place. */
export const quantizePairs: FunctionDef = (() => {
  const [gh, start, end, gScale, hScale, countBits, i, g, h] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'quantizePairs',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.f64, VAL.f64, VAL.i32],
    locals: [VAL.i32, VAL.f64, VAL.f64],
    body: forRange(i, get(start), get(end), [
      ...at(gh, get(i), 4), op.loadF64(), set(g),
      ...at(gh, get(i), 4), op.loadF64(8), set(h),
      ...storeQuantized(at(gh, get(i), 4), g, h, gScale, hScale, countBits),
    ]),
  };
})();

/**
 * One leaf's output added to its rows' scores, with e^−raw (binary log-loss) kept up to date by
 * multiplying it with e^−value: raw[idx[i]] += value, ex[idx[i]] *= expNeg for i in [start, end).
 */
export const addLeafExp: FunctionDef = (() => {
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
