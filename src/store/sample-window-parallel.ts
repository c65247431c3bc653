/**
 * A SQLite window read by several threads: this one and `threads − 1` workers
 * (sample-window-worker.ts), each on its own read-only connection, take time slices of the window
 * from a shared counter until none is left, and the slices are joined in time order. Whoever is
 * free takes the next slice, so a worker still starting up when this thread is done finds none left
 * and uneven slices even out.
 *
 * Each slice is read in its own snapshot (a single-threaded read has one for the whole window):
 * samples written meanwhile may show in a later slice and not in an earlier one, as with any read
 * in pages. A slice a worker took but never delivered (it failed, or it did not finish in time) is
 * read here.
 */
import type { Worker } from 'node:worker_threads';
import type { DataWindow, DatasetSchema } from '../data/types.ts';
import { entryUrl } from '../entries.ts';
import { spawnModuleWorker } from '../trainers/worker/spawn-worker.ts';
import { SqliteWindowReader, type WindowPart } from './sample-window-sqlite.ts';

/** Smaller windows are read here alone: starting a worker costs more than it would read. */
const MIN_PARALLEL_ROWS = 200_000;
/** Slices per thread: enough to even out uneven slices, few enough that each is a long read. */
const SLICES_PER_THREAD = 8;
/** How long the workers get to deliver the slices they are reading once this thread is done, at least. */
const MIN_WORKER_GRACE_MS = 30_000;

export interface WindowWorkerData {
  file: string;
  tenantId: string;
  datasetId: string;
  features: number;
  /** Slice k is bounds[k] ≤ ts < bounds[k + 1]. */
  bounds: number[];
  /** One Int32: the next slice to take. */
  counter: SharedArrayBuffer;
}

export interface WindowWorkerMessage {
  slice: number;
  part: WindowPart;
}

/** The window (since ≤ ts < until) by `threads` threads; one when it holds fewer than `minRows` samples. */
export async function readWindowInParallel(file: string, schema: DatasetSchema, window: DataWindow, threads: number, minRows = MIN_PARALLEL_ROWS): Promise<WindowPart> {
  const reader = new SqliteWindowReader(file);
  try {
    const extent = reader.extent(schema.tenantId, schema.id, window);
    if (extent === null || reader.count(schema.tenantId, schema.id, window) < minRows) return reader.read(schema.tenantId, schema.id, schema.features.length, window);
    const bounds = sliceBounds(extent.first, extent.last + 1, threads * SLICES_PER_THREAD);
    const slices = bounds.length - 1;
    const data: WindowWorkerData = { file, tenantId: schema.tenantId, datasetId: schema.id, features: schema.features.length, bounds, counter: new SharedArrayBuffer(4) };
    const counter = new Int32Array(data.counter);
    const parts = Array.from({ length: slices }, (): WindowPart | undefined => undefined);
    const workers = Array.from({ length: threads - 1 }, () => spawnModuleWorker(entryUrl('sample-window-worker'), { workerData: data }));
    const delivered = deliveries(workers, parts);
    const readSlice = (k: number) => reader.read(schema.tenantId, schema.id, data.features, { since: bounds[k]!, until: bounds[k + 1]! });
    const t0 = performance.now();
    try {
      for (let k = Atomics.add(counter, 0, 1); k < slices; k = Atomics.add(counter, 0, 1)) parts[k] = readSlice(k);
      // Slices the workers took and are still reading; a worker that took none is not waited for.
      await delivered(Math.max(MIN_WORKER_GRACE_MS, 4 * (performance.now() - t0)));
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
    }
    for (let k = 0; k < slices; k++) parts[k] ??= readSlice(k);
    return joinParts(parts as WindowPart[], schema.features.length);
  } finally {
    reader.close();
  }
}

/**
 * Puts every slice the workers deliver into `parts`. The function it returns resolves once every
 * part is there, every worker has exited, or `timeoutMs` has passed, whichever comes first.
 */
function deliveries(workers: readonly Worker[], parts: Array<WindowPart | undefined>): (timeoutMs: number) => Promise<void> {
  let alive = workers.length;
  let settle: (() => void) | null = null;
  const done = () => alive === 0 || parts.every((p) => p !== undefined);
  const check = () => {
    if (settle && done()) settle();
  };
  for (const w of workers) {
    w.on('message', (m: WindowWorkerMessage) => {
      parts[m.slice] = m.part;
      check();
    });
    // A failed worker's slice is read by the caller, which meets the same error if it was not the worker's own.
    w.on('error', () => undefined);
    w.once('exit', () => {
      alive--;
      check();
    });
  }
  return (timeoutMs) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(() => resolve(), timeoutMs);
      settle = () => {
        clearTimeout(timer);
        resolve();
      };
      check();
    });
}

/** `count` slices of [from, to) of (nearly) equal span, on whole milliseconds; fewer when the span is short. */
export function sliceBounds(from: number, to: number, count: number): number[] {
  const n = Math.max(1, Math.min(count, to - from));
  const bounds = [from];
  for (let k = 1; k < n; k++) bounds.push(from + Math.floor(((to - from) * k) / n));
  bounds.push(to);
  return bounds;
}

/** Consecutive parts as one, entities numbered again in order of first appearance. */
export function joinParts(parts: readonly WindowPart[], nf: number): WindowPart {
  if (parts.length === 1) return parts[0]!;
  let n = 0;
  for (const p of parts) n += p.rows;
  const columns = Array.from({ length: nf }, () => new Float64Array(n));
  const ts = new Float64Array(n);
  const label = new Float64Array(n);
  const entityIndex = new Int32Array(n);
  const entities: string[] = [];
  const codes = new Map<string, number>();
  let at = 0;
  for (const p of parts) {
    columns.forEach((c, f) => c.set(p.columns[f]!, at));
    ts.set(p.ts, at);
    label.set(p.label, at);
    const global = p.entities.map((e) => {
      let code = codes.get(e);
      if (code === undefined) {
        code = entities.push(e) - 1;
        codes.set(e, code);
      }
      return code;
    });
    for (let i = 0; i < p.rows; i++) entityIndex[at + i] = global[p.entityIndex[i]!]!;
    at += p.rows;
  }
  return { rows: n, columns, ts, label, entityIndex, entities };
}
