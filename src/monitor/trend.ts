/**
 * A series' direction over its last points: the Theil–Sen slope (the median of the slopes between
 * every pair of points), robust to a single outlier that a least-squares line would follow. Points
 * are taken in order, one step apart (a series of trainings or of label arrivals is not evenly spaced
 * in time, and what matters is whether each point is worse than the ones before).
 *
 * The slope times the span (points − 1) is the change the line makes across the window. Oriented so
 * that a positive change is better (error metrics are negated), the trend is `improving` above
 * +tolerance, `declining` below −tolerance, else `stable`; with fewer than minPoints points it is
 * `insufficient`.
 */
export type Trend = 'improving' | 'stable' | 'declining' | 'insufficient';

export interface TrendOptions {
  /** The latest points considered. */
  points: number;
  /** Fewer points than this: `insufficient`. */
  minPoints: number;
  /** The change across the window (metric units) within which the series is `stable`. */
  tolerance: number;
}

export const TREND_DEFAULTS: Readonly<TrendOptions> = Object.freeze({ points: 10, minPoints: 3, tolerance: 0.02 });

export interface TrendResult {
  trend: Trend;
  /** Theil–Sen slope per point, in the metric's own direction (null when insufficient). */
  slope: number | null;
  /** slope × (points − 1): the change across the window. */
  change: number | null;
  points: number;
}

export function theilSen(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const slopes: number[] = [];
  for (let i = 0; i < n; i += 1) for (let j = i + 1; j < n; j += 1) slopes.push((values[j]! - values[i]!) / (j - i));
  slopes.sort((a, b) => a - b);
  const mid = slopes.length >> 1;
  return slopes.length % 2 === 1 ? slopes[mid]! : (slopes[mid - 1]! + slopes[mid]!) / 2;
}

/** `values` oldest first; the last options.points are used. */
export function trendOf(values: readonly number[], higherIsBetter: boolean, options: TrendOptions = TREND_DEFAULTS): TrendResult {
  const window = values.slice(-options.points);
  if (window.length < Math.max(2, options.minPoints)) return { trend: 'insufficient', slope: null, change: null, points: window.length };
  const slope = theilSen(window)!;
  const change = slope * (window.length - 1);
  const better = higherIsBetter ? change : -change;
  const trend: Trend = better > options.tolerance ? 'improving' : better < -options.tolerance ? 'declining' : 'stable';
  return { trend, slope, change, points: window.length };
}
