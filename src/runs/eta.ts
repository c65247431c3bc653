import type { RunRow } from '../store/runs.ts';

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Estimated completion of a queued or running run: the median of the job's recent successful
 * durations, counted from its start (running) or from now / its due time (queued). Null without history.
 */
export function estimateCompletion(run: Pick<RunRow, 'status' | 'started_at' | 'run_at'>, recentDurationsMs: readonly number[], now: number): number | null {
  const typical = median(recentDurationsMs);
  if (typical === null) return null;
  if (run.status === 'running') return Math.max(now, (run.started_at ?? now) + typical);
  if (run.status === 'queued') return Math.max(now, run.run_at) + typical;
  return null;
}
