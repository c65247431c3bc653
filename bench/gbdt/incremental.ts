/**
 * Incremental update, in a fresh process: the model fitted on the 800,000 training rows
 * (<dir>/model-ours.json, from fit-ours.ts with 1 thread) gets INCREMENTAL_TREES more trees on the
 * rows of the last INCREMENTAL_DAYS days of its training window (trainGbdt with initModel, 1 thread).
 * Timed as trainGbdt's whole call (binning with the model's edges, scoring the rows with the old
 * trees, growing the new ones). Also reports the updated model's holdout AUC.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { auc } from '../../src/trainers/evaluate.ts';
import { GbdtModel, trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { BENCH_PARAMS, INCREMENTAL_DAYS, INCREMENTAL_TREES } from './params.ts';
import { DAY_MS, emit, firstRowAt, readData, ROWS, rowsOf, TRAIN_ROWS } from './data.ts';

const dir = process.argv[2]!;
const data = readData(dir);
const model = GbdtModel.fromArtifact(JSON.parse(readFileSync(join(dir, 'model-ours.json'), 'utf8')));
const windowEnd = data.ts[TRAIN_ROWS]!;
const from = firstRowAt(data, windowEnd - INCREMENTAL_DAYS * DAY_MS);
const recent = rowsOf(data, from, TRAIN_ROWS);
const holdout = rowsOf(data, TRAIN_ROWS, ROWS);

const t0 = performance.now();
const updated = await trainGbdt(recent, { ...BENCH_PARAMS, numTrees: INCREMENTAL_TREES }, { seed: 1, threads: 1 }, { initModel: model });
const seconds = (performance.now() - t0) / 1000;
emit({
  seconds,
  rows: recent.X.rows,
  treesBefore: model.numTrees,
  treesAfter: updated.model.numTrees,
  aucBefore: auc(holdout.y, model.predict(holdout.X)),
  aucAfter: auc(holdout.y, updated.model.predict(holdout.X)),
});
