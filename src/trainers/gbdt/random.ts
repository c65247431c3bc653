/**
 * Seeded pseudo-random numbers for subsampling. Every stream derives from (seed, purpose, index), so
 * a tree's row and feature samples do not depend on how many numbers earlier trees drew.
 */

/** mulberry32: small, fast, good enough for sampling; returns floats in [0, 1). */
export function rng(seed: number, ...salt: number[]): () => number {
  let s = mix(seed >>> 0);
  for (const x of salt) s = mix((s ^ Math.imul(x >>> 0, 0x9e3779b1)) >>> 0);
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mix(x: number): number {
  let h = x ^ 0x85ebca6b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** `k` distinct items of `items`, in their original order (partial Fisher–Yates). */
export function sampleSorted(items: readonly number[], k: number, random: () => number): number[] {
  const pool = items.slice();
  const n = pool.length;
  const take = Math.min(k, n);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (n - i));
    const tmp = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = tmp;
  }
  return pool.slice(0, take).sort((a, b) => a - b);
}

/** Purposes, so that streams for the same tree never coincide. */
export const STREAM = { binSample: 1, rows: 2, features: 3 } as const;
