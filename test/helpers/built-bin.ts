/**
 * The compiled CLI, dist/main.js: what `npm start` and users run, and a fraction of the CPU of a
 * start through tsx (bin/nightshift.js), which the suite pays for every CLI and `serve` process it
 * spawns. It is never stale: `npm test` builds it first (pretest), and the first use in a test
 * process rebuilds it when an input (src/, the build scripts, package.json) changed after the
 * build began reading them. Test files run in parallel processes, so one builds, under a lock.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..', '..');
export const DIST_MAIN = join(ROOT, 'dist', 'main.js');
const STAMP = join(ROOT, 'dist', '.build-started');
const LOCK = join(ROOT, 'dist.lock');
/** A lock older than this was left by a killed process (a build takes seconds). */
const STALE_LOCK_MS = 120_000;

function newestMtime(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    newest = Math.max(newest, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function newestInput(): number {
  const scripts = readdirSync(join(ROOT, 'scripts')).filter((f) => /^(build.*|entries)\.mjs$/.test(f));
  // package.json too: the build reads its dependencies (which to bundle, which to leave external).
  return Math.max(newestMtime(join(ROOT, 'src')), statSync(join(ROOT, 'package.json')).mtimeMs, ...scripts.map((f) => statSync(join(ROOT, 'scripts', f)).mtimeMs));
}

/** True when dist/ was built from the sources as they are now. */
export function distIsFresh(): boolean {
  let started: number;
  try {
    started = Number(readFileSync(STAMP, 'utf8'));
  } catch {
    return false;
  }
  return Number.isFinite(started) && started > newestInput();
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** dist/main.js, built first when missing or stale (synchronous: callers use it as a constant). */
export function ensureBuilt(): string {
  if (distIsFresh()) return DIST_MAIN;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    try {
      if (Date.now() - statSync(LOCK).mtimeMs > STALE_LOCK_MS) rmSync(LOCK, { recursive: true, force: true });
    } catch {
      // released meanwhile
    }
    sleepSync(100);
  }
  try {
    // Another process may have built it while this one waited for the lock.
    if (!distIsFresh()) execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
  // Still stale only if a source changed during the build (or has a future mtime): that build is
  // the sources as they were when this test process started; a later process rebuilds.
  return DIST_MAIN;
}
