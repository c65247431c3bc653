/**
 * A trend arrow from a few daily values: the Theil–Sen slope (the median of the pairwise slopes,
 * robust to one bad day), compared with a tolerance of 0.005 metric units per day. Replaced by the
 * monitor's own trend once issue 16's series route is merged.
 */
export type Trend = 'improving' | 'stable' | 'declining';

export const TREND_TOLERANCE_PER_DAY = 0.005;

export function theilSen(points: ReadonlyArray<{ x: number; y: number }>): number | null {
  const slopes: number[] = [];
  for (let i = 0; i < points.length; i++) {
    for (let j = i + 1; j < points.length; j++) {
      const a = points[i]!;
      const b = points[j]!;
      if (b.x !== a.x) slopes.push((b.y - a.y) / (b.x - a.x));
    }
  }
  if (slopes.length === 0) return null;
  slopes.sort((p, q) => p - q);
  const mid = slopes.length >> 1;
  return slopes.length % 2 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

/** higherIsBetter: auc, accuracy, r2 …; false for the error metrics. */
export function trendOf(daily: ReadonlyArray<{ day: string; value: number | null }>, higherIsBetter: boolean): Trend | null {
  const points = daily.filter((d) => d.value !== null).map((d) => ({ x: Date.parse(d.day) / 86_400_000, y: d.value! }));
  if (points.length < 3) return null;
  const slope = theilSen(points);
  if (slope === null) return null;
  const better = higherIsBetter ? slope : -slope;
  return better > TREND_TOLERANCE_PER_DAY ? 'improving' : better < -TREND_TOLERANCE_PER_DAY ? 'declining' : 'stable';
}

// src/training/gate.ts's LOWER_IS_BETTER (the UI bundle does not import the server's modules).
export const ERROR_METRICS = new Set(['logloss', 'mae', 'rmse']);
export const higherIsBetter = (metric: string): boolean => !ERROR_METRICS.has(metric);
