/**
 * The one result shape every benchmark returns, and the shared way to write, judge and print it.
 * `bench/results/<name>.json` holds exactly the array of results (real measured numbers only).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';

export interface BenchResult {
  /** Dotted, stable id: `<benchmark>.<measurement>[.<variant>]`. */
  name: string;
  value: number;
  unit: string;
  /** The bound the issue sets; null for a figure reported for context only. */
  target: number | null;
  better: 'lower' | 'higher';
  /** What the value is compared with, measured in the same run (e.g. "croner"). */
  peer?: string;
  peerValue?: number;
  /** value / peerValue. */
  ratio?: number;
}

export interface BenchRunInfo {
  date: string;
  node: string;
  cpuModel: string;
  cores: number;
  memoryGb: number;
  durationS: number;
}

export const RESULTS_DIR = join(import.meta.dirname, '..', 'results');

/** A result with its ratio filled in when it has a peer value; values rounded for the record. */
export function result(r: Omit<BenchResult, 'ratio'>): BenchResult {
  const out: BenchResult = { ...r, value: round(r.value) };
  if (r.peerValue !== undefined) {
    out.peerValue = round(r.peerValue);
    out.ratio = r.peerValue === 0 ? Number.POSITIVE_INFINITY : round(r.value / r.peerValue);
  }
  return out;
}

export type Verdict = 'PASS' | 'MISS' | '—';

export function verdict(r: BenchResult): Verdict {
  if (r.target === null) return '—';
  const ok = r.better === 'lower' ? r.value <= r.target : r.value >= r.target;
  return ok ? 'PASS' : 'MISS';
}

export function runInfo(startedAt: number): BenchRunInfo {
  const cpu = cpus();
  return {
    date: new Date().toISOString(),
    node: process.version,
    cpuModel: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    durationS: Math.round((Date.now() - startedAt) / 1000),
  };
}

/** Writes `<name>.json` (the results array) and `<name>.meta.json` (when and where it ran). */
export function writeResults(name: string, results: readonly BenchResult[], info: BenchRunInfo): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `${name}.json`);
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(RESULTS_DIR, `${name}.meta.json`), `${JSON.stringify(info, null, 2)}\n`);
  return file;
}

export function formatNumber(n: number | undefined): string {
  if (n === undefined) return '';
  if (!Number.isFinite(n)) return String(n);
  const abs = Math.abs(n);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return n.toFixed(digits);
}

export function targetText(r: BenchResult): string {
  if (r.target === null) return '';
  return `${r.better === 'lower' ? '≤' : '≥'} ${formatNumber(r.target)} ${r.unit}`;
}

/** A plain-text table for the terminal. */
export function printTable(name: string, results: readonly BenchResult[]): void {
  const header = ['benchmark', 'value', 'target', 'peer', 'ratio', 'verdict'];
  const rows = results.map((r) => [
    r.name,
    `${formatNumber(r.value)} ${r.unit}`,
    targetText(r),
    r.peer ? `${r.peer} ${formatNumber(r.peerValue)} ${r.unit}` : '',
    r.ratio === undefined ? '' : `${formatNumber(r.ratio)}×`,
    verdict(r),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  process.stdout.write(`\n== ${name} ==\n${line(header)}\n${line(widths.map((w) => '-'.repeat(w)))}\n`);
  for (const row of rows) process.stdout.write(`${line(row)}\n`);
  const missed = results.filter((r) => verdict(r) === 'MISS').length;
  process.stdout.write(`${results.length} results, ${missed} missed target\n`);
}

function round(n: number): number {
  if (!Number.isFinite(n)) return n;
  return Number(n.toPrecision(6));
}
