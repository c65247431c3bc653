/**
 * Child process (bench/lib/child.ts): in-process predict latency of ONE row, per feature spec.
 *   1. generate the fleet (bench/serving/fleet.ts), build the training set with the spec
 *      (buildTrainingSet) and train the 100-tree GBDT (trainGbdt, 1 thread); export it to ONNX
 *      (exportGbdtToOnnx, float input as by default) and wrap it (onnxArtifact);
 *   2. load both artifacts through the serving path (loadPredictor);
 *   3. time single calls on the same rows, alternating blocks of ours and onnxruntime's so both
 *      see the same machine: `predictRowsSync(ours, [row], history)` and
 *      `await predictRows(onnx, [row], history)` (raw row → transformForServing → model); then the
 *      model alone on a prepared one-row matrix (predictMatrix), for context.
 * Before each spec's measurement it waits for a quiet machine; when other processes used more than
 * NOISY_PERCENT of a core meanwhile, that spec is measured again (3 tries at most).
 * Prints one JSON line (InProcessMeasurement).
 */
import { Buffer } from 'node:buffer';
import { buildTrainingSet, transformForServing } from '../../src/data/features/index.ts';
import { syntheticSchema } from '../../src/data/synthetic/index.ts';
import { isSyncPredictor, loadPredictor, onnxArtifact, predictRows, predictRowsSync, type Predictor, type SyncPredictor } from '../../src/serving/index.ts';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { exportGbdtToOnnx } from '../../src/trainers/onnx/index.ts';
import type { Matrix } from '../../src/trainers/types.ts';
import { machineCpuSeconds, waitForQuiet } from '../api/load.ts';
import { progress } from '../api/progress.ts';
import { summarize, type Summary } from '../lib/stats.ts';
import { FIXED_END_MS, fleetSamples, GBDT_PARAMS, servedRows, SPECS, specOf, type ServedRow, type SpecName } from './fleet.ts';

/** Calls timed per block; blocks alternate ours / onnx, ROUNDS times. */
const BLOCK = 5_000;
const ROUNDS = 10;
const WARMUP_CALLS = 20_000;
const QUIET_PERCENT = 10;
const QUIET_MAX_WAIT_S = 60;
const NOISY_PERCENT = 25;
const TRIES = 3;

export interface PeerLatency {
  /** Raw row → prediction, µs per call. */
  row: Summary;
  /** The model alone on a prepared one-row matrix, µs per call. */
  model: Summary;
}

export interface SpecMeasurement {
  spec: SpecName;
  features: number;
  trees: number;
  trainRows: number;
  servedRows: number;
  /** Mean history samples per served row (0 for the plain spec). */
  historyPerRow: number;
  ours: PeerLatency;
  onnx: PeerLatency;
  /** Largest |ours − onnx| probability over the served rows (onnxruntime computes in float32). */
  maxAbsDiff: number;
  /** % of a core used by other processes during the kept measurement, and the tries it took. */
  otherCpuPercent: number;
  tries: number;
}

export interface InProcessMeasurement {
  node: string;
  specs: SpecMeasurement[];
}

const artifactBytes = (artifact: unknown): Buffer => Buffer.from(JSON.stringify(artifact));

/** Times `calls` sync calls of fn(i), appending µs per call to `into`. */
function timeSync(calls: number, offset: number, fn: (i: number) => unknown, into: number[]): void {
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    fn(offset + i);
    into.push((performance.now() - t0) * 1000);
  }
}

async function timeAsync(calls: number, offset: number, fn: (i: number) => unknown, into: number[]): Promise<void> {
  for (let i = 0; i < calls; i++) {
    const t0 = performance.now();
    await fn(offset + i);
    into.push((performance.now() - t0) * 1000);
  }
}

