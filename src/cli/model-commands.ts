/**
 * Model commands, all through ModelService (`engine.models`): `models` (declared models with their
 * champions), `versions`, `champion-history`, `promote`, `rollback`, `train` (queues a run for the
 * service's workers), `import-onnx` and `export-onnx`. JSON output (--json) has the API's shapes.
 */
import { tenantOfModel, withEngine } from './engine-session.ts';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { aliasChangeDto, modelDto, onnxExportDto, versionDto } from '../api/model-dto.ts';
import { isNsError, NsError } from '../errors.ts';
import { ONNX_INPUT_MEANING, type OnnxExport, type OnnxTensorInfo } from '../models/export-onnx.ts';
import type { ModelSummary } from '../models/model-service.ts';
import type { AliasChange, AliasUpdate, ModelVersion } from '../registry/index.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import type { CliIo } from './io.ts';
import { wholeNumber } from './arguments.ts';
import { iso, table } from './format.ts';



const parseVersion = (value: string): number => {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError(`"${value}" is not a version number (a whole number ≥ 1, e.g. 3)`);
  return n;
};

const parseLimit = wholeNumber(1, 500);

const parseThreshold = (value: string): number => {
  const n = Number(value);
  if (value.trim() === '' || !(n >= 0 && n <= 1)) throw new InvalidArgumentError(`"${value}" is not a probability from 0 to 1 (e.g. 0.35)`);
  return n;
};

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(Number(v.toPrecision(4))));
const metricsText = (m: Record<string, number | null>): string =>
  Object.entries(m)
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');
const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;

const modelLine = (m: ModelSummary) => {
  const metric = m.definition.primaryMetric;
  return {
    tenant: m.tenantId,
    model: m.definition.name,
    task: m.definition.task,
    trainer: m.definition.trainer.kind,
    champion: m.champion ? `v${m.champion.version}` : '-',
    metric: m.champion ? `${metric} ${fmt(m.champion.metrics[metric])}` : metric,
    since: iso(m.champion?.createdAt),
  };
};

const versionLine = (v: ModelVersion, champion: number | null) => ({
  version: String(v.version),
  name: v.name,
  trainer: v.trainer,
  mode: v.mode,
  metrics: metricsText(v.metrics),
  gate: v.gate.passed ? 'passed' : 'failed',
  created: iso(v.createdAt),
  champion: v.version === champion ? '*' : '',
});

const historyLine = (c: AliasChange) => ({
  revision: String(c.revision),
  action: c.action,
  version: `v${c.version}`,
  previous: c.previousVersion === null ? '-' : `v${c.previousVersion}`,
  at: iso(c.at),
  actor: c.actor ?? '-',
  reason: c.reason ?? '',
});

function aliasText(tenantId: string, model: string, u: AliasUpdate): string {
  const c = u.change;
  if (!u.changed) return `champion of ${model} (${tenantId}) is already v${c.version}; nothing changed\n`;
  return `champion of ${model} (${tenantId}): ${c.previousVersion === null ? '(none)' : `v${c.previousVersion}`} → v${c.version} (${c.action}, revision ${c.revision})\n`;
}

function readBytes(file: string, cwd: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(resolve(cwd, file)));
  } catch (cause) {
    throw new NsError('NS_VALIDATION', `cannot read ${file}: ${(cause as Error).message}`, { field: 'file', cause });
  }
}

const refuseOverwrite = (file: string) =>
  new NsError('NS_CONFLICT', `--out: ${file} exists; pass --force to overwrite it, or choose another file`, { field: 'out' });

/** Writes the file; without `force` only if it does not exist (checked again by the write itself). */
function writeNew(path: string, given: string, bytes: Uint8Array, force: boolean): void {
  try {
    writeFileSync(path, bytes, { flag: force ? 'w' : 'wx' });
  } catch (cause) {
    if ((cause as NodeJS.ErrnoException).code === 'EEXIST') throw refuseOverwrite(given);
    throw new NsError('NS_VALIDATION', `--out: cannot write ${given}: ${(cause as Error).message}`, { field: 'out', cause });
  }
}

const tensorText = (t: OnnxTensorInfo) => `${t.name} ${t.type} [${t.shape.join(', ')}]`;

