/**
 * Data commands: `ingest FILE` (one file is one batch: all rows or none), `dataset define`, and
 * `datasets` (list with sample counts).
 */
import { tenantOf, withEngine } from './engine-session.ts';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import YAML from 'yaml';
import { checkDatasetDefinition } from '../data/ingest/dataset-definition.ts';
import type { DatasetView } from '../data/ingest/dataset-service.ts';
import { formatFromFileName, INGEST_FORMATS, MAX_ROWS_PER_FILE, type IngestFormat } from '../data/ingest/ingest-service.ts';
import { describeRowError, type RowError } from '../data/ingest/row-errors.ts';
import { isNsError, NsError } from '../errors.ts';
import type { CliIo } from './io.ts';
import { iso, table } from './format.ts';



function readText(file: string, cwd: string): string {
  try {
    return readFileSync(resolve(cwd, file), 'utf8');
  } catch (cause) {
    throw new NsError('NS_VALIDATION', `cannot read ${file}: ${(cause as Error).message}`, { field: 'file', cause });
  }
}

const datasetLine = (v: DatasetView) => ({
  tenant: v.schema.tenantId,
  dataset: v.schema.id,
  features: String(v.schema.features.length),
  label: `${v.schema.label.name} (${v.schema.label.type})`,
  samples: String(v.samples.count),
  first: iso(v.samples.firstTs),
  last: iso(v.samples.lastTs),
});

export function addDataCommands(program: Command, io: CliIo): void {
  program
    .command('ingest <file>')
    .description(`load samples from a file into a dataset; every row is validated first and a file with any bad row writes nothing (at most ${MAX_ROWS_PER_FILE} rows)`)
    .requiredOption('--dataset <id>', 'dataset to load into')
    .option('--tenant <id>', 'tenant owning the dataset (default: the only tenant)')
    .addOption(new Option('--format <format>', 'file format (default: from the extension: .json, .ndjson/.jsonl, .csv)').choices([...INGEST_FORMATS]))
    .option('--json', 'machine-readable output')
    .action(async (file: string, opts: { dataset: string; tenant?: string; format?: IngestFormat; json?: boolean }, cmd: Command) => {
      const format = opts.format ?? formatFromFileName(file);
      if (!format) throw new NsError('NS_VALIDATION', `cannot tell the format of "${file}" from its extension; pass --format json|ndjson|csv`, { field: 'format' });
      const body = readText(file, io.cwd);
      await withEngine(cmd, io, 'declare', async (engine) => {
        const tenantId = tenantOf(engine, opts.tenant);
        try {
          const result = await engine.data.ingest({ tenantId, datasetId: opts.dataset, format, body, maxRows: MAX_ROWS_PER_FILE });
          io.out(opts.json ? `${JSON.stringify(result)}\n` : `accepted ${result.accepted} rows into ${tenantId}/${opts.dataset} (${result.inserted} new, ${result.updated} replacing stored samples)\n`);
        } catch (error) {
          const details = isNsError(error) ? error.details : undefined;
          const rowErrors = (details?.errors ?? []) as RowError[];
          if (rowErrors.length > 0) {
            if (opts.json) io.out(`${JSON.stringify({ accepted: 0, errors: rowErrors, errorCount: details?.errorCount })}\n`);
            else {
              for (const e of rowErrors) io.err(`${file}: ${describeRowError(e)}\n`);
              const more = Number(details?.errorCount ?? rowErrors.length) - rowErrors.length;
              if (more > 0) io.err(`${file}: … and ${more} more\n`);
            }
          }
          throw error;
        }
      });
    });

  program
    .command('datasets')
    .description("list a tenant's datasets with sample counts and time ranges")
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const views = await engine.data.list(tenantOf(engine, opts.tenant));
        io.out(opts.json ? `${JSON.stringify(views, null, 2)}\n` : `${table(views.map(datasetLine), ['tenant', 'dataset', 'features', 'label', 'samples', 'first', 'last'])}\n`);
      }),
    );

  program
    .command('dataset')
    .description('dataset commands')
    .command('define <id>')
    .description('create a dataset or change its schema from a JSON or YAML file: {entityKey, timestamp, features: [{name, type, nullable}], label: {name, type, nullable}}')
    .requiredOption('--schema <file>', 'the definition file')
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .action(async (id: string, opts: { schema: string; tenant?: string }, cmd: Command) => {
      const text = readText(opts.schema, io.cwd);
      let input: unknown;
      try {
        input = YAML.parse(text);
      } catch (cause) {
        throw new NsError('NS_VALIDATION', `${opts.schema} is not valid JSON or YAML: ${(cause as Error).message}`, { field: 'schema', cause });
      }
      await withEngine(cmd, io, 'declare', async (engine) => {
        const tenantId = tenantOf(engine, opts.tenant);
        const result = await engine.data.define(checkDatasetDefinition(tenantId, id, input));
        const view = await engine.data.describe(tenantId, id);
        io.out(`dataset ${tenantId}/${id} ${result}: ${view.schema.features.length} features, label ${view.schema.label.name} (${view.schema.label.type}), ${view.samples.count} samples\n`);
      });
    });
}
