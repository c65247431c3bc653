/**
 * The boosting loop (pure, in-thread; callers off the API's event loop use train-in-worker.ts):
 * bin once, then per tree: gradients → (bagged rows, sampled features) → grow → update scores,
 * with progress, early stopping on a validation set (keeping the best trees) and an AbortSignal
 * checked between trees. Incremental mode continues from `initModel` with its bins and trees.
 */
import { NsError } from '../../errors.ts';
import type { GbdtBody, GbdtTree, TrainContext, TrainingSet, TrainProgress } from '../types.ts';
import { binMatrix, computeAllBinEdges } from './binning.ts';
import { growTree } from './grow-tree.ts';
import { allocateBuffers, countRootBins, HIST_STRIDE, planGroups, SerialHistogramBuilder, spaceFromBuffers, type HistogramBuilder } from './histogram.ts';
import { HistogramPool } from './hist-pool.ts';
import { GbdtModel } from './model.ts';
import { OBJECTIVES, type Objective } from './objective.ts';
import { resolveGbdtParams, type ResolvedGbdtParams } from './params.ts';
import { addTreeBinned, addTreeRaw, checkMatrix, compileTree } from './predict.ts';
import { rng, sampleSorted, STREAM } from '../random.ts';

export interface GbdtTrainOptions {
  /** Incremental mode: continue from this model (same bins and base score), adding `numTrees` trees. */
  initModel?: GbdtModel;
  /** Rows for early stopping (and validLoss in progress). */
  valid?: TrainingSet;
  /** Stored in the artifact so the model carries the feature engineering it expects. */
  featureSpec?: unknown;
}

export interface GbdtTrainResult {
  model: GbdtModel;
  /** Trees grown in this run, and how many of them the model keeps (fewer after early stopping). */
  treesGrown: number;
  treesKept: number;
  stoppedEarly: boolean;
  bestValidLoss: number | null;
  /** Worker threads actually used for histograms (1 = none). */
  threadsUsed: number;
  timingsMs: { binning: number; boosting: number };
}

/** Histogram memory cap per training run; leaves beyond it re-build instead of subtracting. */
const HIST_BUDGET_BYTES = 256 * 1024 * 1024;

export async function trainGbdt(
  set: TrainingSet,
  params: unknown,
  ctx: TrainContext,
  options: GbdtTrainOptions = {},
): Promise<GbdtTrainResult> {
  const init = options.initModel;
  const given = (params ?? {}) as Record<string, unknown>;
  const p = resolveGbdtParams(init && given.objective === undefined ? { ...given, objective: init.body.objective } : given);
  const objective = OBJECTIVES[p.objective];
  checkSet(set, objective, 'set');
  if (init) checkInit(init, set, p);
  if (options.valid) {
    checkSet(options.valid, objective, 'valid');
    if (options.valid.features.length !== set.features.length) {
      throw new NsError('NS_VALIDATION', 'valid: must have the same features as the training set', { field: 'valid' });
    }
  }
  throwIfAborted(ctx.signal, 0);

  const t0 = performance.now();
  const n = set.X.rows;
  const d = set.X.columns.length;
  const threads = Math.max(1, Math.floor(ctx.threads ?? 1));
  const parallel = threads > 1 && d > 1 && n * d >= p.parallelMinCells;
  const edges = init ? init.body.binEdges : computeAllBinEdges(set.X, p.maxBins, p.binSampleRows, ctx.seed);
  const binned = binMatrix(set.X, edges, parallel);
  const slotsByMemory = Math.floor(HIST_BUDGET_BYTES / (d * HIST_STRIDE * 8));
  const slots = Math.max(2, Math.min(p.maxLeaves, Math.ceil(n / p.minSamplesLeaf), slotsByMemory));
  const shape = { rows: n, features: d, slots, withHess: !objective.unitHessian };
  const buffers = allocateBuffers(shape, binned.buffer, parallel);
  const space = spaceFromBuffers(shape, buffers);
  if (p.rowSubsample === 1) countRootBins(space);
  const t1 = performance.now();

  const builder: HistogramBuilder = parallel ? await HistogramPool.create(space, shape, buffers, threads) : new SerialHistogramBuilder(space);
  const threadsUsed = parallel ? threads : 1;
  try {
    const baseScore = init ? init.body.baseScore : objective.baseScore(set.y, n);
    const raw = init ? init.predictRaw(set.X) : new Float64Array(n).fill(baseScore);
    const valid = options.valid;
    const validRaw = valid ? (init ? init.predictRaw(valid.X) : new Float64Array(valid.X.rows).fill(baseScore)) : null;
    const earlyStopping = valid !== undefined && p.earlyStoppingRounds > 0;
    let bestLoss = valid && validRaw ? objective.loss(validRaw, valid.y, valid.X.rows) : Infinity;
    let bestCount = 0;

    const usable = [];
    for (let f = 0; f < d; f++) if (binned.numBins[f]! >= 2) usable.push(f);
    const features = new Int32Array(d);
    const scratch = new Uint32Array(n);
    const outOfBag = new Uint32Array(p.rowSubsample < 1 ? n : 0);
    const trees: GbdtTree[] = [];
    const progress = progressReporter(ctx, objective, set, raw);
    let stoppedEarly = false;

    for (let it = 0; it < p.numTrees; it++) {
      throwIfAborted(ctx.signal, it);
      objective.gradients(raw, set.y, space.g, space.h, n);
      const seedIndex = (init?.numTrees ?? 0) + it;
      let rows = n;
      let oob = 0;
      if (p.rowSubsample < 1) [rows, oob] = bag(space.idx, outOfBag, n, p.rowSubsample, rng(ctx.seed, STREAM.rows, seedIndex));
      const chosen = p.featureSubsample < 1
        ? sampleSorted(usable, Math.max(1, Math.round(p.featureSubsample * usable.length)), rng(ctx.seed, STREAM.features, seedIndex))
        : usable;
      const featureCount = chosen.length;
      features.set(chosen);

      const grown = growTree({
        space, builder, numBins: binned.numBins, binEdges: edges, features, featureCount,
        plan: planGroups(featureCount, threadsUsed),
        rows, bagged: p.rowSubsample < 1, scratch, options: p, // unbagged roots use the cached root counts
      });
      const idx = space.idx;
      for (const leaf of grown.leaves) {
        const v = leaf.value;
        for (let i = leaf.start; i < leaf.end; i++) {
          const r = idx[i]!;
          raw[r] = raw[r]! + v;
        }
      }
      const compiled = compileTree(grown.tree);
      if (oob > 0) addTreeBinned(compiled, grown.splitBin, binned.columns, outOfBag, oob, raw);
      trees.push(grown.tree);

      let validLoss: number | undefined;
      if (valid && validRaw) {
        addTreeRaw(compiled, valid.X, validRaw);
        validLoss = objective.loss(validRaw, valid.y, valid.X.rows);
        if (validLoss < bestLoss) {
          bestLoss = validLoss;
          bestCount = trees.length;
        }
      }
      const last = it === p.numTrees - 1;
      stoppedEarly = earlyStopping && trees.length - bestCount >= p.earlyStoppingRounds && !last;
      progress(trees.length, validLoss);
      if (stoppedEarly) break;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }

    const kept = earlyStopping ? trees.slice(0, bestCount) : trees;
    const body: GbdtBody = {
      objective: p.objective,
      baseScore,
      trees: [...(init?.body.trees ?? []), ...kept],
      binEdges: edges.map((e) => [...e]),
    };
    const model = new GbdtModel({
      features: set.features,
      body,
      params: { ...p },
      featureSpec: options.featureSpec ?? init?.featureSpec,
    });
    return {
      model,
      treesGrown: trees.length,
      treesKept: kept.length,
      stoppedEarly,
      bestValidLoss: valid ? bestLoss : null,
      threadsUsed,
      timingsMs: { binning: t1 - t0, boosting: performance.now() - t1 },
    };
  } finally {
    await builder.close();
  }
}

