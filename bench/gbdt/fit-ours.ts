/**
 * One fit of our GBDT (trainGbdt in this thread, ctx.threads = argv[3]) on the 800,000 training rows,
 * in a fresh process: fit time, predict time for 100,000 holdout rows (model.predict with the same
 * thread budget), the holdout predictions
 * (written to <dir>/pred-ours-t<threads>.f64 for the AUC), peak RSS; with threads = 1 it also saves
 * the model (<dir>/model-ours.json) for the incremental measurement.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { BENCH_PARAMS, PREDICT_ROWS } from './params.ts';
import { emit, peakRssMb, readData, ROWS, rowsOf, rssMb, TRAIN_ROWS } from './data.ts';

const dir = process.argv[2]!;
const threads = Number(process.argv[3]);
let data: ReturnType<typeof readData> | null = readData(dir);
const train = rowsOf(data, 0, TRAIN_ROWS);
const holdout = rowsOf(data, TRAIN_ROWS, ROWS);
data = null;
const rssBeforeFit = rssMb();

const t0 = performance.now();
const cpu0 = process.cpuUsage();
const fit = await trainGbdt(train, BENCH_PARAMS, { seed: 1, threads });
const fitS = (performance.now() - t0) / 1000;
const cpu = process.cpuUsage(cpu0);
const peakAfterFit = peakRssMb();

const probe = { rows: PREDICT_ROWS, columns: holdout.X.columns.map((c) => c.subarray(0, PREDICT_ROWS)) };
const t1 = performance.now();
fit.model.predict(probe, { threads });
const predictS = (performance.now() - t1) / 1000;

writeFileSync(join(dir, `pred-ours-t${threads}.f64`), fit.model.predict(holdout.X, { threads }));
if (threads === 1) writeFileSync(join(dir, 'model-ours.json'), JSON.stringify(fit.model.toArtifact()));
emit({
  fitS,
  fitCpuS: (cpu.user + cpu.system) / 1e6,
  binningS: fit.timingsMs.binning / 1000,
  threadsUsed: fit.threadsUsed,
  trees: fit.model.numTrees,
  predict100kS: predictS,
  rssBeforeFitMb: rssBeforeFit,
  peakRssFitMb: peakAfterFit,
  peakRssMb: peakRssMb(),
});
