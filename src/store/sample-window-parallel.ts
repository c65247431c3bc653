/**
 * A SQLite window read by several threads: this one and `threads − 1` workers
 * (sample-window-worker.ts), each on its own read-only connection, take time slices of the window
 * from a shared counter until none is left. Whoever is free takes the next slice, so a worker still
 * starting up when this thread is done finds none left and uneven slices even out.
 *
 * The workers start first, and boot while this thread counts each slice on the index; the counts
 * place every slice in the window's columns, which are shared memory that each thread reads its
 * slices straight into (joining copies of the slices cost as much as a fifth of the read). Only
 * the entity numbers are put in order afterwards, in one pass.
 *
 * Each slice is read in its own snapshot (a single-threaded read has one for the whole window):
 * samples written meanwhile may show in a later slice and not in an earlier one, as with any read
 * in pages. A slice that holds another number of samples by the time it is read than it was
 * counted with is read into columns of its own, and the slices are then joined by copying. A slice
 * a worker took but never delivered (it failed, or it did not finish in time) is read here.
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

/** What a worker is started with; the plan follows in a message once the slices are counted. */
export interface WindowWorkerData {
  file: string;
  tenantId: string;
  datasetId: string;
}

/** The slices, where each goes in the shared columns, and the counter the threads take them from. */
export interface WindowPlan {
  /** Slice k is bounds[k] ≤ ts < bounds[k + 1]. */
  bounds: number[];
  /** Slice k holds counts[k] samples, from row offsets[k] of the columns. */
  offsets: number[];
  counts: number[];
  /** One Int32: the next slice to take. */
  counter: SharedArrayBuffer;
  /** The window's arrays (SharedArrayBuffers): features' columns, ts, label, entityIndex. */
  columns: SharedArrayBuffer[];
  ts: SharedArrayBuffer;
  label: SharedArrayBuffer;
  entityIndex: SharedArrayBuffer;
}

/** A slice read: in place (its entities; entityIndex holds codes into them), or in columns of its own. */
export type SliceRead = { entities: string[] } | { part: WindowPart };

export interface WindowWorkerMessage {
  slice: number;
  read: SliceRead;
}

/** The shared columns of a plan as typed arrays (the window's WindowPart, entities aside). */
export function planArrays(plan: WindowPlan): WindowPart {
  const rows = plan.ts.byteLength / 8;
  return { rows, columns: plan.columns.map((b) => new Float64Array(b)), ts: new Float64Array(plan.ts), label: new Float64Array(plan.label), entityIndex: new Int32Array(plan.entityIndex), entities: [] };
}

/** Reads slice k of the plan on `reader`: into the shared columns when its count still holds. */
export function readSlice(reader: SqliteWindowReader, tenantId: string, datasetId: string, plan: WindowPlan, target: WindowPart, k: number): SliceRead {
  const window = { since: plan.bounds[k]!, until: plan.bounds[k + 1]! };
  const entities = reader.readInto(tenantId, datasetId, window, target, plan.offsets[k]!, plan.counts[k]!);
  return entities !== null ? { entities } : { part: reader.read(tenantId, datasetId, target.columns.length, window) };
}

