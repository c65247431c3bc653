/**
 * The child process of a `train` run (see train-command.ts). Reads which run, tenant and model from
 * its environment, trains (train-model.ts), and talks back through output directives:
 * `::metric <stage>.<count>=…` per stage, `::outcome promoted|rejected|no_data|champion_changed`.
 * Exit 0 = the training ran (whatever the gate said), 75 = a temporary failure worth a retry
 * (store busy or unreachable, data source down), 1 = a permanent failure, named on stderr.
 */
import { systemClock } from '../clock.ts';
import { isNsError, NsError } from '../errors.ts';
import { createArtifactStorage, ModelRegistry } from '../registry/index.ts';
import { EXIT_TEMPFAIL } from '../runs/exec/types.ts';
import { openDb, type Db } from '../store/db.ts';
import { getModelDefinition } from '../store/model-definitions.ts';
import { getRunRow } from '../store/runs.ts';
import { TRAIN_CONTEXT_ENV, type TrainContext } from './train-command.ts';
import { trainModel, type StageReport } from './train-model.ts';
import { runOverrides } from './run-overrides.ts';

const TRIGGERS: Record<string, string> = { slot: 'schedule', manual: 'manual', dependency: 'dependency' };
const TRANSIENT_CODES = new Set(['SQLITE_BUSY', 'SQLITE_LOCKED', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EAI_AGAIN', '57P01', '53300', '40001', '40P01']);

function env(name: string): string {
  const value = process.env[name];
  if (!value) throw new NsError('NS_INTERNAL', `${name} is not set: this program is started by nightshift for a train run`);
  return value;
}

function printStage(r: StageReport): void {
  const counts = Object.entries(r.counts);
  process.stdout.write(`::metric ${r.stage}.ms=${r.durationMs}\n`);
  for (const [k, v] of counts) if (Number.isFinite(v)) process.stdout.write(`::metric ${r.stage}.${k}=${v}\n`);
  const text = counts.map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`).join(' ');
  process.stdout.write(`${r.stage}: ${r.durationMs} ms${text ? `, ${text}` : ''}${r.note ? ` — ${r.note}` : ''}\n`);
}

async function main(): Promise<number> {
  const context = JSON.parse(env(TRAIN_CONTEXT_ENV)) as TrainContext;
  const runId = env('NIGHTSHIFT_RUN_ID');
  const tenantId = env('NIGHTSHIFT_TENANT_ID');
  let db: Db | null = null;
  try {
    db = await openDb({ dataDir: context.dataDir, databaseUrl: context.databaseUrl, poolSize: 2 });
    const declared = await getModelDefinition(db.k, tenantId, context.model);
    if (!declared) throw new NsError('NS_NOT_FOUND', `model "${context.model}" is not declared for tenant "${tenantId}"; declare it in the config file's models: or with PUT /api/tenants/${tenantId}/models/${context.model}`);
    const run = await getRunRow(db.k, tenantId, runId);
    const registry = new ModelRegistry({ db, artifacts: createArtifactStorage(context, db) });
    const controller = new AbortController();
    process.once('SIGTERM', () => controller.abort(new NsError('NS_JOB_CANCELLED', 'training stopped by SIGTERM')));
    const result = await trainModel({
      db,
      registry,
      clock: systemClock,
      tenantId,
      definition: declared.definition,
      defaultMode: context.mode,
      overrides: runOverrides(run?.params ?? null),
      trigger: TRIGGERS[process.env.NIGHTSHIFT_TRIGGER ?? ''] ?? 'manual',
      runId,
      signal: controller.signal,
      onStage: printStage,
      onProgress: (p) => process.stdout.write(`::progress iteration=${p.iteration} trainLoss=${p.trainLoss}\n`),
    });
    process.stdout.write(`::metric mode.incremental=${result.mode === 'incremental' ? 1 : 0}\n`);
    for (const [k, v] of Object.entries(result.metrics)) if (v !== null) process.stdout.write(`::metric ${k}=${v}\n`);
    if (result.version) process.stdout.write(`::metric version=${result.version.version}\n`);
    process.stdout.write(`${result.message}\n::outcome ${result.outcome}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${describe(error)}\n`);
    return isTransient(error) ? EXIT_TEMPFAIL : 1;
  } finally {
    await db?.close().catch(() => undefined);
  }
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
