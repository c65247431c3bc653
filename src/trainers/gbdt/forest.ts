/**
 * Trees encoded for the walkForest kernel (kernels-trees.ts) over rows of bin codes: per tree a
 * header [nodes address, values address], its nodes (NODE_BYTES each, renumbered breadth-first so
 * that every right child directly follows its left sibling) and a float64 value per node. Used to
 * score an initial model's trees on the training bins (boost.ts) and for batch prediction
 * (batch-predict.ts). Only trees whose thresholds are bin edges can be encoded (predict.ts
 * splitBinsOf); rows then route exactly as their raw values do.
 */
import type { GbdtTree } from '../types.ts';
import { NODE_BYTES, TREE_HEADER_BYTES } from './kernels.ts';

/** Bytes of the encoded trees (headers, nodes, values). */
export function forestBytes(trees: readonly GbdtTree[]): number {
  let bytes = trees.length * TREE_HEADER_BYTES;
  for (const t of trees) bytes += t.feature.length * (NODE_BYTES + 8);
  return bytes;
}

/**
 * Writes the encoded trees at byte `base` of `buffer` (addresses relative to the memory, so `base`
 * is where they will sit in it). A node of feature f reads the bin at column offset f · colStride.
 */
export function encodeForest(trees: readonly GbdtTree[], splitBins: readonly (readonly number[])[], colStride: number, buffer: ArrayBufferLike, base: number): void {
  const words = new Int32Array(buffer);
  const values = new Float64Array(buffer);
  let at = base + trees.length * TREE_HEADER_BYTES;
  trees.forEach((t, j) => {
    const count = t.feature.length;
    const nodes = at;
    const vals = nodes + count * NODE_BYTES;
    at = vals + count * 8;
    words[(base + j * TREE_HEADER_BYTES) / 4] = nodes;
    words[(base + j * TREE_HEADER_BYTES) / 4 + 1] = vals;
    const bins = splitBins[j]!;
    // Breadth-first renumbering: `order` lists old ids by new id.
    const order = [0];
    const renamed = new Int32Array(count).fill(-1);
    renamed[0] = 0;
    for (let k = 0; k < order.length; k++) {
      const old = order[k]!;
      if (t.feature[old]! < 0) continue;
      for (const child of [t.left[old]!, t.right[old]!]) {
        renamed[child] = order.length;
        order.push(child);
      }
    }
    order.forEach((old, k) => {
      const w = (nodes + k * NODE_BYTES) / 4;
      const leaf = t.feature[old]! < 0;
      const shift = !leaf && t.missingLeft[old] ? 1 : 0;
      words[w] = leaf ? 0 : t.feature[old]! * colStride;
      words[w + 1] = leaf ? 255 : bins[old]! + shift;
      words[w + 2] = shift;
      words[w + 3] = leaf ? k : renamed[t.left[old]!]!;
      values[vals / 8 + k] = t.value[old]!;
    });
  });
}
