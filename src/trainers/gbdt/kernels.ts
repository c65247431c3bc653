/**
 * The per-row hot loops of training and batch prediction as one WebAssembly module over a shared
 * memory (the training workspace, workspace.ts, or a prediction's, batch-predict.ts): histograms
 * (kernels-histogram.ts), the row partition, gradient pairs and score updates (kernels-rows.ts),
 * binning and tree walks (kernels-trees.ts). Compiled once per process (emitted by wasm-emit.ts, no
 * build step) and instantiated per thread over the same memory.
 *
 * Every argument is an i32 byte address into that memory (or a count, or a float64 factor).
 * Gradient pairs and histogram cells are two i64 lanes (quantize.ts), so one i64x2 add updates a
 * gradient sum, a hessian sum and a row count, exactly.
 */
import { addCells, histogramKernel, subtractCells, sumPairs, unpackCells, zeroBytes } from './kernels-histogram.ts';
import { addLeaf, addLeafExp, GATHER, gatherKernel, iota, loglossPairs, partitionInPlace, partitionScan, placeKernel, quantizePairs, transpose } from './kernels-rows.ts';
import { bestSplitKernel } from './kernels-split.ts';
import { binValues, radixSort, walkForest } from './kernels-trees.ts';
import { emitModule } from './wasm-emit.ts';

export { NODE_BYTES, TREE_HEADER_BYTES } from './kernels-trees.ts';

/** Bytes of a gradient pair and of a histogram cell: [i64, i64]. */
export const PAIR_BYTES = 16;

export interface Kernels {
  hist4(c0: number, c1: number, c2: number, c3: number, h0: number, h1: number, h2: number, h3: number, pairs: number, stride: number, start: number, end: number): void;
  hist2(c0: number, c1: number, h0: number, h1: number, pairs: number, stride: number, start: number, end: number): void;
  hist1(c0: number, h0: number, pairs: number, stride: number, start: number, end: number): void;
  rows4(c0: number, c1: number, c2: number, c3: number, h0: number, h1: number, h2: number, h3: number, pairs: number, idx: number, start: number, end: number): void;
  rows2(c0: number, c1: number, h0: number, h1: number, pairs: number, idx: number, start: number, end: number): void;
  rows1(c0: number, h0: number, pairs: number, idx: number, start: number, end: number): void;
  zero(address: number, bytes: number): void;
  addCells(target: number, source: number, cells: number): void;
  subtract(target: number, source: number, cells: number): void;
  unpackCells(hist: number, view: number, cells: number, gUnit: number, hUnit: number, countBits: number, countMask: number): void;
  sumPairs(gh: number, idx: number, start: number, end: number, indexed: number, out: number): void;
  bestSplit(
    hist: number, numBins: number, gUnit: number, hUnit: number, countBits: number, countMask: number, withHess: number,
    totalG: number, totalH: number, totalCount: number, l2: number, minSamplesLeaf: number, minChildWeight: number, minSplitGain: number, out: number,
  ): void;
  partitionScan(col: number, splitBin: number, missingLeft: number, idx: number, scratch: number, start: number, end: number): number;
  partitionInPlace(col: number, splitBin: number, missingLeft: number, idx: number, scratch: number, start: number, end: number): number;
  place(src: number, step: number, count: number, dest: number, gh: number, ogh: number, records: number, width: number, orecords: number): void;
  placePairs(src: number, step: number, count: number, dest: number, gh: number, ogh: number, records: number, width: number, orecords: number): void;
  placeRecords(src: number, step: number, count: number, dest: number, gh: number, ogh: number, records: number, width: number, orecords: number): void;
  gatherPairs(idx: number, gh: number, ogh: number, records: number, width: number, orecords: number, start: number, end: number): void;
  gatherRecords(idx: number, gh: number, ogh: number, records: number, width: number, orecords: number, start: number, end: number): void;
  transpose(bins: number, rows: number, features: number, records: number, start: number, end: number): void;
  iota(idx: number, start: number, end: number): void;
  addLeaf(idx: number, raw: number, start: number, end: number, value: number): void;
  addLeafExp(idx: number, raw: number, ex: number, start: number, end: number, value: number, expNeg: number): void;
  loglossPairs(ex: number, y: number, gh: number, start: number, end: number, gScale: number, hScale: number, countBits: number): void;
  quantizePairs(gh: number, start: number, end: number, gScale: number, hScale: number, countBits: number): void;
  binValues(src: number, table: number, out: number, rows: number, top: number, outStride: number): void;
  radixSort(keys: number, tmp: number, counts: number, n: number): number;
  walkForest(forest: number, trees: number, bins: number, rowStride: number, start: number, end: number, raw: number): void;
}

let compiled: WebAssembly.Module | null = null;

/** The kernel module, compiled on first use (a few KB; sent as is to worker threads). */
export function kernelModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(emitModule([
    histogramKernel(4, false), histogramKernel(2, false), histogramKernel(1, false),
    histogramKernel(4, true), histogramKernel(2, true), histogramKernel(1, true),
    zeroBytes, addCells, subtractCells, unpackCells, sumPairs, bestSplitKernel,
    partitionScan, partitionInPlace, placeKernel(GATHER.NONE), placeKernel(GATHER.PAIRS), placeKernel(GATHER.RECORDS),
    gatherKernel(GATHER.PAIRS), gatherKernel(GATHER.RECORDS), transpose, iota,
    addLeaf, addLeafExp, loglossPairs, quantizePairs,
    binValues, radixSort, walkForest,
  ]));
  return compiled;
}

export function instantiateKernels(module: WebAssembly.Module, memory: WebAssembly.Memory): Kernels {
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as Kernels;
}
