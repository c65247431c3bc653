/**
 * Worker threads that must start fast from the sources. spawnModuleWorker runs a `.ts` entry
 * through tsx, whose loader each worker imports and registers first: ~0.5 s before the worker runs
 * a line of ours (measured: tsx's API 0.08 s, register 0.12 s, the module graph through its hooks
 * 0.08 s, more while the main thread is busy), so a training's second thread missed its whole
 * binning. Here the entry is bundled by esbuild (a dependency already: scripts/build.mjs) into one
 * ES module cached in the temp directory with the hashes of its sources (~1 ms to check); a worker
 * starts from a valid cached bundle at once (~0.1 s to ready). A stale or missing bundle is rebuilt in
 * esbuild's own process (~0.1 s) before the workers start. Only for entries whose graph imports
 * nothing but our sources and Node's built-ins (the bundle lives outside the project); a compiled
 * `.js` entry starts directly, and a failed bundle falls back to spawnModuleWorker.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import { spawnModuleWorker } from './spawn-worker.ts';

/** Per user, and only the user's: a bundle found here is code this process runs. */
const CACHE_DIR = join(tmpdir(), `nightshift-worker-bundles-${process.getuid?.() ?? 'user'}`);

/** Whether the cache directory belongs to this user and nobody else may write into it. */
function cacheDirIsOurs(): boolean {
  try {
    const st = statSync(CACHE_DIR);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid()) && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** Per source file of a bundle: the hash of its contents when bundled (not its mtime: a checkout rewrites those). */
type Stamps = Record<string, string>;

const stamp = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

function cacheFiles(entry: URL): { code: string; stamps: string } {
  const key = createHash('sha256').update(entry.href).digest('hex').slice(0, 16);
  return { code: join(CACHE_DIR, `${key}.mjs`), stamps: join(CACHE_DIR, `${key}.json`) };
}

/** The cached bundle of `entry` when every source of it is unchanged, else null. */
function cachedBundle(entry: URL): URL | null {
  const files = cacheFiles(entry);
  if (!cacheDirIsOurs()) return null;
  try {
    const stamps = JSON.parse(readFileSync(files.stamps, 'utf8')) as Stamps;
    for (const [path, hash] of Object.entries(stamps)) if (stamp(path) !== hash) return null;
    return pathToFileURL(files.code);
  } catch {
    return null;
  }
}

/** Bundles `entry` into the cache; null when it cannot be (esbuild missing, a package import). */
async function bundle(entry: URL): Promise<URL | null> {
  try {
    const { build } = await import('esbuild');
    const out = await build({
      entryPoints: [entry.pathname], bundle: true, format: 'esm', platform: 'node', target: 'node20',
      packages: 'external', write: false, metafile: true, logLevel: 'silent',
    });
    const imports = Object.values(out.metafile.outputs).flatMap((o) => o.imports);
    if (imports.some((i) => !i.path.startsWith('node:'))) return null; // a package: unreachable from the cache
    const root = process.cwd();
    const stamps: Stamps = {};
    for (const input of Object.keys(out.metafile.inputs)) {
      const path = input.startsWith('/') ? input : join(root, input);
      stamps[path] = stamp(path);
    }
    const files = cacheFiles(entry);
    mkdirSync(CACHE_DIR, { recursive: true, mode: 0o700 });
    if (!cacheDirIsOurs()) return null;
    // Written aside and renamed: a process starting a worker meanwhile reads a whole file or none.
    const tag = `.${process.pid}.${Date.now()}.tmp`;
    writeFileSync(files.code + tag, out.outputFiles[0]!.contents);
    renameSync(files.code + tag, files.code);
    writeFileSync(files.stamps + tag, JSON.stringify(stamps));
    renameSync(files.stamps + tag, files.stamps);
    return pathToFileURL(files.code);
  } catch {
    return null;
  }
}

/**
 * Starts `count` workers of `entry` (see the module comment): at once from a compiled entry or a
 * valid cached bundle, else after bundling. Resolves once they exist, not once they are ready.
 */
export function startBundledWorkers(entry: URL, count: number, options: (i: number) => WorkerOptions): Promise<Worker[]> {
  const start = (url: URL | null) => Array.from({ length: count }, (_, i) => (url ? new Worker(url, options(i)) : spawnModuleWorker(entry, options(i))));
  if (count === 0) return Promise.resolve([]);
  if (!entry.pathname.endsWith('.ts')) return Promise.resolve(start(entry));
  const cached = cachedBundle(entry);
  if (cached) return Promise.resolve(start(cached));
  return bundle(entry).then(start);
}