/** The window (since ≤ ts < until) by `threads` threads; one when it holds fewer than `minRows` samples. */
export async function readWindowInParallel(file: string, schema: DatasetSchema, window: DataWindow, threads: number, minRows = MIN_PARALLEL_ROWS): Promise<WindowPart> {
  const { tenantId, id: datasetId } = schema;
  const nf = schema.features.length;
  const reader = new SqliteWindowReader(file);
  let workers: Worker[] = [];
  try {
    const extent = reader.extent(tenantId, datasetId, window);
    if (extent === null || !reader.holdsAtLeast(tenantId, datasetId, window, Math.max(1, minRows))) return reader.read(tenantId, datasetId, nf, window);
    const data: WindowWorkerData = { file, tenantId, datasetId };
    workers = Array.from({ length: threads - 1 }, () => spawnModuleWorker(entryUrl('sample-window-worker'), { workerData: data }));
    const plan = planWindow(reader, tenantId, datasetId, sliceBounds(extent.first, extent.last + 1, threads * SLICES_PER_THREAD), nf);
    for (const w of workers) w.postMessage(plan);
    const target = planArrays(plan);
    const slices = plan.counts.length;
    const reads = Array.from({ length: slices }, (): SliceRead | undefined => undefined);
    const delivered = deliveries(workers, reads);
    const counter = new Int32Array(plan.counter);
    const t0 = performance.now();
    try {
      for (let k = Atomics.add(counter, 0, 1); k < slices; k = Atomics.add(counter, 0, 1)) reads[k] = readSlice(reader, tenantId, datasetId, plan, target, k);
      // Slices the workers took and are still reading; a worker that took none is not waited for.
      await delivered(Math.max(MIN_WORKER_GRACE_MS, 4 * (performance.now() - t0)));
    } finally {
      await Promise.all(workers.map((w) => w.terminate()));
      workers = [];
    }
    for (let k = 0; k < slices; k++) reads[k] ??= readSlice(reader, tenantId, datasetId, plan, target, k);
    return assemble(plan, target, reads as SliceRead[]);
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
    reader.close();
  }
}

/** Counts each slice (on the index) and allocates the shared columns they are read into. */
export function planWindow(reader: SqliteWindowReader, tenantId: string, datasetId: string, bounds: number[], nf: number): WindowPlan {
  const counts = bounds.slice(1).map((until, k) => reader.count(tenantId, datasetId, { since: bounds[k]!, until }));
  const offsets: number[] = [];
  let n = 0;
  for (const c of counts) {
    offsets.push(n);
    n += c;
  }
  const shared = (bytes: number) => new SharedArrayBuffer(bytes);
  return { bounds, offsets, counts, counter: shared(4), columns: Array.from({ length: nf }, () => shared(8 * n)), ts: shared(8 * n), label: shared(8 * n), entityIndex: shared(4 * n) };
}

/**
 * The window from its slices: the shared columns with entities numbered again in order of first
 * appearance, when every slice was read in place; otherwise every slice as a part, joined.
 */
export function assemble(plan: WindowPlan, target: WindowPart, reads: readonly SliceRead[]): WindowPart {
  if (reads.every((r) => 'entities' in r)) {
    const entities: string[] = [];
    const codes = new Map<string, number>();
    reads.forEach((r, k) => {
      const global = (r as { entities: string[] }).entities.map((e) => {
        let code = codes.get(e);
        if (code === undefined) {
          code = entities.push(e) - 1;
          codes.set(e, code);
        }
        return code;
      });
      const { entityIndex } = target;
      for (let i = plan.offsets[k]!, end = i + plan.counts[k]!; i < end; i++) entityIndex[i] = global[entityIndex[i]!]!;
    });
    return { ...target, entities };
  }
  const parts = reads.map((r, k): WindowPart => {
    if ('part' in r) return r.part;
    const [from, to] = [plan.offsets[k]!, plan.offsets[k]! + plan.counts[k]!];
    const view = (a: Float64Array) => a.subarray(from, to);
    return { rows: to - from, columns: target.columns.map(view), ts: view(target.ts), label: view(target.label), entityIndex: target.entityIndex.subarray(from, to), entities: r.entities };
  });
  return joinParts(parts, target.columns.length);
}

/**
 * Puts every slice the workers deliver into `reads`. The function it returns resolves once every
 * slice is there, every worker has exited, or `timeoutMs` has passed, whichever comes first.
 */
function deliveries(workers: readonly Worker[], reads: Array<SliceRead | undefined>): (timeoutMs: number) => Promise<void> {
  let alive = workers.length;
  let settle: (() => void) | null = null;
  const done = () => alive === 0 || reads.every((r) => r !== undefined);
  const check = () => {
    if (settle && done()) settle();
  };
  for (const w of workers) {
    w.on('message', (m: WindowWorkerMessage) => {
      reads[m.slice] = m.read;
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
