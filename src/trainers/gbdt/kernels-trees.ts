/**
 * Kernels over raw values and whole trees (assembled into one module by kernels.ts): binning values
 * into bin codes, and walking encoded trees (forest.ts) over rows of bin codes — scoring an initial
 * model's trees during training, and batch prediction.
 */
import { at } from './kernels-histogram.ts';
import { forRange, op, VAL, type Code, type FunctionDef } from './wasm-emit.ts';

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

/** Digits of the radix sort: 16 bits, four passes over the 64-bit keys. */
const RADIX_BITS = 16;

/**
 * Sorts `n` finite float64 values at `keys` ascending (−0 before +0, as a typed array's sort),
 * using `tmp` (n values) and `counts` (2^16 i32): an LSD radix sort over the bit patterns, mapped so
 * that unsigned order is numeric order, four passes of 16-bit digits (a pass whose digit is the
 * same for every key is skipped). Returns 1 when the result is in `tmp`, 0 when in `keys`.
 */
export const radixSort: FunctionDef = (() => {
  const [keys, tmp, counts, n] = [0, 1, 2, 3];
  const [i, src, dst, shift, sum, c, x, swap] = [4, 5, 6, 7, 8, 9, 10, 11];
  const MSB = -(2n ** 63n);
  const digit = (key: Code[]): Code[] => [...key, get(shift), op.i64ExtendI32U, op.i64ShrU, op.i32WrapI64, i32((1 << RADIX_BITS) - 1), op.and];
  const countAt = (d: Code[]): Code[] => [get(counts), ...d, i32(2), op.shl, op.add];
  const keyAt = (base: number, index: Code[]): Code[] => [get(base), ...index, i32(3), op.shl, op.add];
  return {
    name: 'radixSort',
    params: [VAL.i32, VAL.i32, VAL.i32, VAL.i32],
    result: VAL.i32,
    locals: [VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i32, VAL.i64, VAL.i32],
    body: [
      // x → x ^ (x >>s 63 | MSB): negatives flipped entirely, positives get the top bit.
      ...forRange(i, i32(0), get(n), [
        ...keyAt(keys, [get(i)]), op.loadI64(), set(x),
        ...keyAt(keys, [get(i)]), get(x), get(x), op.i64(63n), op.i64ShrS, op.i64(MSB), op.i64Or, op.i64Xor, op.storeI64(),
      ]),
      get(keys), set(src), get(tmp), set(dst),
      i32(0), set(shift),
      op.block, op.loop,
      get(counts), i32(0), i32(4 << RADIX_BITS), op.memoryFill,
      ...forRange(i, i32(0), get(n), [
        ...digit([...keyAt(src, [get(i)]), op.loadI64()]), set(c),
        ...countAt([get(c)]), ...countAt([get(c)]), op.load32(), i32(1), op.add, op.store32(),
      ]),
      // Unless every key has the same digit: prefix sums, then scatter src → dst and swap them.
      ...countAt(digit([get(src), op.loadI64()])), op.load32(), get(n), op.ne,
      op.if,
      i32(0), set(sum),
      ...forRange(i, i32(0), i32(1 << RADIX_BITS), [...countAt([get(i)]), op.load32(), set(c), ...countAt([get(i)]), get(sum), op.store32(), get(sum), get(c), op.add, set(sum)]),
      ...forRange(i, i32(0), get(n), [
        ...keyAt(src, [get(i)]), op.loadI64(), set(x),
        ...countAt(digit([get(x)])), op.load32(), set(c),
        ...countAt(digit([get(x)])), get(c), i32(1), op.add, op.store32(),
        ...keyAt(dst, [get(c)]), get(x), op.storeI64(),
      ]),
      get(src), set(swap), get(dst), set(src), get(swap), set(dst),
      op.end,
      get(shift), i32(RADIX_BITS), op.add, tee(shift), i32(64), op.ltU, op.brIf(0),
      op.end, op.end,
      // Back: y → y ^ (~(y >>s 63) | MSB).
      ...forRange(i, i32(0), get(n), [
        ...keyAt(src, [get(i)]), op.loadI64(), set(x),
        ...keyAt(src, [get(i)]), get(x), get(x), op.i64(63n), op.i64ShrS, op.i64(-1n), op.i64Xor, op.i64(MSB), op.i64Or, op.i64Xor, op.storeI64(),
      ]),
      get(src), get(tmp), op.eq,
    ],
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
