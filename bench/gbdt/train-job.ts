/**
 * A train job end to end, the path the service takes, in a fresh process: the library's
 * createNightshift over the store ingest.ts filled (1,000,000 rows, SQLite), a model declared in a
 * config file (gbdt, the bench's parameters, every row in its window, the last 20 % by time as the
 * holdout: the same 800,000 / 200,000 split as the fit measurements), NIGHTSHIFT_TRAIN_THREADS =
 * argv[4]. One manual trigger; the worker pool claims the run and starts the training's child
 * process (training/train-main.ts), which runs the pipeline. Reported: each stage's time from the
 * run's stage rows, the run's time from start to end as the store recorded it (child process start,
 * module load and result recording included), and the wall time from trigger to end.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createNightshift } from '../../src/index.ts';
import { FEATURES, HOLDOUT_ROWS, TRAIN_ROWS } from './data.ts';
import { BENCH_PARAMS } from './params.ts';
import { DATASET, TENANT } from './store.ts';

const [dbDir, threads] = [process.argv[3]!, Number(process.argv[4])];
// A model of its own per run: each is a first training (no champion to score), whatever ran before in the store.
const MODEL = `bench_gbdt_${threads}t_${Date.now().toString(36)}`;
const { objective: _objective, ...params } = BENCH_PARAMS; // the task (binary) sets the objective

const configDir = mkdtempSync(join(tmpdir(), 'nightshift-train-job-'));
const config = join(configDir, 'nightshift.json');
writeFileSync(
  config,
  JSON.stringify({
    tenants: [{ id: TENANT, name: 'GBDT benchmark', timezone: 'UTC' }],
    models: [
      {
        name: MODEL,
        task: 'binary',
        dataset: DATASET,
        features: { continuous: Array.from({ length: FEATURES }, (_, f) => `f${f}`) },
        trainer: { kind: 'gbdt', params },
        mode: 'full',
        // The rows span 2026-01-01 to 2026-06-30: a window back from today holds all of them.
        dataRangeDays: 3660,
        holdoutFraction: HOLDOUT_ROWS / (TRAIN_ROWS + HOLDOUT_ROWS),
        seed: 1,
        timeout: '30m',
      },
    ],
  }),
);

/** utime, stime, cutime, cstime of /proc/<pid>/stat, seconds (clock ticks of 1/100 s). */
function cpuOfS(pid: string): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // After the ") " the state is field 3: utime is field 14, so index 11 here.
  return fields.slice(11, 15).reduce((sum, ticks) => sum + Number(ticks), 0) / 100;
}

/**
 * This process's CPU and its children's, the ended ones' included: the launcher stays up between
 * runs, so the training it started and reaped is in the launcher's cutime, read while it still lives.
 */
function cpuWithChildrenS(): number {
  const children = readdirSync('/proc/self/task').flatMap((tid) => readFileSync(`/proc/self/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean));
  return cpuOfS('self') + children.reduce((sum, pid) => sum + cpuOfS(pid), 0);
}

let stopped = false;
const ns = await createNightshift({
  config,
  env: { NIGHTSHIFT_DATA_DIR: dbDir, NIGHTSHIFT_TRAIN_THREADS: String(threads), NIGHTSHIFT_LOG_LEVEL: 'warn', ML_TRAINING_ENABLED: 'false' },
});
try {
  ns.start();
  const t0 = performance.now();
  const queued = await ns.engine.runs.trigger(`train-${MODEL}`, TENANT);
  const run = await ns.engine.runs.waitForEnd(TENANT, queued.id, 30 * 60_000, 20);
  const wallS = (performance.now() - t0) / 1000;
  if (run.status !== 'succeeded' || run.outcome !== 'promoted') throw new Error(`train job ${run.status}/${run.outcome}: ${run.log_tail ?? ''}`);
  const stages = Object.fromEntries((await ns.engine.runs.stages(TENANT, queued.id)).map((s) => [s.stage, { s: s.duration_ms / 1000, counts: JSON.parse(s.counts) as Record<string, number> }]));
  const train = stages.train;
  if (!train || train.counts.trainRows !== TRAIN_ROWS || train.counts.trees !== 100) throw new Error(`unexpected train stage: ${JSON.stringify(train)}`);
  if (stages.evaluate?.counts.holdoutRows !== HOLDOUT_ROWS) throw new Error(`unexpected holdout: ${JSON.stringify(stages.evaluate)}`);
  const runS = (Number(run.finished_at) - Number(run.started_at)) / 1000;
  // The training ran in a child process: its CPU counts as this measurement's, not as other processes'.
  const processCpuS = cpuWithChildrenS();
  await ns.stop(5_000);
  stopped = true;
  process.stdout.write(`${JSON.stringify({ stages, runS, wallS, auc: stages.evaluate.counts['candidate.auc'] ?? null, threadsUsed: train.counts.threads ?? null, processCpuS })}\n`);
} finally {
  if (!stopped) await ns.stop(5_000);
  rmSync(configDir, { recursive: true, force: true });
}
