#!/usr/bin/env node
// Compiles the service to plain JavaScript in dist/ (esbuild, one bundle per entry, shared chunks,
// most packages left in node_modules), and the dashboard for the browser in dist/ui (build-ui.mjs).
// `npm start` runs this build: no TypeScript loader in the process, ~40 MB less memory and a
// faster start than running the sources through tsx. The tests run it too (test/helpers/built-bin.ts).
//
// The entries are main plus src/entries.ts's ENTRIES (scripts/entries.mjs): a new worker thread or
// child process entry is added there, not here.
//
// It builds into a fresh directory next to dist/ and then swaps it in, so a process starting from
// dist/ (tests run in parallel) never loads a half-written bundle. dist/.build-started holds when
// the build began reading the sources: a source changed after that makes the build stale.
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';
import { buildUi } from './build-ui.mjs';
import { buildEntries } from './entries.mjs';

const root = new URL('..', import.meta.url).pathname;
const entries = buildEntries();
for (const extra of process.argv.slice(2)) {
  const [name, file] = extra.split('=');
  entries[name] = file;
}

// Dependencies stay in node_modules, except pure-JS ones every command loads, bundled into the
// chunks: a process then reads a few files instead of hundreds at start-up. Only packages whose
// CommonJS code requires nothing outside itself can be bundled into ESM (yaml, which requires
// "process", cannot): the check after the build refuses a bundle that would throw at start-up.
const BUNDLED = ['typebox', 'kysely', 'ajv', 'ajv-formats'];
const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const EXTERNAL = Object.keys(pkg.dependencies).filter((d) => !BUNDLED.includes(d)).flatMap((d) => [d, `${d}/*`]);

/** How long a replaced build's chunks stay for processes still running from it. */
const KEEP_OLD_CHUNKS_MS = 30 * 60_000;

const tag = `${process.pid}-${Date.now()}`;
const staging = `dist.tmp-${tag}`;
const t0 = Date.now();
try {
  await build({
    absWorkingDir: root,
    entryPoints: entries,
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    sourcemap: 'linked',
    chunkNames: 'chunk-[hash]',
    logLevel: 'warning',
  });
  for (const file of readdirSync(`${root}${staging}`).filter((f) => f.endsWith('.js'))) {
    const dynamic = /\b__require\("([^"]+)"\)/.exec(readFileSync(`${root}${staging}/${file}`, 'utf8'));
    if (dynamic) throw new Error(`${file}: a bundled CommonJS package requires "${dynamic[1]}", which fails in an ES module at run time; leave its package out of BUNDLED`);
  }
  const uiBytes = await buildUi(`${root}${staging}/ui`);
  writeFileSync(`${root}${staging}/.build-started`, `${t0}\n`);
  // A process started from the previous build loads its shared chunks lazily (e.g. the server's):
  // recent ones move along (their names are content hashes, so they never clash with new ones).
  for (const chunk of existsSync(`${root}dist`) ? readdirSync(`${root}dist`) : []) {
    const from = `${root}dist/${chunk}`;
    if (/^chunk-.*\.js(\.map)?$/.test(chunk) && !existsSync(`${root}${staging}/${chunk}`) && Date.now() - statSync(from).mtimeMs < KEEP_OLD_CHUNKS_MS) renameSync(from, `${root}${staging}/${chunk}`);
  }
  // Two renames (a directory cannot replace a non-empty one in one step): dist/ is missing only between them.
  const old = `${root}dist.old-${tag}`;
  if (existsSync(`${root}dist`)) renameSync(`${root}dist`, old);
  renameSync(`${root}${staging}`, `${root}dist`);
  rmSync(old, { recursive: true, force: true });
  process.stderr.write(`built dist/ (dashboard in dist/ui: ${Math.round(uiBytes / 1024)} KiB) in ${Date.now() - t0} ms\n`);
} finally {
  rmSync(`${root}${staging}`, { recursive: true, force: true });
}
