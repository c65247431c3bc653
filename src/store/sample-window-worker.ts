/**
 * A worker thread of a parallel window read (sample-window-parallel.ts): opens its read-only
 * connection while the slices are counted, then, given the plan, takes slices from the shared
 * counter until none is left and reads each straight into the window's shared columns (a slice
 * whose count no longer holds comes back in columns of its own, transferred, not copied).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { planArrays, readSlice, type WindowPlan, type WindowWorkerData, type WindowWorkerMessage } from './sample-window-parallel.ts';
import { SqliteWindowReader } from './sample-window-sqlite.ts';

const data = workerData as WindowWorkerData;
const reader = new SqliteWindowReader(data.file);
parentPort!.once('message', (plan: WindowPlan) => {
  try {
    const target = planArrays(plan);
    const counter = new Int32Array(plan.counter);
    for (let k = Atomics.add(counter, 0, 1); k < plan.counts.length; k = Atomics.add(counter, 0, 1)) {
      const read = readSlice(reader, data.tenantId, data.datasetId, plan, target, k);
      const message: WindowWorkerMessage = { slice: k, read };
      const transfer = 'part' in read ? [...read.part.columns, read.part.ts, read.part.label, read.part.entityIndex].map((a) => a.buffer as ArrayBuffer) : [];
      parentPort!.postMessage(message, transfer);
    }
  } finally {
    reader.close();
  }
});
