#!/usr/bin/env node
// Compiles the service to plain JavaScript in dist/ (esbuild, one bundle per entry, shared chunks,
// packages left in node_modules), and the dashboard for the browser in dist/ui (build-ui.mjs).
// `npm start` runs this build: no TypeScript loader in the process, ~40 MB less memory and a
// faster start than running the sources through tsx.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';
import { buildUi } from './build-ui.mjs';

const root = new URL('..', import.meta.url).pathname;
const entries = {
  main: 'src/main.ts',
  'train-main': 'src/training/train-main.ts',
  'gbdt-train-worker': 'src/trainers/gbdt/train-worker.ts',
  'gbdt-team-worker': 'src/trainers/gbdt/team-worker.ts',
  'linear-train-worker': 'src/trainers/linear/train-worker.ts',
  launcher: 'src/runs/exec/launcher-main.ts',
  'sample-window-worker': 'src/store/sample-window-worker.ts',
  'outbox-thread': 'src/monitor/notify/outbox-thread-main.ts',
};
for (const extra of process.argv.slice(2)) {
  const [name, file] = extra.split('=');
  entries[name] = file;
}

rmSync(`${root}dist`, { recursive: true, force: true });
const t0 = Date.now();
await build({
  absWorkingDir: root,
  entryPoints: entries,
  outdir: 'dist',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'linked',
  chunkNames: 'chunk-[hash]',
  logLevel: 'warning',
});
const uiBytes = await buildUi(`${root}dist/ui`);
process.stderr.write(`built dist/ (dashboard in dist/ui: ${Math.round(uiBytes / 1024)} KiB) in ${Date.now() - t0} ms\n`);
