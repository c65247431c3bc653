/**
 * Binning the training matrix into the workspace (workspace.ts): every column's bin codes with the
 * WebAssembly search (kernels-trees.ts binValues, the same codes as binning.ts binColumn).
 */
import type { Matrix } from '../types.ts';
import { HIST_BINS } from './bin-codes.ts';
import type { BinnedData } from './binning.ts';
import type { Workspace } from './workspace.ts';

/** Writes feature f's inner bin edges, padded to 256 with +Infinity, to the workspace's table of f. */
export function writeBinTable(ws: Workspace, f: number, edges: readonly number[]): void {
  const table = ws.tables.subarray(f * HIST_BINS, (f + 1) * HIST_BINS);
  table.fill(Infinity);
  for (let i = 0; i < edges.length - 1; i++) table[i] = edges[i]!;
}

/**
 * Bins every column into the workspace (column-major, then the same codes as row records); each
 * column is staged in the score array, which is filled only later.
 */
export function binMatrix(X: Matrix, edges: readonly (readonly number[])[], ws: Workspace): BinnedData {
  const n = X.rows;
  for (let f = 0; f < ws.features; f++) {
    const e = edges[f]!;
    writeBinTable(ws, f, e);
    ws.raw.set(X.columns[f]!.subarray(0, n));
    ws.kernels.binValues(ws.at.raw, ws.at.tables + f * HIST_BINS * 8, ws.at.bins + f * n, n, Math.max(0, e.length - 1), 1);
  }
  ws.kernels.transpose(ws.at.bins, n, ws.features, ws.at.records, 0, n);
  return { rows: n, columns: ws.bins, numBins: edges.map((e) => e.length) };
}
