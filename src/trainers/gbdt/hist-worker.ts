/**
 * Histogram worker thread: waits for a task on the control words (hist-protocol.ts), builds the
 * features it claims into the shared histogram buffer, reports done. No event loop work at all.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { buildGroup, spaceFromBuffers } from './histogram.ts';
import { CMD, CTRL, planOffset, type HistWorkerData } from './hist-protocol.ts';

const data = workerData as HistWorkerData;
const space = spaceFromBuffers(data.shape, data.buffers);
const ctrl = new Int32Array(data.control);
const features = ctrl.subarray(CTRL.FEATURES, CTRL.FEATURES + data.shape.features);
const plan = planOffset(data.shape.features);

let gen = Atomics.load(ctrl, CTRL.GEN); // before 'ready': no task can be published earlier
parentPort?.postMessage('ready');
for (;;) {
  Atomics.wait(ctrl, CTRL.GEN, gen);
  gen = Atomics.load(ctrl, CTRL.GEN);
  if (Atomics.load(ctrl, CTRL.CMD) === CMD.STOP) break;
  try {
    const slot = ctrl[CTRL.SLOT]!;
    const start = ctrl[CTRL.START]!;
    const end = ctrl[CTRL.END]!;
    const indexed = ctrl[CTRL.INDEXED] === 1;
    const groups = ctrl[CTRL.GROUPS]!;
    for (let j = Atomics.add(ctrl, CTRL.NEXT, 1); j < groups; j = Atomics.add(ctrl, CTRL.NEXT, 1)) {
      buildGroup(space, features, ctrl[plan + 2 * j]!, ctrl[plan + 2 * j + 1]!, slot, start, end, indexed);
    }
  } catch {
    Atomics.store(ctrl, CTRL.FAILED, 1);
  }
  if (Atomics.sub(ctrl, CTRL.PENDING, 1) === 1) Atomics.notify(ctrl, CTRL.PENDING);
}
