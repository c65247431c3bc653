/**
 * Histogram kernels (assembled into one module by kernels.ts). A histogram cell is 16 bytes: two
 * i64 lanes [Σg, Σh·2^K + count] of quantized gradient pairs (quantize.ts), so one i64x2 add per
 * row and feature updates the gradient sum, the hessian sum and the row count at once, and every
 * sum is exact: the same whichever rows a thread adds, and in whatever order.
 */
import { forRange, op, VAL, type Code, type FunctionDef } from './wasm-emit.ts';

/** Bytes of one histogram cell (kernels.ts HIST_CELL_BYTES). */
const CELL_SHIFT = 4;
const { get, set, tee, i32 } = op;

/** Address `base + index << shift`. */
export const at = (base: number, index: Code, shift: number): Code[] => [get(base), index, i32(shift), op.shl, op.add];

/**
 * Histograms of `size` features (1, 2 or 4) over positions [start, end), the gradient pair of
 * position i at pairs + 16 · i. Strided (`hist`): position i's bin code of feature j is at
 * cols[j] + i · stride — the column-major bins with the rows' pairs in order (stride 1: the
 * unbagged root), or a leaf's ordered records (stride = features; bins.ts). Indexed (`rows`): at
 * cols[j] + idx[i], the leaf's rows in the column-major bins.
 */
export function histogramKernel(size: 1 | 2 | 4, indexed: boolean): FunctionDef {
  const col = (j: number) => j;
  const base = (j: number) => size + j;
  const [pairs, strideOrIdx, start, end] = [2 * size, 2 * size + 1, 2 * size + 2, 2 * size + 3];
  const [i, offset, v, k] = [end + 1, end + 2, end + 3, end + 4];
  const update = (j: number): Code[] => [
    get(base(j)), get(col(j)), get(offset), op.add, op.load8(), i32(CELL_SHIFT), op.shl, op.add, tee(k),
    get(k), op.loadV128(), get(v), op.i64x2Add, op.storeV128(),
  ];
  const body: Code[] = [
    ...(indexed ? [...at(strideOrIdx, get(i), 2), op.load32()] : [get(i), get(strideOrIdx), op.mul]), set(offset),
    ...at(pairs, get(i), 4), op.loadV128(), set(v),
  ];
  for (let j = 0; j < size; j++) body.push(...update(j));
  return {
    name: `${indexed ? 'rows' : 'hist'}${size}`,
    params: Array<typeof VAL.i32>(end + 1).fill(VAL.i32),
    locals: [VAL.i32, VAL.i32, VAL.v128, VAL.i32],
    body: forRange(i, get(start), get(end), body),
  };
}

/** target[j] ±= source[j] for `cells` cells: `add` merges a thread's partial histograms, `subtract` derives a sibling. */
function cellwise(name: string, combine: Code): FunctionDef {
  const [target, source, cells, j] = [0, 1, 2, 3];
  return {
    name,
    params: [VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32],
    body: forRange(j, i32(0), get(cells), [
      ...at(target, get(j), 4), ...at(target, get(j), 4), op.loadV128(), ...at(source, get(j), 4), op.loadV128(), combine, op.storeV128(),
    ]),
  };
}
export const addCells = cellwise('addCells', op.i64x2Add);
export const subtractCells = cellwise('subtract', op.i64x2Sub);

/**
 * Cells → float64 triples [G, H, count] for the split finder: G = lane0 · gUnit, count = lane1 &
 * countMask, H = (lane1 >> countBits) · hUnit (gUnit, hUnit: the quantization's units, powers of
 * two, so the conversion is exact up to float64 rounding of sums beyond 2^53).
 */
export const unpackCells: FunctionDef = (() => {
  const [hist, view, cells, gUnit, hUnit, countBits, countMask] = [0, 1, 2, 3, 4, 5, 6];
  const [j, lane1, out] = [7, 8, 9];
  return {
    name: 'unpackCells',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.f64, VAL.f64, VAL.i32, VAL.i32],
    locals: [VAL.i32, VAL.i64, VAL.i32],
    body: [
      get(view), set(out),
      ...forRange(j, i32(0), get(cells), [
        ...at(hist, get(j), 4), op.loadI64(8), set(lane1),
        get(out), ...at(hist, get(j), 4), op.loadI64(), op.f64ConvertI64, get(gUnit), op.fMul, op.storeF64(),
        get(out), get(lane1), get(countBits), op.i64ExtendI32U, op.i64ShrU, op.f64ConvertI64U, get(hUnit), op.fMul, op.storeF64(8),
        get(out), get(lane1), get(countMask), op.i64ExtendI32U, op.i64And, op.f64ConvertI64U, op.storeF64(16),
        get(out), i32(24), op.add, set(out),
      ]),
    ],
  };
})();

/** Zeroes `bytes` bytes from `address` (memory.fill: a plain memset, unlike a typed array's fill on shared memory). */
export const zeroBytes: FunctionDef = (() => {
  const [address, bytes] = [0, 1];
  return { name: 'zero', params: [VAL.i32, VAL.i32], locals: [], body: [get(address), i32(0), get(bytes), op.memoryFill] };
})();

/** The sum of the pairs of rows [start, end) (indexed: rows idx[i]) as one cell at `out`: a leaf's totals. */
export const sumPairs: FunctionDef = (() => {
  const [gh, idx, start, end, indexed, out, i, acc] = [0, 1, 2, 3, 4, 5, 6, 7];
  return {
    name: 'sumPairs',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32, VAL.v128],
    body: [
      op.i64(0n), op.i64x2Splat, set(acc),
      ...forRange(i, get(start), get(end), [
        get(acc),
        ...at(gh, [...at(idx, get(i), 2), op.load32(), get(i), get(indexed), op.select].flat(), 4), op.loadV128(),
        op.i64x2Add, set(acc),
      ]),
      get(out), get(acc), op.storeV128(),
    ],
  };
})();
