/**
 * The child process of a `train` run (see train-command.ts): executes the run (training-run.ts)
 * and leaves its typed result in the file it was given. Exit 0 = the training ran (whatever the
 * gate said), 75 = a temporary failure worth a retry (store busy or unreachable, data source down),
 * 1 = a permanent failure, named on stderr. Progress goes to stdout as `::progress` lines.
 */
import { systemClock } from '../clock.ts';
import { SECRET_ENV } from '../config/master-key-env.ts';
import { isNsError, NsError } from '../errors.ts';
import { createArtifactStorage, ModelRegistry } from '../registry/index.ts';
import { EXIT_TEMPFAIL } from '../runs/exec/types.ts';
import { openDb, type Db } from '../store/db.ts';
import { TRAIN_CONTEXT_ENV, type TrainContext } from './train-command.ts';
import { writeResultFile } from './result-file-write.ts';
import { executeTrainingRun } from './training-run.ts';

const TRANSIENT_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', '57P01', '53300', '40001', '40P01']);

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new NsError('NS_INTERNAL', `${name} is not set: this program is started by nightshift for a train run`);
  return value;
}

async function main(): Promise<number> {
  let db: Db | null = null;
  let context: TrainContext | null = null;
  try {
    context = JSON.parse(env(TRAIN_CONTEXT_ENV)) as TrainContext;
    const ref = { runId: env('NIGHTSHIFT_RUN_ID'), tenantId: env('NIGHTSHIFT_TENANT_ID'), attempt: Number(env('NIGHTSHIFT_ATTEMPT')), owner: context.owner, threads: context.threads };
    db = await openDb({ dataDir: context.dataDir, databaseUrl: context.databaseUrl, poolSize: 2 });
    const registry = new ModelRegistry({ db, artifacts: createArtifactStorage(context, db), keepVersions: context.keepVersions, keepChampions: context.keepChampions });
    // Read once into the codec: a command trainer this process starts must not inherit the key.
    for (const name of SECRET_ENV) delete process.env[name];
    const controller = new AbortController();
    process.once('SIGTERM', () => controller.abort(new NsError('NS_JOB_CANCELLED', 'training stopped by SIGTERM')));
    const result = await executeTrainingRun(
      { db, registry, now: () => systemClock.now(), defaultMode: context.mode, workDir: context.workDir, killGraceMs: context.killGraceMs, niceness: context.niceness },
      ref,
      {
        signal: controller.signal,
        onProgress: (p) => process.stdout.write(`::progress iteration=${p.iteration} trainLoss=${p.trainLoss}\n`),
        // For people following the log; what the run records is the stage rows and the result file.
        onStage: (s) => process.stdout.write(`${s.stage}: ${s.durationMs} ms${describeCounts(s.counts)}${s.note ? ` — ${s.note}` : ''}\n`),
      },
    );
    process.stdout.write(`${result.message}\n`);
    await writeResultFile(context.resultFile, result);
    return 0;
  } catch (error) {
    process.stderr.write(`${describe(error)}\n`);
    const transient = isTransient(error);
    // The run records the error's own code and field, not a line of text.
    if (context && isNsError(error)) {
      await writeResultFile(context.resultFile, { format: 'nightshift-training-failure', formatVersion: 1, code: error.code, message: error.message, ...(error.field ? { field: error.field } : {}), retryable: transient }).catch(() => undefined);
    }
    return transient ? EXIT_TEMPFAIL : 1;
  } finally {
    await db?.close().catch(() => undefined);
  }
}

function describeCounts(counts: Record<string, number>): string {
  const text = Object.entries(counts).map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`).join(' ');
  return text ? `, ${text}` : '';
}

function describe(error: unknown): string {
  if (isNsError(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

function isTransient(error: unknown): boolean {
  if (isNsError(error)) return error.retryable;
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && TRANSIENT_CODES.has(code);
}

process.exitCode = await main();
