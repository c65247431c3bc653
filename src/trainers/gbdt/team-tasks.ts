/**
 * The units of work of the thread team's tasks (team-protocol.ts), and the claim loop that runs
 * them: the same functions on the main thread and in the workers, and (called directly) on the
 * serial path, so every path computes bit-identical results.
 */
import { buildGroup } from './histogram.ts';
import type { Objective } from './objective.ts';
import { ARG, chunkOffset, CMD, CTRL, planOffset } from './team-protocol.ts';
import type { Workspace } from './workspace.ts';

/**
 * The whole partition of a leaf [start, end) on one thread (see kernels.ts partitionInPlace);
 * returns the left count, and completes the partition only when it equals mid − start.
 */
export function partitionLeaf(
  ws: Workspace, start: number, end: number, mid: number, feature: number, bin: number, missingLeft: boolean,
  gatherLeft: boolean, gatherRight: boolean,
): number {
  const { kernels: k, at } = ws;
  const lefts = k.partitionInPlace(at.bins + feature * ws.rows, bin, missingLeft ? 1 : 0, at.idx, at.scratch, start, end);
  if (lefts !== mid - start) return lefts;
  ws.idx.set(ws.scratch.subarray(start, start + end - mid), mid);
  if (gatherLeft) k.gather(at.idx, at.gh, at.ogh, start, mid);
  if (gatherRight) k.gather(at.idx, at.gh, at.ogh, mid, end);
  return lefts;
}

/** Partition phase 1 on rows idx[a, b): returns how many go left (see kernels.ts partitionScan). */
export function scanChunk(ws: Workspace, a: number, b: number, feature: number, bin: number, missingLeft: boolean): number {
  const at = ws.at;
  return ws.kernels.partitionScan(at.bins + feature * ws.rows, bin, missingLeft ? 1 : 0, at.idx, at.scratch, a, b);
}

/**
 * Partition phase 2 of the chunk [a, b) of a leaf [start, end) splitting at `mid`: its `lefts`
 * rows (scratch[a…], in order) go to idx[start + leftsBefore…], the others (scratch[…b−1],
 * reversed) to idx[mid + rightsBefore…]; the rows of a side being gathered also get their
 * gradient pairs copied to ogh.
 */
export function placeChunk(
  ws: Workspace, start: number, mid: number, a: number, b: number, leftsBefore: number, lefts: number,
  gatherLeft: boolean, gatherRight: boolean,
): void {
  const { kernels: k, at } = ws;
  const rightsBefore = a - start - leftsBefore;
  const rights = b - a - lefts;
  const l = start + leftsBefore;
  const r = mid + rightsBefore;
  (gatherLeft ? k.placeGather : k.place)(at.scratch + 4 * a, 4, lefts, at.idx + 4 * l, at.gh, at.ogh + 16 * l);
  (gatherRight ? k.placeGather : k.place)(at.scratch + 4 * (b - 1), -4, rights, at.idx + 4 * r, at.gh, at.ogh + 16 * r);
}

/**
 * raw[idx[i]] += the value of i's leaf, for idx positions [a, b) (leaves from the leaf table);
 * `keepExp`: see Objective.addLeaf.
 */
export function scoreChunk(ws: Workspace, objective: Objective, a: number, b: number, leafCount: number, keepExp: boolean): void {
  const t = ws.leafTable;
  for (let j = 0; j < leafCount; j++) {
    const s = Math.max(a, t[3 * j]!);
    const e = Math.min(b, t[3 * j + 1]!);
    if (s < e) objective.addLeaf(ws, s, e, t[3 * j + 2]!, keepExp);
  }
}

export function gradientChunk(ws: Workspace, objective: Objective, a: number, b: number, exact: boolean): void {
  objective.gradients(ws, a, b, exact);
}

/** The next unit of task `seq` (−1 when none is left, or the task is no longer current). */
function claim(word: BigInt64Array, seq: number, units: number): number {
  const tag = BigInt(seq);
  for (;;) {
    const current = Atomics.load(word, 0);
    if (current >> 32n !== tag) return -1;
    const unit = Number(current & 0xffffffffn);
    if (unit >= units) return -1;
    if (Atomics.compareExchange(word, 0, current, current + 1n) === current) return unit;
  }
}

/**
 * Claims and runs units of task `seq` until none are left. Every claimed unit is counted in DONE,
 * failed or not (a failure sets FAILED), so the main thread never waits for a unit that ended.
 */
export function work(ws: Workspace, ctrl: Int32Array, word: BigInt64Array, seq: number, objective: Objective): void {
  const cmd = ctrl[CTRL.CMD]!;
  const units = ctrl[CTRL.UNITS]!;
  const arg = (i: number) => ctrl[CTRL.ARGS + i]!;
  const d = ws.features;
  const features = ctrl.subarray(CTRL.FEATURES, CTRL.FEATURES + d);
  for (let u = claim(word, seq, units); u >= 0; u = claim(word, seq, units)) {
    try {
      if (cmd === CMD.HIST) {
        const plan = planOffset(d) + 2 * u;
        const A = ARG.HIST;
        buildGroup(ws, features, ctrl[plan]!, ctrl[plan + 1]!, arg(A.SLOT), arg(A.START), arg(A.END), arg(A.INDEXED) === 1);
        continue;
      }
      // Row-chunk tasks: unit u covers [start + u·chunk, min(end, …+chunk)).
      const start = arg(0);
      const chunk = arg(2);
      const a = start + u * chunk;
      const b = Math.min(arg(1), a + chunk);
      if (cmd === CMD.SCAN) {
        const A = ARG.SCAN;
        ctrl[chunkOffset(d) + u] = scanChunk(ws, a, b, arg(A.FEATURE), arg(A.BIN), arg(A.MISSING_LEFT) === 1);
      } else if (cmd === CMD.PLACE) {
        const A = ARG.PLACE;
        const before = ctrl[chunkOffset(d) + u]!;
        const lefts = ctrl[chunkOffset(d) + u + 1]! - before;
        placeChunk(ws, start, arg(A.MID), a, b, before, lefts, arg(A.GATHER_LEFT) === 1, arg(A.GATHER_RIGHT) === 1);
      } else if (cmd === CMD.GRAD) {
        gradientChunk(ws, objective, a, b, arg(ARG.GRAD.EXACT) === 1);
      } else if (cmd === CMD.SCORE) {
        scoreChunk(ws, objective, a, b, arg(ARG.SCORE.LEAVES), arg(ARG.SCORE.KEEP_EXP) === 1);
      }
    } catch (error) {
      Atomics.store(ctrl, CTRL.FAILED, 1);
      throw error;
    } finally {
      if (Atomics.add(ctrl, CTRL.DONE, 1) + 1 === units) Atomics.notify(ctrl, CTRL.DONE);
    }
  }
}
