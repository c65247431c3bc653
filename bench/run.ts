/**
 * Benchmark dispatcher. `npm run bench` runs every benchmark; `npm run bench -- scheduler api` runs
 * the named ones. Each benchmark is `bench/<name>.ts` exporting `run(): Promise<BenchResult[]>`;
 * its results go to `bench/results/<name>.json` and the results section of BENCHMARKS.md.
 */
import { printTable, runInfo, writeResults, type BenchResult } from './lib/results.ts';
import { renderBenchmarksMarkdown } from './lib/render-markdown.ts';

interface Benchmark {
  run(): Promise<BenchResult[]>;
}

/** Name → module. A new benchmark is one file and one line here. */
const BENCHMARKS: Readonly<Record<string, () => Promise<Benchmark>>> = {
  scheduler: () => import('./scheduler.ts'),
  api: () => import('./api.ts'),
  gbdt: () => import('./gbdt.ts'),
  serving: () => import('./serving.ts'),
  monitor: () => import('./monitor.ts'),
  decide: () => import('./decide.ts'),
  auth: () => import('./auth.ts'),
  dashboard: () => import('./dashboard.ts'),
};

function selected(args: readonly string[]): string[] {
  const names = args.filter((a) => a !== '--');
  if (names.length === 0) return Object.keys(BENCHMARKS);
  const unknown = names.filter((n) => !(n in BENCHMARKS));
  if (unknown.length > 0) {
    process.stderr.write(`unknown benchmark${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}; known: ${Object.keys(BENCHMARKS).join(', ')}\n`);
    process.exit(2);
  }
  return names;
}

let failed = 0;
for (const name of selected(process.argv.slice(2))) {
  const startedAt = Date.now();
  try {
    const bench = await BENCHMARKS[name]!();
    const results = await bench.run();
    const file = writeResults(name, results, runInfo(startedAt));
    printTable(name, results);
    process.stdout.write(`wrote ${file} (${Math.round((Date.now() - startedAt) / 1000)} s)\n`);
  } catch (error) {
    failed++;
    process.stderr.write(`benchmark "${name}" failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
}
process.stdout.write(`updated ${renderBenchmarksMarkdown()}\n`);
process.exitCode = failed > 0 ? 1 : 0;
