/**
 * A worker thread of a parallel window read (sample-window-parallel.ts): takes slices from the
 * shared counter until none is left, reads each on its own read-only connection and hands its
 * columns over (transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { WindowWorkerData, WindowWorkerMessage } from './sample-window-parallel.ts';
import { SqliteWindowReader } from './sample-window-sqlite.ts';

const data = workerData as WindowWorkerData;
const counter = new Int32Array(data.counter);
const reader = new SqliteWindowReader(data.file);
try {
  for (let k = Atomics.add(counter, 0, 1); k < data.bounds.length - 1; k = Atomics.add(counter, 0, 1)) {
    const part = reader.read(data.tenantId, data.datasetId, data.features, { since: data.bounds[k]!, until: data.bounds[k + 1]! });
    const message: WindowWorkerMessage = { slice: k, part };
    parentPort!.postMessage(message, [...part.columns, part.ts, part.label, part.entityIndex].map((a) => a.buffer as ArrayBuffer));
  }
} finally {
  reader.close();
}