async function measureSpec(name: SpecName, samples: ReturnType<typeof fleetSamples>): Promise<SpecMeasurement> {
  const spec = specOf(name);
  const set = buildTrainingSet(samples, spec, syntheticSchema('tenant_1'));
  const t0 = performance.now();
  const { model } = await trainGbdt(set, { objective: 'binary_logloss', ...GBDT_PARAMS }, { seed: 1, threads: 1 }, { featureSpec: set.spec });
  progress(`serving: ${name}: trained ${model.numTrees} trees on ${set.X.rows} rows × ${set.features.length} features in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const onnxBytes = exportGbdtToOnnx(model.body, set.features.length, 'binary');
  const ours = await loadPredictor(artifactBytes(model.toArtifact()));
  const onnx = await loadPredictor(artifactBytes(await onnxArtifact(onnxBytes, { task: 'binary', featureSpec: set.spec })));
  if (!isSyncPredictor(ours)) throw new Error('the GBDT predictor should be synchronous');
  try {
    const rows = servedRows(samples, set.spec);
    const historyPerRow = rows.reduce((a, r) => a + r.history.length, 0) / rows.length;
    const maxAbsDiff = await agreement(ours, onnx, rows);
    progress(`serving: ${name}: ${rows.length} rows, ${historyPerRow.toFixed(1)} history samples each; |ours − onnx| ≤ ${maxAbsDiff.toExponential(2)}`);
    for (let attempt = 1; ; attempt++) {
      const quiet = await waitForQuiet([], QUIET_PERCENT, QUIET_MAX_WAIT_S);
      if (quiet.otherPercent >= QUIET_PERCENT) progress(`WARNING: other processes still use ${quiet.otherPercent.toFixed(0)} % of a core after ${quiet.waitedS.toFixed(0)} s; measuring ${name} anyway`);
      const machine0 = machineCpuSeconds().busy;
      const own0 = process.cpuUsage();
      const w0 = performance.now();
      const m = await measureLatency(ours, onnx, rows);
      const wallS = (performance.now() - w0) / 1000;
      const own = process.cpuUsage(own0);
      const otherCpuPercent = Math.max(0, ((machineCpuSeconds().busy - machine0 - (own.user + own.system) / 1e6) / wallS) * 100);
      const line = `ours p50 ${m.ours.row.p50.toFixed(2)} µs (model ${m.ours.model.p50.toFixed(2)}), onnx p50 ${m.onnx.row.p50.toFixed(2)} µs (model ${m.onnx.model.p50.toFixed(2)}); other processes ${otherCpuPercent.toFixed(1)} % of a core`;
      if (otherCpuPercent <= NOISY_PERCENT || attempt === TRIES) {
        if (otherCpuPercent > NOISY_PERCENT) progress(`WARNING: the machine was not quiet during ${name} (${TRIES} tries); kept`);
        progress(`serving: ${name}: ${line}`);
        return { spec: name, features: set.features.length, trees: model.numTrees, trainRows: set.X.rows, servedRows: rows.length, historyPerRow, ...m, maxAbsDiff, otherCpuPercent, tries: attempt };
      }
      progress(`serving: ${name}: ${line}: measuring again`);
    }
  } finally {
    await onnx.close();
  }
}

/** Both predictors on every served row: they must agree (float32 thresholds in ONNX: within 1e-4). */
async function agreement(ours: SyncPredictor, onnx: Predictor, rows: readonly ServedRow[]): Promise<number> {
  let max = 0;
  for (const { row, history } of rows) {
    const a = predictRowsSync(ours, [row], history)[0]!.probability!;
    const b = (await predictRows(onnx, [row], history))[0]!.probability!;
    max = Math.max(max, Math.abs(a - b));
  }
  if (!(max <= 1e-4)) throw new Error(`ours and onnxruntime disagree by ${max} on a served row`);
  return max;
}

async function measureLatency(ours: SyncPredictor, onnx: Predictor, rows: readonly ServedRow[]): Promise<Pick<SpecMeasurement, 'ours' | 'onnx'>> {
  const n = rows.length;
  const oursRow = (i: number) => predictRowsSync(ours, [rows[i % n]!.row], rows[i % n]!.history);
  const onnxRow = (i: number) => predictRows(onnx, [rows[i % n]!.row], rows[i % n]!.history);
  // The model alone: each served row's features, prepared once.
  const matrices: Matrix[] = rows.map(({ row, history }) => transformForServing(ours.featureSpec, [row], history).X);
  const oursModel = (i: number) => ours.predictMatrix(matrices[i % n]!);
  const onnxModel = (i: number) => onnx.predictMatrix(matrices[i % n]!);

  const scratch: number[] = [];
  timeSync(WARMUP_CALLS, 0, oursRow, scratch);
  await timeAsync(WARMUP_CALLS / 4, 0, onnxRow, scratch);
  timeSync(WARMUP_CALLS, 0, oursModel, scratch);
  await timeAsync(WARMUP_CALLS / 4, 0, onnxModel, scratch);

  const t = { oursRow: [] as number[], onnxRow: [] as number[], oursModel: [] as number[], onnxModel: [] as number[] };
  for (let r = 0; r < ROUNDS; r++) {
    timeSync(BLOCK, r * BLOCK, oursRow, t.oursRow);
    await timeAsync(BLOCK, r * BLOCK, onnxRow, t.onnxRow);
    timeSync(BLOCK, r * BLOCK, oursModel, t.oursModel);
    await timeAsync(BLOCK, r * BLOCK, onnxModel, t.onnxModel);
  }
  return { ours: { row: summarize(t.oursRow), model: summarize(t.oursModel) }, onnx: { row: summarize(t.onnxRow), model: summarize(t.onnxModel) } };
}

const samples = fleetSamples(FIXED_END_MS);
progress(`serving: in-process, ${samples.length} samples; specs ${SPECS.join(', ')}`);
const specs: SpecMeasurement[] = [];
for (const name of SPECS) specs.push(await measureSpec(name, samples));
process.stdout.write(`${JSON.stringify({ node: process.version, specs } satisfies InProcessMeasurement)}\n`);
