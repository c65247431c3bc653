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
 * Copies row `row`'s record (its bin codes, `width` bytes at records + row · width) to `to`,
 * exactly (threads fill neighbouring records at once): 16-byte pieces, the last one ending at the
 * record's end; a record under 16 bytes in pieces of 8, 4, 2 and 1.
 */
const copyRecord = (records: number, width: number, row: Code[], to: Code[], piece: number, from: number, dest: number): Code[] => {
  const copy = (offset: Code[], load: Code, store: Code): Code[] => [get(dest), ...offset, op.add, get(from), ...offset, op.add, load, store];
  const small: Code[] = [];
  for (const [bytes, load, store] of [[8, op.loadI64(), op.storeI64()], [4, op.load32(), op.store32()], [2, op.load16(), op.store16()], [1, op.load8(), op.store8()]] as const) {
    small.push(get(width), i32(bytes), op.and, op.if, ...copy([get(piece)], load, store), get(piece), i32(bytes), op.add, set(piece), op.end);
  }
  return [
    ...row, get(width), op.mul, get(records), op.add, set(from),
    ...to, set(dest),
    i32(0), set(piece),
    get(width), i32(16), op.geU, op.if,
    op.loop, ...copy([get(piece)], op.loadV128(), op.storeV128()), get(piece), i32(16), op.add, tee(piece), i32(16), op.add, get(width), op.leU, op.brIf(0), op.end,
    ...copy([get(width), i32(16), op.sub], op.loadV128(), op.storeV128()),
    op.else, ...small, op.end,
  ];
};

/** What a partition gathers for the child built next: nothing, its rows' gradient pairs, or their pairs and records. */
export const GATHER = { NONE: 0, PAIRS: 1, RECORDS: 2 } as const;
export type Gather = (typeof GATHER)[keyof typeof GATHER];

/**
 * Phase 2: copies `count` row ids from scratch (from byte address `src`, stepping `step` bytes: +4
 * or −4 for the reversed right part) to idx at byte address `dest`; gathering (see GATHER) each
 * row's gradient pair to the ordered pairs at `ogh`, and its record to the ordered records at
 * `orecords` (the child whose histograms are built next).
 */
export function placeKernel(level: Gather): FunctionDef {
  const gather = level !== GATHER.NONE;
  const [src, step, count, dest, gh, ogh, records, width, orecords] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const [j, row, piece, from, to] = [9, 10, 11, 12, 13];
  return {
    name: ['place', 'placePairs', 'placeRecords'][level]!,
    params: Array<typeof VAL.i32>(9).fill(VAL.i32),
    locals: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    body: forRange(j, i32(0), get(count), [
      get(src), op.load32(), set(row),
      get(dest), get(row), op.store32(),
      ...(gather ? [
        get(ogh), ...at(gh, get(row), 4), op.loadV128(), op.storeV128(), get(ogh), i32(16), op.add, set(ogh),
      ] : []),
      ...(level === GATHER.RECORDS ? [
        ...copyRecord(records, width, [get(row)], [get(orecords)], piece, from, to), get(orecords), get(width), op.add, set(orecords),
      ] : []),
      get(src), get(step), op.add, set(src),
      get(dest), i32(4), op.add, set(dest),
    ]),
  };
}

/** For i in [start, end): ogh[i] = gh[idx[i]], and with GATHER.RECORDS ordered record i = record idx[i] (see placeKernel). */
export function gatherKernel(level: typeof GATHER.PAIRS | typeof GATHER.RECORDS): FunctionDef {
  const [idx, gh, ogh, records, width, orecords, start, end] = [0, 1, 2, 3, 4, 5, 6, 7];
  const [i, piece, from, to] = [8, 9, 10, 11];
  return {
    name: level === GATHER.RECORDS ? 'gatherRecords' : 'gatherPairs',
    params: Array<typeof VAL.i32>(8).fill(VAL.i32),
    locals: [VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    body: forRange(i, get(start), get(end), [
      ...at(ogh, get(i), 4), ...at(gh, [...at(idx, get(i), 2), op.load32()].flat(), 4), op.loadV128(), op.storeV128(),
      ...(level === GATHER.RECORDS ? copyRecord(records, width, [...at(idx, get(i), 2), op.load32()], [get(i), get(width), op.mul, get(orecords), op.add], piece, from, to) : []),
    ]),
  };
}

/** Records (row-major bin codes, `features` bytes per row) of rows [start, end) from the column-major bins. */
export const transpose: FunctionDef = (() => {
  const [bins, rows, features, records, start, end, i, f, out] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  return {
    name: 'transpose',
    params: Array<typeof VAL.i32>(6).fill(VAL.i32),
    locals: [VAL.i32, VAL.i32, VAL.i32],
    body: forRange(i, get(start), get(end), [
      get(i), get(features), op.mul, get(records), op.add, set(out),
      ...forRange(f, i32(0), get(features), [
        get(out), get(f), op.add, get(f), get(rows), op.mul, get(bins), op.add, get(i), op.add, op.load8(), op.store8(),
      ]),
    ]),
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
