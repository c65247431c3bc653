/**
 * Child process (bench/lib/child.ts): drift of a 1,000,000-row × 20-column window against its
 * reference, PSI and KS on every column, as an assessment computes it.
 *
 * Data: 20 numeric columns (normal with their own mean and scale; the last two log-normal), a
 * reference window of 1M rows and a recent window of 1M rows from the same distributions except
 * columns 0 and 1, shifted by 0.3 σ, each as the SampleColumns the store's column loader returns
 * (loadSampleColumns). The reference profile is made as a training on the store makes it
 * (profileColumns over the window, PROFILE_ROWS of its rows at most, evenly spaced; timed apart,
 * no target).
 * Timed: driftAgainstColumns(profile, recent window) — the function recentDrift
 * (src/policy/assessor.ts) calls on the window it loaded in columns — over the 1M rows (the
 * service itself reads at most DRIFT_MAX_ROWS of them); best of REPEATS. Reading the window from
 * the store is not in it (that is loadSampleColumns, training's reader).
 * Also timed (no target): the assessor's whole path on a SQLite store holding the recent window —
 * its newest DRIFT_MAX_ROWS read in columns (loadNewestColumns), then compared.
 * Peer: scipy's ks_2samp on the same columns (bench/decide/ks_peer.py, /usr/bin/python3), KS only,
 * against the raw reference (it sorts both samples each call). Its D beside ours is a check: ours
 * reads the reference's 256-quantile grid, so it may differ by about 1/256.
 * Prints one JSON line (DriftMeasurement).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Rng } from '../../src/data/synthetic/prng.ts';
import type { DatasetSchema, RawSample, SampleColumns } from '../../src/data/types.ts';
import { defineDataset } from '../../src/data/ingest/dataset-service.ts';
import { inTransaction, openDb } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { loadNewestColumns } from '../../src/store/sample-window.ts';
import { DRIFT_MAX_ROWS } from '../../src/policy/assessor.ts';
import { writeSamples } from '../../src/store/samples.ts';
import { insertTenant } from '../../src/store/tenants.ts';
import { DRIFT_DEFAULTS } from '../../src/policy/drift.ts';
import { driftAgainstColumns, profileColumns, type ModelProfile } from '../../src/policy/profile.ts';
import { parseFeatureSpec } from '../../src/data/features/index.ts';
import { PROFILE_ROWS } from '../../src/training/pipeline.ts';
import { progress } from '../api/progress.ts';

/** NIGHTSHIFT_BENCH_DRIFT_ROWS: fewer rows for a smoke run (the benchmark's figure is at 1M). */
export const ROWS = Number(process.env.NIGHTSHIFT_BENCH_DRIFT_ROWS ?? 1_000_000);
export const COLUMNS = 20;
const REPEATS = 3;
const SHIFTED = new Set([0, 1]);
export const SCIPY_INSTALL = 'apt-get install python3-scipy';

export interface DriftMeasurement {
  rows: number;
  columns: number;
  /** driftAgainstColumns over the recent window in columns (the service's path), best of REPEATS. */
  seconds: number;
  /** This process's CPU time (user + system) of that best run: what it cost, whatever else the machine ran. */
  cpuSeconds: number;
  /**
   * The assessor's whole drift evidence (recentDrift but for reading the stored profile) on a real
   * SQLite store holding the recent window: its newest DRIFT_MAX_ROWS read in columns
   * (loadNewestColumns), then driftAgainstColumns, best of REPEATS; wall and CPU seconds.
   */
  assessorPath: { seconds: number; cpuSeconds: number; rowsCompared: number };
  profileSeconds: number;
  profileRows: number;
  driftedColumns: string[];
  /** null when scipy is missing (then `peerError` says how to install it). */
  scipy: { seconds: number; cpuSeconds: number; version: string; maxAbsDiffD: number } | null;
  peerError: string | null;
}

const name = (c: number) => `x${String(c).padStart(2, '0')}`;

function columnsOf(seed: string, shifted: boolean): Float64Array[] {
  const rng = new Rng(42, seed);
  const normal = () => Math.sqrt(-2 * Math.log(Math.max(rng.next(), 1e-300))) * Math.cos(2 * Math.PI * rng.next());
  return Array.from({ length: COLUMNS }, (_, c) => {
    const mean = c;
    const scale = 1 + c / 10;
    const shift = shifted && SHIFTED.has(c) ? 0.3 : 0;
    const out = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) {
      const z = normal() + shift;
      out[i] = c >= COLUMNS - 2 ? Math.exp(z / 2) : mean + scale * z;
    }
    return out;
  });
}