function exportText(path: string, e: OnnxExport): string {
  const features = e.features.map((f, column) => ({
    column: String(column),
    feature: f.name,
    type: f.type,
    categories: (f.categories ?? []).map((c, code) => `${code}=${c}`).join(' '),
  }));
  return [
    `wrote ${e.version.name} (${e.kind}, ${e.task}) to ${path} (${e.bytes.byteLength} bytes)`,
    `input ${tensorText(e.input)}: ${ONNX_INPUT_MEANING}`,
    table(features, ['column', 'feature', 'type', 'categories']),
    `outputs: ${e.outputs.map(tensorText).join(', ')} (nightshift reads ${e.output})`,
    '',
  ].join('\n');
}

interface ModelOpts {
  tenant?: string;
  model: string;
  json?: boolean;
}

export function addModelCommands(program: Command, io: CliIo): void {
  program
    .command('models')
    .description('list declared models with their champion version and primary metric')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const models = await engine.models.list(opts.tenant ?? ALL_TENANTS);
        io.out(opts.json ? json(models.map(modelDto)) : `${table(models.map(modelLine), ['tenant', 'model', 'task', 'trainer', 'champion', 'metric', 'since'])}\n`);
      }),
    );

  program
    .command('versions')
    .description("a model's versions, newest first: metrics on the holdout, gate verdict, champion (*)")
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .option('--limit <n>', 'how many (1-500)', parseLimit, 20)
    .option('--json', 'machine-readable output')
    .action(async (opts: ModelOpts & { limit: number }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const tenantId = await tenantOfModel(engine, opts.tenant, opts.model);
        const page = await engine.models.versions(tenantId, opts.model, { limit: opts.limit });
        const champion = (await engine.models.registry.champion(tenantId, opts.model))?.version ?? null;
        if (opts.json) io.out(json(page.items.map((v) => ({ ...versionDto(v), champion: v.version === champion }))));
        else io.out(`${table(page.items.map((v) => versionLine(v, champion)), ['version', 'name', 'trainer', 'mode', 'metrics', 'gate', 'created', 'champion'])}\n`);
      }),
    );

  program
    .command('champion-history')
    .description("which version held a model's champion alias, when and why (promotions, rollbacks), newest first")
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .option('--limit <n>', 'how many (1-500)', parseLimit, 50)
    .option('--json', 'machine-readable output')
    .action(async (opts: ModelOpts & { limit: number }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const history = await engine.models.history(await tenantOfModel(engine, opts.tenant, opts.model), opts.model, { limit: opts.limit });
        io.out(opts.json ? json(history.map(aliasChangeDto)) : `${table(history.map(historyLine), ['revision', 'action', 'version', 'previous', 'at', 'actor', 'reason'])}\n`);
      }),
    );

  program
    .command('rollback')
    .description('make an earlier version that passed its gate the champion again; a running service switches at its next recheck')
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .requiredOption('--to <version>', 'the version to roll back to', parseVersion)
    .option('--reason <text>', 'why (kept in the champion history)')
    .option('--json', 'machine-readable output')
    .action(async (opts: ModelOpts & { to: number; reason?: string }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const tenantId = await tenantOfModel(engine, opts.tenant, opts.model);
        const update = await engine.models.rollback(tenantId, opts.model, opts.to, { ...(opts.reason ? { reason: opts.reason } : {}), actor: 'cli' }).catch((error: unknown) => {
          throw isNsError(error) && error.details?.instead === 'promote'
            ? new NsError(error.code, `${error.message}: nightshift promote --tenant ${tenantId} --model ${opts.model} --version ${opts.to}`, { field: 'to', details: error.details, cause: error })
            : error;
        });
        io.out(opts.json ? json({ changed: update.changed, change: aliasChangeDto(update.change) }) : aliasText(tenantId, opts.model, update));
      }),
    );

  program
    .command('promote')
    .description('make a version that passed its gate the champion; a running service switches at its next recheck')
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .requiredOption('--version <n>', 'the version to promote', parseVersion)
    .option('--reason <text>', 'why (kept in the champion history)')
    .option('--json', 'machine-readable output')
    .action(async (opts: ModelOpts & { version: number; reason?: string }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const tenantId = await tenantOfModel(engine, opts.tenant, opts.model);
        const update = await engine.models.promote(tenantId, opts.model, opts.version, { ...(opts.reason ? { reason: opts.reason } : {}), actor: 'cli' });
        io.out(opts.json ? json({ changed: update.changed, change: aliasChangeDto(update.change) }) : aliasText(tenantId, opts.model, update));
      }),
    );

  program
    .command('train')
    .description("queue a training run of a model; the service's workers run it (see `nightshift runs`)")
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .addOption(new Option('--mode <mode>', "training mode (default: the model's, else ML_TRAINING_MODE)").choices(['full', 'incremental']))
    .option('--queue', 'queue behind a training in flight instead of refusing')
    .option('--json', 'machine-readable output')
    .action(async (opts: ModelOpts & { mode?: 'full' | 'incremental'; queue?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'declare', async (engine) => {
        const tenantId = await tenantOfModel(engine, opts.tenant, opts.model);
        const run = await engine.models.train(tenantId, opts.model, opts.mode ? { mode: opts.mode } : {}, opts.queue ? 'queue' : 'now');
        io.out(opts.json ? `${JSON.stringify(run)}\n` : `queued run ${run.id} (${run.job_id} for ${run.tenant_id}); eta ${iso(run.eta)}\n`);
      }),
    );

  program
    .command('import-onnx')
    .description(
      "register an ONNX model as a version of a declared model: its input must take the model's features; it is scored with the champion on the model's holdout and gated like a training, and promoted only with --promote and a passed gate (with --promote, a version the gate rejects exits 4)",
    )
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the declared model')
    .requiredOption('--file <path>', 'the .onnx file')
    .option('--promote', 'make it the champion if the gate passes')
    .option('--threshold <p>', 'binary decision threshold (default 0.5)', parseThreshold)
    .option('--output-name <name>', 'the ONNX output to read (default: discovered)')
    .option('--json', 'machine-readable output')
    .action(async (opts: ModelOpts & { file: string; promote?: boolean; threshold?: number; outputName?: string }, cmd: Command) => {
      const bytes = readBytes(opts.file, io.cwd);
      await withEngine(cmd, io, 'declare', async (engine) => {
        const tenantId = await tenantOfModel(engine, opts.tenant, opts.model);
        // Executed here (no service needs to run); if a service's worker claimed it first, waited for.
        const result = await engine.models.importOnnx(tenantId, opts.model, bytes, {
          ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
          ...(opts.outputName !== undefined ? { outputName: opts.outputName } : {}),
          promote: opts.promote === true,
          actor: 'cli',
          here: true,
          waitMs: engine.settings.training.timeoutMs,
        });
        if (!result.version || !result.outcome) throw new NsError('NS_CONFLICT', result.message, { field: 'model' });
        if (opts.json) io.out(json({ version: versionDto(result.version), promoted: result.promoted, outcome: result.outcome, message: result.message }));
        else io.out(`${result.outcome}: ${result.message}\nmetrics: ${metricsText(result.version.metrics)} (holdout ${result.version.samples.holdout} rows)\n`);
        // `import-onnx --promote && deploy` must not carry on when nothing was promoted.
        if (opts.promote === true && !result.promoted) throw new NsError('NS_CONFLICT', `${result.version.name} was registered but not promoted (${result.outcome})`, { field: 'promote' });
      });
    });

  program
    .command('export-onnx')
    .description(
      "write a version as an .onnx file (gbdt and linear models written with float64 input, onnx models as imported); it takes the model's feature matrix, not raw rows: its columns are printed",
    )
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .requiredOption('--version <n>', 'the version to export', parseVersion)
    .requiredOption('--out <file>', 'the .onnx file to write')
    .option('--force', 'overwrite --out if it exists')
    .option('--json', "machine-readable output: the file's description, as GET …/versions/:v/onnx/input answers, and where it was written")
    .action(async (opts: ModelOpts & { version: number; out: string; force?: boolean }, cmd: Command) => {
      const path = resolve(io.cwd, opts.out);
      const force = opts.force === true;
      if (!force && existsSync(path)) throw refuseOverwrite(opts.out);
      await withEngine(cmd, io, 'existing', async (engine) => {
        const exported = await engine.models.exportOnnx(await tenantOfModel(engine, opts.tenant, opts.model), opts.model, opts.version);
        writeNew(path, opts.out, exported.bytes, force);
        io.out(opts.json ? json({ file: path, bytes: exported.bytes.byteLength, ...onnxExportDto(exported) }) : exportText(path, exported));
      });
    });
}
