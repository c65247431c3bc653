/**
 * Before/after table of every benchmark entry (`npx tsx bench/before-after.ts <git rev>`): the
 * results files as committed at <rev> against the ones in bench/results now, as Markdown for
 * BENCHMARKS.md. An entry counts as slower when it moved more than NOISE in its worse direction;
 * entries new since <rev> show no before.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchResult } from './lib/results.ts';

/** Runs of the same code on this machine differ by about this much (BENCHMARKS.md's repeated runs). */
const NOISE = 0.1;

const rev = process.argv[2];
if (!rev) {
  process.stderr.write('usage: npx tsx bench/before-after.ts <git rev whose bench/results are "before">\n');
  process.exit(2);
}
const dir = join(import.meta.dirname, 'results');

function committed(name: string): BenchResult[] {
  try {
    return JSON.parse(execFileSync('git', ['show', `${rev}:bench/results/${name}.json`], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as BenchResult[];
  } catch {
    return []; // the benchmark did not exist at rev
  }
}

function format(v: number | undefined, unit: string): string {
  if (v === undefined) return '—';
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return `${v.toFixed(digits)} ${unit}`;
}

function verdict(before: number | undefined, after: number, better: BenchResult['better']): string {
  if (before === undefined) return 'new';
  if (before === 0) return after === 0 ? 'same' : 'from 0';
  const change = (after - before) / Math.abs(before);
  const worse = better === 'lower' ? change > NOISE : change < -NOISE;
  const improved = better === 'lower' ? change < -NOISE : change > NOISE;
  const pct = `${change >= 0 ? '+' : ''}${(change * 100).toFixed(0)} %`;
  return worse ? `**${pct} worse**` : improved ? `${pct} better` : `${pct} (noise)`;
}

const lines = ['| entry | before | after | change |', '|---|---:|---:|---|'];
for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && !f.endsWith('.meta.json')).sort()) {
  const name = file.slice(0, -'.json'.length);
  const before = new Map(committed(name).map((r) => [r.name, r.value]));
  for (const r of JSON.parse(readFileSync(join(dir, file), 'utf8')) as BenchResult[]) {
    lines.push(`| ${r.name} | ${format(before.get(r.name), r.unit)} | ${format(r.value, r.unit)} | ${verdict(before.get(r.name), r.value, r.better)} |`);
  }
}
process.stdout.write(`${lines.join('\n')}\n`);