/** The columns as the store's column loader returns a window: ts a second apart, 1,000 entities in turn, no labels. */
function windowOf(columns: Float64Array[]): SampleColumns {
  const ts = new Float64Array(ROWS);
  const entityIndex = new Int32Array(ROWS);
  for (let i = 0; i < ROWS; i++) {
    ts[i] = i * 1000;
    entityIndex[i] = i % 1000;
  }
  return {
    rows: ROWS,
    features: columns.map((_, c) => ({ name: name(c), type: 'numeric' as const })),
    columns,
    ts,
    label: new Float64Array(ROWS).fill(Number.NaN),
    entityIndex,
    entities: Array.from({ length: 1000 }, (_, e) => `e${e}`),
  };
}

/** The fastest of `repeats` runs: its wall and CPU seconds. */
function best(repeats: number, fn: () => void): { seconds: number; cpuSeconds: number } {
  let min = { seconds: Number.POSITIVE_INFINITY, cpuSeconds: Number.POSITIVE_INFINITY };
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    const cpu = process.cpuUsage();
    fn();
    const used = process.cpuUsage(cpu);
    const seconds = (performance.now() - t0) / 1000;
    if (seconds < min.seconds) min = { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
  }
  return min;
}

function scipyPeer(reference: readonly Float64Array[], recent: readonly Float64Array[]): { seconds: number; cpuSeconds: number; version: string; d: number[] } | string {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-drift-'));
  try {
    const write = (file: string, cols: readonly Float64Array[]) => {
      const all = new Float64Array(COLUMNS * ROWS);
      cols.forEach((col, c) => all.set(col, c * ROWS));
      writeFileSync(join(dir, file), new Uint8Array(all.buffer));
    };
    write('reference.f64', reference);
    write('recent.f64', recent);
    const script = join(import.meta.dirname, 'ks_peer.py');
    const r = spawnSync('/usr/bin/python3', [script, join(dir, 'reference.f64'), join(dir, 'recent.f64'), String(COLUMNS), String(ROWS)], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.error) return `could not run /usr/bin/python3 (${r.error.message}); install Python 3 and scipy: ${SCIPY_INSTALL}`;
    if (r.status === 3) return `scipy is missing for /usr/bin/python3; install it with: ${SCIPY_INSTALL}`;
    if (r.status !== 0) return `ks_peer.py failed (exit ${r.status}): ${r.stderr.trim().slice(-500)}`;
    const out = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { seconds: number; cpu_seconds: number; d: number[]; scipy: string };
    return { seconds: out.seconds, cpuSeconds: out.cpu_seconds, version: out.scipy, d: out.d };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The recent window written to a fresh SQLite store (a dataset of the 20 columns), then read back and
 * compared as recentDrift (src/policy/assessor.ts) does it: loadNewestColumns, then driftAgainstColumns.
 */
async function throughTheStore(profile: ModelProfile, recent: readonly Float64Array[]): Promise<{ seconds: number; cpuSeconds: number; rowsCompared: number; drifted: string[] }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'ns-bench-drift-store-'));
  const db = await openDb({ dataDir, databaseUrl: null });
  try {
    await migrate(db);
    const schema: DatasetSchema = {
      id: 'recent',
      tenantId: 'acme',
      entityKey: 'entity',
      timestamp: 'ts',
      features: Array.from({ length: COLUMNS }, (_, c) => ({ name: name(c), type: 'numeric' as const, nullable: true })),
      label: { name: 'y', type: 'numeric', nullable: true },
    };
    await inTransaction(db, (x) => insertTenant(x, { id: 'acme', name: 'acme', timezone: 'UTC' }, 0));
    await defineDataset(db, schema, 0);
    const CHUNK = 10_000;
    for (let from = 0; from < ROWS; from += CHUNK) {
      const rows: RawSample[] = [];
      for (let i = from; i < Math.min(ROWS, from + CHUNK); i++) {
        const values: Record<string, number> = {};
        for (let c = 0; c < COLUMNS; c++) values[name(c)] = recent[c]![i]!;
        rows.push({ entity: `e${i % 1000}`, ts: i * 1000, values, label: null });
      }
      await inTransaction(db, (x) => writeSamples(x, schema, rows));
    }
    let drift: ReturnType<typeof driftAgainstColumns> | null = null;
    let min = { seconds: Number.POSITIVE_INFINITY, cpuSeconds: Number.POSITIVE_INFINITY };
    for (let r = 0; r < REPEATS; r++) {
      const t0 = performance.now();
      const cpu = process.cpuUsage();
      const window = await loadNewestColumns(db.k, 'acme', 'recent', { since: 0, until: ROWS * 1000 }, DRIFT_MAX_ROWS);
      drift = driftAgainstColumns(profile, window, DRIFT_DEFAULTS, window.rows - DRIFT_MAX_ROWS);
      const used = process.cpuUsage(cpu);
      const seconds = (performance.now() - t0) / 1000;
      if (seconds < min.seconds) min = { seconds, cpuSeconds: (used.user + used.system) / 1e6 };
    }
    return { ...min, rowsCompared: drift!.rows, drifted: drift!.columns.filter((c) => c.drifted).map((c) => c.column) };
  } finally {
    await db.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function measure(): Promise<DriftMeasurement> {
  progress(`decide/drift: generating ${ROWS.toLocaleString('en')} × ${COLUMNS} reference and recent windows`);
  const reference = columnsOf('reference', false);
  const recent = columnsOf('recent', true);
  const spec = parseFeatureSpec({ continuous: Array.from({ length: COLUMNS }, (_, c) => name(c)) });

  const t0 = performance.now();
  const profile = profileColumns(windowOf(reference), spec, { since: 0, until: ROWS * 1000 }, PROFILE_ROWS);
  const profileSeconds = (performance.now() - t0) / 1000;
  progress(`decide/drift: reference profile of ${profile.rows.toLocaleString('en')} rows in ${profileSeconds.toFixed(2)} s`);

  const recentWindow = windowOf(recent);
  let drift = driftAgainstColumns(profile, recentWindow, DRIFT_DEFAULTS);
  const { seconds, cpuSeconds } = best(REPEATS, () => (drift = driftAgainstColumns(profile, recentWindow, DRIFT_DEFAULTS)));
  const driftedColumns = drift.columns.filter((c) => c.drifted).map((c) => c.column);
  progress(`decide/drift: driftAgainstColumns over ${ROWS.toLocaleString('en')} rows × ${COLUMNS} in ${seconds.toFixed(3)} s (best of ${REPEATS}; CPU ${cpuSeconds.toFixed(3)} s); drifted: ${driftedColumns.join(', ')}`);

  progress(`decide/drift: the recent window written to a SQLite store (setup), then its newest ${Math.min(ROWS, DRIFT_MAX_ROWS).toLocaleString('en')} read with loadNewestColumns and compared, as the assessor does`);
  const store = await throughTheStore(profile, recent);
  const assessorPath = { seconds: store.seconds, cpuSeconds: store.cpuSeconds, rowsCompared: store.rowsCompared };
  if (store.drifted.join() !== driftedColumns.join()) throw new Error(`through the store, drifted ${store.drifted.join(', ')}; in memory ${driftedColumns.join(', ')}`);
  progress(`decide/drift: ${store.rowsCompared.toLocaleString('en')} rows read from the store and compared in ${store.seconds.toFixed(3)} s (best of ${REPEATS}; CPU ${store.cpuSeconds.toFixed(3)} s)`);

  progress('decide/drift: scipy ks_2samp on the same columns (/usr/bin/python3)');
  const peer = scipyPeer(reference, recent);
  if (typeof peer === 'string') {
    progress(`WARNING: no peer: ${peer}`);
    return { rows: ROWS, columns: COLUMNS, seconds, cpuSeconds, assessorPath, profileSeconds, profileRows: profile.rows, driftedColumns, scipy: null, peerError: peer };
  }
  const maxAbsDiffD = Math.max(...drift.columns.map((c, i) => Math.abs((c.ks?.d ?? 0) - peer.d[i]!)));
  progress(`decide/drift: scipy ${peer.version} ks_2samp × ${COLUMNS}: ${peer.seconds.toFixed(3)} s (CPU ${peer.cpuSeconds.toFixed(3)} s); largest |D ours − D scipy| ${maxAbsDiffD.toExponential(2)}`);
  return { rows: ROWS, columns: COLUMNS, seconds, cpuSeconds, assessorPath, profileSeconds, profileRows: profile.rows, driftedColumns, scipy: { seconds: peer.seconds, cpuSeconds: peer.cpuSeconds, version: peer.version, maxAbsDiffD }, peerError: null };
}

process.stdout.write(`${JSON.stringify(await measure())}\n`);
