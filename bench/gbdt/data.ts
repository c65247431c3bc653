/**
 * The benchmark's data set: 1,000,000 rows × 20 features, generated deterministically and written
 * once per bench run as raw little-endian float64 files that both sides (Node and scikit-learn) read:
 *
 *   X.f64   20 columns one after another (column-major: feature f of row i at f · ROWS + i)
 *   y.f64   the binary label (0/1)
 *   ts.f64  epoch ms; the rows span 180 days uniformly (one row every 15.552 s), in time order
 *
 * Features are uniform on [−1, 1], rounded to 4 decimals (like sensor readings). The label is drawn
 * from P(y = 1) = sigmoid(3 · z), z = sin(3·x0) + 2·x1·x2 + x3 − 0.5·x4² + 0.3·x5: six informative
 * features (non-linear, one interaction), fourteen noise features. Train = the first 800,000 rows
 * (days 0–144), holdout = the last 200,000 (days 144–180): a time-ordered split.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '../../src/data/synthetic/prng.ts';
import type { TrainingSet } from '../../src/trainers/types.ts';

export const ROWS = 1_000_000;
export const FEATURES = 20;
export const TRAIN_ROWS = 800_000;
export const HOLDOUT_ROWS = ROWS - TRAIN_ROWS;
export const DAY_MS = 86_400_000;
export const SPAN_DAYS = 180;
export const T0 = Date.parse('2026-01-01T00:00:00Z');
export const ROW_INTERVAL_MS = (SPAN_DAYS * DAY_MS) / ROWS;
export const SEED = 20_260_101;

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

export interface BenchData {
  columns: Float64Array[];
  y: Float64Array;
  ts: Float64Array;
}

export function generate(): BenchData {
  const rng = new Rng(SEED, 'gbdt-bench');
  const columns = Array.from({ length: FEATURES }, () => new Float64Array(ROWS));
  const y = new Float64Array(ROWS);
  const ts = new Float64Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    for (let f = 0; f < FEATURES; f++) columns[f]![i] = round4(rng.next() * 2 - 1);
    const x = (f: number) => columns[f]![i]!;
    const z = Math.sin(3 * x(0)) + 2 * x(1) * x(2) + x(3) - 0.5 * x(4) * x(4) + 0.3 * x(5);
    y[i] = rng.next() < 1 / (1 + Math.exp(-3 * z)) ? 1 : 0;
    ts[i] = T0 + i * ROW_INTERVAL_MS;
  }
  return { columns, y, ts };
}

export function writeData(dir: string, data: BenchData): void {
  mkdirSync(dir, { recursive: true });
  const X = new Float64Array(ROWS * FEATURES);
  data.columns.forEach((c, f) => X.set(c, f * ROWS));
  writeFileSync(join(dir, 'X.f64'), X);
  writeFileSync(join(dir, 'y.f64'), data.y);
  writeFileSync(join(dir, 'ts.f64'), data.ts);
}

const readF64 = (file: string) => {
  const b = readFileSync(file);
  return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8);
};

export function readData(dir: string): BenchData {
  const X = readF64(join(dir, 'X.f64'));
  return {
    columns: Array.from({ length: FEATURES }, (_, f) => X.subarray(f * ROWS, (f + 1) * ROWS)),
    y: readF64(join(dir, 'y.f64')),
    ts: readF64(join(dir, 'ts.f64')),
  };
}

/** Rows [from, to) as a TrainingSet (copies, so the slice owns compact memory). */
export function rowsOf(data: BenchData, from: number, to: number): TrainingSet {
  return {
    features: data.columns.map((_, f) => ({ name: `f${f}`, type: 'numeric' as const })),
    X: { rows: to - from, columns: data.columns.map((c) => c.slice(from, to)) },
    y: data.y.slice(from, to),
    ts: data.ts.slice(from, to),
  };
}

/** First row whose ts ≥ t (rows are in time order). */
export function firstRowAt(data: BenchData, t: number): number {
  let lo = 0;
  let hi = ROWS;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (data.ts[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Peak and current resident set size of this process, in MB. */
export const peakRssMb = () => process.resourceUsage().maxRSS / 1024;
export const rssMb = () => process.memoryUsage.rss() / 2 ** 20;

export const progress = (line: string) => process.stderr.write(`[gbdt] ${line}\n`);

/** A child's result: the last line of stdout, as bench/lib/child.ts expects, with the process's total CPU seconds. */
export const emit = (out: object) => {
  const cpu = process.cpuUsage();
  process.stdout.write(`${JSON.stringify({ ...out, processCpuS: (cpu.user + cpu.system) / 1e6 })}\n`);
};

// Run as a script (not when bundled into a compiled measurement, where import.meta.url is the bundle's).
if (process.argv[1]?.endsWith('data.ts') && import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (!dir) throw new Error('usage: data.ts <dir>');
  const t = performance.now();
  writeData(dir, generate());
  emit({ seconds: (performance.now() - t) / 1000 });
}
