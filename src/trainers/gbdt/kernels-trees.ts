/**
 * Kernels over raw values and whole trees (assembled into one module by kernels.ts): binning values
 * into bin codes, and walking encoded trees (forest.ts) over rows of bin codes — scoring an initial
 * model's trees during training, and batch prediction.
 */
import { at } from './kernels-histogram.ts';
import { op, VAL, type Code, type FunctionDef } from './wasm-emit.ts';

const { get, set, tee, i32 } = op;

/** `for (i = from; i < to; i += step)` over whole groups of `step`, then the same loop with step 1 for the rest. */
function quadsThenRest(i: number, from: number, to: number, last: number, step: number, body: (lanes: number) => Code[]): Code[] {
  return [
    // last = from + (to − from) rounded down to a multiple of step
    get(to), get(from), op.sub, i32(-step), op.and, get(from), op.add, set(last),
    get(from), set(i),
    op.block, get(i), get(last), op.geU, op.brIf(0), op.loop,
    ...body(step),
    get(i), i32(step), op.add, tee(i), get(last), op.ltU, op.brIf(0),
    op.end, op.end,
    op.block, get(i), get(to), op.geU, op.brIf(0), op.loop,
    ...body(1),
    get(i), i32(1), op.add, tee(i), get(to), op.ltU, op.brIf(0),
    op.end, op.end,
  ];
}

/**
 * Bin codes of `rows` float64 values at `src` into bytes at `out`, `outStride` bytes apart
 * (binning.ts binColumn): a fixed 8-step branch-free search over `table`, the inner edges padded to
 * 256 with +Infinity; NaN → the missing bin, above the last inner edge → bin `top`. Each search is
 * a chain of dependent loads, so four rows are searched side by side, then the remainder one by one.
 */
export const binValues: FunctionDef = (() => {
  const [src, table, out, rows, top, outStride, i, quads, zero] = [0, 1, 2, 3, 4, 5, 6, 7, 8];
  const LANES = 4;
  const lo = (l: number) => 9 + l;
  const v = (l: number) => 9 + LANES + l;
  const load = (l: number): Code[] => [...at(src, [get(i), i32(l), op.add].flat(), 3), op.loadF64(), set(v(l)), i32(0), set(lo(l))];
  const step = (l: number, bit: number): Code[] => [
    get(lo(l)),
    get(v(l)), ...at(table, [get(lo(l)), i32((1 << bit) - 1), op.add].flat(), 3), op.loadF64(), op.fGt, i32(bit), op.shl,
    op.add, set(lo(l)),
  ];
  const store = (l: number): Code[] => [
    get(out), get(i), i32(l), op.add, get(outStride), op.mul, op.add,
    i32(255), get(lo(l)), get(top), get(lo(l)), get(top), op.ltU, op.select, get(v(l)), get(v(l)), op.fNe, op.select,
    op.store8(),
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
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    locals: [VAL.i32, VAL.i32, VAL.i32, ...Array<typeof VAL.i32>(LANES).fill(VAL.i32), ...Array<typeof VAL.f64>(LANES).fill(VAL.f64)],
    body: [i32(0), set(zero), ...quadsThenRest(i, zero, rows, quads, LANES, search)],
  };
})();

/**
 * Bytes per encoded tree node (forest.ts): i32 column offset (feature · column stride), i32
 * threshold t, i32 missing shift s (0 or 1), i32 left child (the right child is left + 1). A row
 * goes right when ((bin + s) & 255) > t: with s = 1 the missing bin (255) becomes 0 and goes left.
 * A leaf is (0, 255, 0, itself): every step from it stays there.
 */
export const NODE_BYTES = 16;
/** Bytes per tree in the forest's header: i32 nodes address, i32 values address (f64 per node), 2 spare. */
export const TREE_HEADER_BYTES = 16;

/**
 * raw[i] += Σ over `trees` trees (headers at `forest`, in order) of the tree's value at row i, for
 * rows [start, end) of bin codes: row i's code of the column at offset c is at bins + i·rowStride + c.
 * Four rows walk each tree in step (their chains of dependent loads overlap) until a step moves none
 * of them; then the remaining rows one by one. Trees are added in order, so each row's sum is the
 * same as a plain walk's.
 */
export const walkForest: FunctionDef = (() => {
  const [forest, trees, bins, rowStride, start, end, raw] = [0, 1, 2, 3, 4, 5, 6];
  const [t, nodes, values, i, last, moved, address] = [7, 8, 9, 10, 11, 12, 13];
  const LANES = 4;
  const node = (l: number) => 14 + l;
  const rowAt = (l: number) => 14 + LANES + l;
  const step = (l: number): Code[] => [
    get(nodes), get(node(l)), i32(4), op.shl, op.add, set(address),
    get(address), op.load32(12),
    get(rowAt(l)), get(address), op.load32(), op.add, op.load8(),
    get(address), op.load32(8), op.add, i32(255), op.and,
    get(address), op.load32(4), op.gtU,
    op.add, tee(address), // the next node (address reused as a temporary)
    get(node(l)), op.ne, get(moved), op.or, set(moved),
    get(address), set(node(l)),
  ];
  const walk = (lanes: number): Code[] => {
    const body: Code[] = [];
    for (let l = 0; l < lanes; l++) body.push(i32(0), set(node(l)), get(bins), get(i), i32(l), op.add, get(rowStride), op.mul, op.add, set(rowAt(l)));
    body.push(op.loop, i32(0), set(moved));
    for (let l = 0; l < lanes; l++) body.push(...step(l));
    body.push(get(moved), op.brIf(0), op.end);
    for (let l = 0; l < lanes; l++) {
      body.push(
        ...at(raw, [get(i), i32(l), op.add].flat(), 3), ...at(raw, [get(i), i32(l), op.add].flat(), 3), op.loadF64(),
        ...at(values, get(node(l)), 3), op.loadF64(), op.fAdd, op.storeF64(),
      );
    }
    return body;
  };
  return {
    name: 'walkForest',
    params: Array<typeof VAL.i32>(7).fill(VAL.i32),
    locals: Array<typeof VAL.i32>(7 + 2 * LANES).fill(VAL.i32),
    body: [
      i32(0), set(t),
      op.block, get(t), get(trees), op.geU, op.brIf(0), op.loop,
      ...at(forest, get(t), 4), op.load32(), set(nodes),
      ...at(forest, get(t), 4), op.load32(4), set(values),
      ...quadsThenRest(i, start, end, last, LANES, walk),
      get(t), i32(1), op.add, tee(t), get(trees), op.ltU, op.brIf(0),
      op.end, op.end,
    ],
  };
})();
