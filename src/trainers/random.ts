/**
 * Seeded pseudo-random numbers for the trainers and holdouts: mulberry32, 32-bit state, fast and
 * identical on every platform, so a seed reproduces a run exactly.
 */

export type Random = () => number;

function mulberry32(state: number): Random {
  let s = state >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A generator of uniform numbers in [0, 1) determined entirely by `seed` (any finite number). */
export function seededRandom(seed: number): Random {
  return mulberry32((Math.trunc(seed) ^ 0x9e3779b9) >>> 0);
}

/**
 * A stream derived from (seed, purpose, index…): a GBDT tree's row and feature samples do not
 * depend on how many numbers earlier trees drew.
 */
export function rng(seed: number, ...salt: number[]): Random {
  let s = mix(seed >>> 0);
  for (const x of salt) s = mix((s ^ Math.imul(x >>> 0, 0x9e3779b1)) >>> 0);
  return mulberry32(s);
}

function mix(x: number): number {
  let h = x ^ 0x85ebca6b;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d);
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Purposes, so that GBDT streams for the same tree never coincide. */
export const STREAM = { binSample: 1, rows: 2, features: 3 } as const;

/** `k` distinct items of `items`, in their original order (partial Fisher–Yates). */
export function sampleSorted(items: readonly number[], k: number, random: Random): number[] {
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

/** Fisher–Yates shuffle in place. */
export function shuffleInPlace(values: Uint32Array, random: Random): Uint32Array {
  for (let i = values.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const tmp = values[i]!;
    values[i] = values[j]!;
    values[j] = tmp;
  }
  return values;
}

/** 0, 1, …, n − 1. */
export function identityOrder(n: number): Uint32Array {
  const order = new Uint32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  return order;
}
