/**
 * The boosting loop (pure, in-thread; callers off the API's event loop use train-in-worker.ts):
 * bin once, then per tree: gradients → (bagged rows, sampled features) → grow → update scores,
 * with progress, early stopping on a validation set (keeping the best trees) and an AbortSignal
 * checked between trees. Incremental mode continues from `initModel` with its bins and trees.
 * Every per-row array lives in one shared workspace (workspace.ts) and every per-row pass runs
 * on the thread team (thread-team.ts): `ctx.threads` threads, the calling one included.
 */
import { NsError } from '../../errors.ts';
import type { GbdtBody, GbdtTree, TrainContext, TrainingSet, TrainProgress } from '../types.ts';
import { binOnTeam } from './bin-matrix.ts';
import { encodeForest, forestBytes } from './forest.ts';
import { growTree } from './grow-tree.ts';
import { planGroups } from './histogram.ts';
import { kernelModule } from './kernels.ts';
import { GbdtModel } from './model.ts';
import { OBJECTIVES, type Objective } from './objective.ts';
import { resolveGbdtParams, type ResolvedGbdtParams } from './params.ts';
import { addTreeBinned, addTreeRaw, checkMatrix, compileTree, splitBinsOf } from './predict.ts';
import { quantization } from './quantize.ts';
import { ThreadTeam } from './thread-team.ts';
import { allocateMemory, HIST_FEATURE_BYTES, openWorkspace, type Workspace, type WorkspaceShape } from './workspace.ts';
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
  /** Threads actually used (1 = the calling thread only). */
  threadsUsed: number;
  timingsMs: { binning: number; boosting: number };
}

/**
 * Binary log-loss keeps e^−raw per row up to date through the score updates (one product per row
 * instead of an exponential); every this many trees it is recomputed from the scores, which bounds
 * the rounding drift of those products (about 1e-16 relative per tree).
 */
const EXACT_GRADIENTS_EVERY = 16;

/** The slot of a root whose histograms the previous tree's score update built (every slot is free between trees). */
const ROOT_SLOT = 0;

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
  const slotsByMemory = Math.floor(HIST_BUDGET_BYTES / (d * HIST_FEATURE_BYTES));
  const slots = Math.max(2, Math.min(p.maxLeaves, Math.ceil(n / p.minSamplesLeaf), slotsByMemory));
  const shape: WorkspaceShape = {
    rows: n, features: d, slots, leaves: Math.min(p.maxLeaves, n), forestBytes: init ? forestBytes(init.body.trees) : 0,
    withHess: !objective.unitHessian, threads: parallel ? threads : 1,
  };
  const ws = openWorkspace(shape, allocateMemory(shape), kernelModule());
  const team = ThreadTeam.spawn(ws, objective);
  const threadsUsed = team.threads;
  try {
    // The team bins while its workers load: a worker joins the tasks published after it is ready.
    await team.created();
    const { edges, binned } = binOnTeam(team, ws, set.X, init ? init.body.binEdges : null, p.maxBins, p.binSampleRows, ctx.seed);
    team.setSplitRules(p, binned.numBins);
    if (objective.bounds !== null) team.setQuantization(quantization(n, objective.bounds.g, objective.bounds.h));
    ws.y.set(set.y.subarray(0, n));
    const baseScore = init ? init.body.baseScore : objective.baseScore(set.y, n);
    const raw = ws.raw;
    if (init) scoreInitial(init, set, ws, raw);
    else raw.fill(baseScore);
    const t1 = performance.now();
    await team.start();

    const valid = options.valid;
    const validRaw = valid ? (init ? init.predictRaw(valid.X) : new Float64Array(valid.X.rows).fill(baseScore)) : null;
    const earlyStopping = valid !== undefined && p.earlyStoppingRounds > 0;
    let bestLoss = valid && validRaw ? objective.loss(validRaw, valid.y, valid.X.rows) : Infinity;
    let bestCount = 0;

    const usable: number[] = [];
    for (let f = 0; f < d; f++) if (binned.numBins[f]! >= 2) usable.push(f);
    const features = new Int32Array(d);
    const outOfBag = new Uint32Array(p.rowSubsample < 1 ? n : 0);
    const trees: GbdtTree[] = [];
    const progress = progressReporter(ctx, objective, set, raw);
    let stoppedEarly = false;
    let exact = true; // the next gradients from Math.exp (else from e^−raw kept by the score update)
    let pairsReady = false; // the score update has computed them already
    let root: { slot: number; histSeq: number } | null = null; // and the root's histograms
    const featuresOf = (seedIndex: number) => p.featureSubsample < 1
      ? sampleSorted(usable, Math.max(1, Math.round(p.featureSubsample * usable.length)), rng(ctx.seed, STREAM.features, seedIndex))
      : usable;

    for (let it = 0; it < p.numTrees; it++) {
      throwIfAborted(ctx.signal, it);
      if (!pairsReady) team.gradients(n, exact);
      const seedIndex = (init?.numTrees ?? 0) + it;
      let rows = n;
      let oob = 0;
      if (p.rowSubsample < 1) [rows, oob] = bag(ws.idx, outOfBag, n, p.rowSubsample, rng(ctx.seed, STREAM.rows, seedIndex));
      const chosen = featuresOf(seedIndex);
      const featureCount = chosen.length;
      features.set(chosen);
      team.setFeatures(features, featureCount);

      const grown = growTree({
        ws, team, binEdges: edges, features, featureCount, plan: planGroups(featureCount),
        rows, bagged: p.rowSubsample < 1, options: p, root,
      });
      // Without bagging every row is in a leaf, so e^−raw can follow the scores (out-of-bag rows
      // would not), and the next gradients are computed in the same pass, with the next tree's
      // root histograms; every EXACT_GRADIENTS_EVERY trees they are recomputed from the scores
      // instead.
      const keepExp = p.rowSubsample === 1 && (it + 1) % EXACT_GRADIENTS_EVERY !== 0;
      pairsReady = keepExp && objective.bounds !== null;
      const next = pairsReady && it + 1 < p.numTrees ? featuresOf(seedIndex + 1) : null;
      if (next) {
        features.set(next);
        team.setFeatures(features, next.length);
      }
      const scoreSeq = team.updateScores(grown.leaves, keepExp, pairsReady, next ? { slot: ROOT_SLOT, count: next.length, plan: planGroups(next.length) } : null);
      root = next ? { slot: ROOT_SLOT, histSeq: scoreSeq } : null;
      exact = !keepExp;
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
    await team.close();
  }
}

/**
 * The initial model's raw scores of the training rows. Its trees split on the same bins (incremental
 * mode keeps the model's edges), so they are walked over the bin codes in WebAssembly, which is
 * exact and faster than over the raw values; trees whose thresholds are not those edges fall back
 * to the raw values. Trees are added in model order either way, so the sums are the same.
 */
export function scoreInitial(init: GbdtModel, set: TrainingSet, ws: Workspace, raw: Float64Array): void {
  const { baseScore, trees, binEdges } = init.body;
  const splitBins = trees.map((t) => splitBinsOf(t, binEdges));
  if (splitBins.some((b) => b === null)) {
    raw.set(init.predictRaw(set.X));
    return;
  }
  raw.fill(baseScore);
  encodeForest(trees, splitBins as number[][], set.X.rows, ws.memory.buffer, ws.at.forest);
  ws.kernels.walkForest(ws.at.forest, trees.length, ws.at.bins, 1, 0, set.X.rows, ws.at.raw);
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
