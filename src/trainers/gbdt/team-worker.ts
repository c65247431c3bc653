/**
 * Training worker thread of a thread team (thread-team.ts): waits for a task on the control words
 * (team-protocol.ts) and runs the units it claims on the shared workspace; no event
 * loop work at all. After a task it polls briefly for the next one before sleeping, because the
 * grower publishes tasks in quick succession.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { OBJECTIVES } from './objective.ts';
import { CMD, CTRL, SPIN_MS, type TeamWorkerData } from './team-protocol.ts';
import { TaskRunner } from './team-tasks.ts';
import { openWorkspace, prefaultStaging } from './workspace.ts';

const data = workerData as TeamWorkerData;
const runner = new TaskRunner(openWorkspace(data.shape, data.memory, data.module), data.control, OBJECTIVES[data.objective], data.thread);
const ctrl = runner.ctrl;

let seen = Atomics.load(ctrl, CTRL.SEQ); // before 'ready': no task can be published earlier
parentPort?.postMessage('ready');
if (data.thread === 1) prefaultStaging(runner.ws);
// A team closed while this thread was loading has already published STOP.
while (Atomics.load(ctrl, CTRL.CMD) !== CMD.STOP) {
  const spinUntil = performance.now() + SPIN_MS;
  while (Atomics.load(ctrl, CTRL.SEQ) === seen && performance.now() < spinUntil);
  Atomics.wait(ctrl, CTRL.SEQ, seen);
  seen = Atomics.load(ctrl, CTRL.SEQ);
  if (Atomics.load(ctrl, CTRL.CMD) === CMD.STOP) break;
  try {
    runner.work(seen);
  } catch {
    // FAILED is set; the main thread reports it.
  }
}
