/**
 * Binning the training matrix into the workspace (workspace.ts) on the thread team: each feature's
 * bin edges from a seeded sample of its values (binning.ts computeBinEdges), its column-major bin
 * codes (kernels-trees.ts binValues, the codes of binning.ts binColumn) and the row records. The
 * calling thread stages a batch of sampled values or columns in the workspace's free arrays
 * (`staging`: gradients, scores and labels are filled only later), then every thread takes
 * features of the batch; the edges come back through the workspace.
 */
import type { Matrix } from '../types.ts';
import { HIST_BINS } from './bin-codes.ts';
import { binSampleRows, writeBinTable, type BinnedData } from './binning.ts';
import type { ThreadTeam } from './thread-team.ts';
import type { Workspace } from './workspace.ts';

/**
 * Bins X into the workspace with the given edges (an initial model's) or, when null, edges computed
 * from up to `sampleLimit` rows drawn with `seed` (binning.ts binSampleRows; all rows when there are
 * no more), the same rows for every feature.
 */
export function binOnTeam(
  team: ThreadTeam, ws: Workspace, X: Matrix, given: readonly (readonly number[])[] | null,
  maxBins: number, sampleLimit: number, seed: number,
): { edges: readonly (readonly number[])[]; binned: BinnedData } {
  const n = X.rows;
  const d = ws.features;
  const staging = ws.staging;
  let edges: readonly (readonly number[])[];
  if (given) {
    given.forEach((e, f) => {
      writeBinTable(ws.tables, f, e);
      ws.numBins[f] = e.length;
    });
    edges = given;
  } else {
    const sample = binSampleRows(n, sampleLimit, seed);
    const size = sample?.length ?? n;
    const batch = Math.floor(staging.length / size);
    for (let from = 0; from < d; from += batch) {
      const count = Math.min(batch, d - from);
      for (let j = 0; j < count; j++) {
        const column = X.columns[from + j]!;
        const values = staging.subarray(j * size, (j + 1) * size);
        if (sample === null) values.set(column.subarray(0, n));
        else for (let i = 0; i < size; i++) values[i] = column[sample[i]!]!;
      }
      team.binEdges(from, count, size, maxBins);
    }
    edges = Array.from({ length: d }, (_, f) => Array.from(ws.edges.subarray(f * HIST_BINS, f * HIST_BINS + ws.numBins[f]!)));
  }
  const batch = Math.floor(staging.length / n);
  for (let from = 0; from < d; from += batch) {
    const count = Math.min(batch, d - from);
    for (let j = 0; j < count; j++) staging.set(X.columns[from + j]!.subarray(0, n), j * n);
    team.binColumns(from, count);
  }
  team.transposeBins();
  return { edges, binned: { rows: n, columns: ws.bins, numBins: edges.map((e) => e.length) } };
}
