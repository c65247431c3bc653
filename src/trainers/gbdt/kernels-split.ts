/**
 * The split search of one feature as a kernel (assembled into one module by kernels.ts): the same
 * scan as split.ts bestSplitOfFeature — the same float64 operations in the same order, so the same
 * result bit for bit — reading the quantized histogram cells directly (converted as unpackCells
 * does) instead of an unpacked copy.
 */
import { CAND } from './split.ts';
import { op, VAL, type Code, type FunctionDef } from './wasm-emit.ts';

const { get, set, tee, i32 } = op;
const f64 = op.f64;

export const bestSplitKernel: FunctionDef = (() => {
  // Parameters.
  const [hist, numBins, gUnit, hUnit, countBits, countMask, withHess, totalG, totalH, totalCount, l2, minSamples, minWeight, minGain, out] =
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14];
  // Locals.
  const [b, cell, lane1, parent, bestGain, found, bestBin, bestMissingLeft, bestG, bestH, bestCount, mg, mc, mh, gl, hl, cl, c, cr, hr, gain, cl2, hl2, gl2] =
    [15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38];
  const g = (at: Code[]): Code[] => [...at, op.loadI64(), op.f64ConvertI64, get(gUnit), op.fMul];
  const count = (l1: number): Code[] => [get(l1), get(countMask), op.i64ExtendI32U, op.i64And, op.f64ConvertI64U];
  const hess = (l1: number): Code[] => [get(l1), get(countBits), op.i64ExtendI32U, op.i64ShrU, op.f64ConvertI64U, get(hUnit), op.fMul];
  /** den = h + l2; den > 0 ? g·g / den : 0 (g and h: code pushing one f64 each; h is evaluated twice). */
  const score = (gc: Code[], hc: Code[]): Code[] => [...gc, ...gc, op.fMul, ...hc, get(l2), op.fAdd, op.fDiv, f64(0), ...hc, get(l2), op.fAdd, f64(0), op.fGt, op.select];
  /** gain > bestGain && gain > 1e-12 · (parent + gain), with the gain in `gain`. */
  const better: Code[] = [get(gain), get(bestGain), op.fGt, get(gain), f64(1e-12), get(parent), get(gain), op.fAdd, op.fMul, op.fGt, op.and];
  const record = (missingLeft: Code[], gc: number, hc: number, cc: number): Code[] => [
    get(gain), set(bestGain), i32(1), set(found), get(b), set(bestBin), ...missingLeft, set(bestMissingLeft),
    get(gc), set(bestG), get(hc), set(bestH), get(cc), set(bestCount),
  ];
  const store = (field: number, value: Code[]): Code[] => [get(out), ...value, op.storeF64(8 * field)];
  return {
    name: 'bestSplit',
    params: [VAL.i32, VAL.i32, VAL.f64, VAL.f64, VAL.i32, VAL.i32, VAL.i32, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.i32],
    locals: [
      VAL.i32, VAL.i32, VAL.i64, VAL.f64, VAL.f64, VAL.i32, VAL.i32, VAL.i32, VAL.f64, VAL.f64, VAL.f64,
      VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64, VAL.f64,
    ],
    body: [
      ...store(CAND.GAIN, [f64(-Infinity)]),
      op.block,
      get(numBins), i32(2), op.ltS, op.brIf(0), // a single distinct value is never split
      ...score([get(totalG)], [get(totalH)]), set(parent),
      get(minGain), set(bestGain),
      // The missing bin (255).
      get(hist), i32(255 * 16), op.add, set(cell),
      get(cell), op.loadI64(8), set(lane1),
      ...g([get(cell)]), set(mg),
      ...count(lane1), set(mc),
      ...hess(lane1), get(mc), get(withHess), op.select, set(mh),
      i32(0), set(b), get(hist), set(cell),
      op.block, op.loop, // the scan; a break leaves the inner block only
      get(cell), op.loadI64(8), set(lane1),
      get(gl), ...g([get(cell)]), op.fAdd, set(gl),
      ...count(lane1), set(c),
      get(cl), get(c), op.fAdd, set(cl),
      get(hl), ...hess(lane1), get(c), get(withHess), op.select, op.fAdd, set(hl),
      // Missing values to the right (with the larger bins).
      get(totalCount), get(cl), op.fSub, tee(cr), get(minSamples), op.fLt, op.brIf(1), // only shrinks further
      get(totalH), get(hl), op.fSub, set(hr),
      get(cl), get(minSamples), op.fGe, get(hl), get(minWeight), op.fGe, op.and, get(hr), get(minWeight), op.fGe, op.and,
      op.if,
      ...score([get(gl)], [get(hl)]), ...score([get(totalG), get(gl), op.fSub], [get(hr)]), op.fAdd, get(parent), op.fSub, set(gain),
      ...better, op.if, ...record([i32(0), get(cl), get(cr), op.fGe, get(mc), f64(0), op.fGt, op.select], gl, hl, cl), op.end,
      op.end,
      get(mc), f64(0), op.fGt,
      op.if,
      // Missing values to the left.
      get(cl), get(mc), op.fAdd, set(cl2),
      get(hl), get(mh), op.fAdd, set(hl2),
      get(cl2), get(minSamples), op.fGe, get(totalCount), get(cl2), op.fSub, get(minSamples), op.fGe, op.and,
      get(hl2), get(minWeight), op.fGe, op.and, get(totalH), get(hl2), op.fSub, get(minWeight), op.fGe, op.and,
      op.if,
      get(gl), get(mg), op.fAdd, set(gl2),
      ...score([get(gl2)], [get(hl2)]), ...score([get(totalG), get(gl2), op.fSub], [get(totalH), get(hl2), op.fSub]), op.fAdd, get(parent), op.fSub, set(gain),
      ...better, op.if, ...record([i32(1)], gl2, hl2, cl2), op.end,
      op.end,
      op.end,
      get(cell), i32(16), op.add, set(cell),
      get(b), i32(1), op.add, tee(b), get(numBins), i32(1), op.sub, op.ltS, op.brIf(0),
      op.end, op.end,
      get(found), i32(0), op.eq, op.brIf(0),
      ...store(CAND.GAIN, [get(bestGain)]),
      ...store(CAND.BIN, [get(bestBin), op.f64ConvertI32S]),
      ...store(CAND.MISSING_LEFT, [get(bestMissingLeft), op.f64ConvertI32S]),
      ...store(CAND.G, [get(bestG)]),
      ...store(CAND.H, [get(bestH)]),
      ...store(CAND.COUNT, [get(bestCount)]),
      op.end,
    ],
  };
})();
