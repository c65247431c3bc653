/**
 * Seeds the SQLite store with finished runs before the server starts (setup, not measured): rows
 * built with the store's own `runValues`, then given what a finished run carries (attempt, start,
 * finish, duration, exit code, outcome or error, metrics, a short log tail), inserted in one
 * transaction with the store's chunked `insertRuns`.
 */
import { newId } from '../../src/ids.ts';
import { inTransaction, openDb } from '../../src/store/db.ts';
import { migrate } from '../../src/store/migrate.ts';
import { insertRuns, runValues, type RunRow } from '../../src/store/runs.ts';

export interface SeedOptions {
  dataDir: string;
  count: number;
  tenantId: string;
  jobId: string;
  scheduleId: string;
  /** Newest slot; runs go back one per `everyMs` from here. */
  now: number;
  everyMs: number;
}

const LOG_TAIL = ['loading features', 'fitting model (incremental)', 'validation auc=0.8123 loss=0.4431', 'model written to registry'];

/** Deterministic, so every bench run stores the same 10,000 rows (apart from ids and dates). */
function finishedRun(o: SeedOptions, i: number): RunRow {
  const slotAt = o.now - (o.count - i) * o.everyMs;
  const startedAt = slotAt + 40 + (i % 7) * 13;
  const durationMs = 5_000 + ((i * 7_919) % 115_000);
  const failed = i % 10 === 9;
  const base = runValues({
    id: newId('run', slotAt),
    tenantId: o.tenantId,
    jobId: o.jobId,
    trigger: 'slot',
    status: failed ? 'failed' : 'succeeded',
    maxAttempts: 1,
    timeoutMs: 3_600_000,
    runAt: slotAt,
    now: slotAt,
    scheduleId: o.scheduleId,
    slotAt,
    lateMs: 3 + (i % 17),
  });
  const finishedAt = startedAt + durationMs;
  return {
    ...base,
    attempt: 1,
    started_at: startedAt,
    finished_at: finishedAt,
    duration_ms: durationMs,
    host: 'bench-host',
    exit_code: failed ? 1 : 0,
    ...(failed
      ? { error_code: 'NS_JOB_FAILED', error_message: 'exited with code 1', error_context: JSON.stringify({ exitCode: 1, signal: null }) }
      : { outcome: null, metrics: JSON.stringify({ auc: 0.8 + (i % 100) / 1000, loss: 0.4 + (i % 50) / 1000, rows: 100_000 + i }) }),
    log_tail: LOG_TAIL.concat(failed ? ['Error: feature store unavailable'] : []).join('\n'),
    updated_at: finishedAt,
  };
}

/** Returns the seconds the insert took (for the progress line). */
export async function seedFinishedRuns(o: SeedOptions): Promise<{ seconds: number; rows: number }> {
  const db = await openDb({ dataDir: o.dataDir, databaseUrl: null });
  try {
    await migrate(db);
    const rows = Array.from({ length: o.count }, (_, i) => finishedRun(o, i));
    const start = performance.now();
    await inTransaction(db, (tx) => insertRuns(tx, rows));
    const seconds = (performance.now() - start) / 1000;
    const n = await db.k.selectFrom('runs').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    return { seconds, rows: Number(n.n) };
  } finally {
    await db.close();
  }
}