/** Bernoulli row sample (seeded): in-bag rows into `idx`, the others into `outOfBag`. */
function bag(idx: Uint32Array, outOfBag: Uint32Array, n: number, fraction: number, random: () => number): [number, number] {
  let inBag = 0;
  let out = 0;
  for (let i = 0; i < n; i++) {
    if (random() < fraction) idx[inBag++] = i;
    else outOfBag[out++] = i;
  }
  if (inBag === 0) {
    idx[inBag++] = outOfBag[--out]!; // never grow a tree on no rows
  }
  return [inBag, out];
}

/** Rows the reported training loss is computed on: all of them up to this, else an even stride. */
const PROGRESS_LOSS_ROWS = 20_000;

/**
 * Progress after each tree. The training loss is exact up to PROGRESS_LOSS_ROWS rows and beyond
 * that measured on every k-th row, so reporting costs the same small time on any data size.
 */
function progressReporter(ctx: TrainContext, objective: Objective, set: TrainingSet, raw: Float64Array) {
  const n = set.X.rows;
  const stride = Math.ceil(n / PROGRESS_LOSS_ROWS);
  const m = Math.ceil(n / stride);
  const sampleRaw = new Float64Array(m);
  const sampleY = new Float64Array(m);
  for (let j = 0; j < m; j++) sampleY[j] = set.y[j * stride]!;
  return (iteration: number, validLoss: number | undefined) => {
    if (!ctx.onProgress) return;
    for (let j = 0; j < m; j++) sampleRaw[j] = raw[j * stride]!;
    const report: TrainProgress = { iteration, trainLoss: objective.loss(sampleRaw, sampleY, m) };
    if (validLoss !== undefined) report.validLoss = validLoss;
    ctx.onProgress(report);
  };
}

function throwIfAborted(signal: AbortSignal | undefined, treesDone: number): void {
  if (signal?.aborted) {
    throw new NsError('NS_JOB_CANCELLED', `GBDT training was cancelled after ${treesDone} trees`, {
      cause: signal.reason,
      details: { treesDone },
    });
  }
}

function checkSet(set: TrainingSet, objective: Objective, field: string): void {
  const rows = set.X.rows;
  if (!Number.isInteger(rows) || rows < 1) throw new NsError('NS_VALIDATION', `${field}: needs at least one row`, { field });
  if (set.features.length !== set.X.columns.length) {
    throw new NsError('NS_VALIDATION', `${field}: ${set.features.length} features declared, ${set.X.columns.length} columns given`, { field });
  }
  if (set.features.length === 0) throw new NsError('NS_VALIDATION', `${field}: needs at least one feature`, { field });
  checkMatrix(set.X, set.features.length, `${field}.X`);
  if (set.y.length < rows) throw new NsError('NS_VALIDATION', `${field}.y: ${set.y.length} labels for ${rows} rows`, { field: `${field}.y` });
  objective.checkLabels(set.y, rows, `${field}.y`);
}

function checkInit(init: GbdtModel, set: TrainingSet, p: ResolvedGbdtParams): void {
  if (init.body.objective !== p.objective) {
    throw new NsError('NS_VALIDATION', `params.objective: ${p.objective} cannot continue a ${init.body.objective} model`, { field: 'params.objective' });
  }
  const names = set.features.map((f) => f.name).join(',');
  if (names !== init.features.map((f) => f.name).join(',')) {
    throw new NsError('NS_VALIDATION', 'set.features: incremental training needs the initial model\'s features, in its order', { field: 'set.features' });
  }
}
