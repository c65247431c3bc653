/**
 * `nightshift generate`: writes a synthetic predictive-maintenance fleet, one file per tenant
 * (tenant_1.csv, …), deterministic by seed and end time, and prints what it wrote.
 */
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { InvalidArgumentError, type Command } from 'commander';
import { wholeNumber } from './arguments.ts';
import { generateTenant, SYNTHETIC_FORMATS, tenantIdOf, writeRecords, type SyntheticFormat, type SyntheticOptions } from '../data/synthetic/index.ts';
import { parseDuration } from '../schedule/duration.ts';
import type { CliIo } from './io.ts';
import { table } from './format.ts';

const DAY_MS = 86_400_000;

const parseInterval = (value: string): number => {
  let ms: number;
  try {
    ms = parseDuration(value, 'interval');
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a duration; example "1h" or "15m"`);
  }
  if (ms < 60_000 || ms > DAY_MS) throw new InvalidArgumentError('must be from 1m to 1d');
  return ms;
};

const parseEnd = (value: string): number => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${value}" is not a date-time; example "2026-01-01T00:00:00Z"`);
  return ms;
};

const parseFormat = (value: string): SyntheticFormat => {
  if (!(SYNTHETIC_FORMATS as readonly string[]).includes(value)) throw new InvalidArgumentError(`one of ${SYNTHETIC_FORMATS.join(', ')}`);
  return value as SyntheticFormat;
};

interface GenerateOpts {
  tenants: number;
  days: number;
  machines: number;
  seed: number;
  interval: number;
  out: string;
  format: SyntheticFormat;
  end?: number;
  json?: boolean;
}

export function addGenerateCommand(program: Command, io: CliIo): Command {
  return program
    .command('generate')
    .description('write synthetic predictive-maintenance data (machines with wear, failures, drift and noise), one file per tenant')
    .requiredOption('--out <dir>', 'directory to write tenant_1.csv, tenant_2.csv, … into (created if absent)')
    .option('--tenants <n>', 'number of tenants (1-1000)', wholeNumber(1, 1000), 3)
    .option('--days <n>', 'days of history (1-3650)', wholeNumber(1, 3650), 180)
    .option('--machines <n>', 'machines per tenant (1-10000)', wholeNumber(1, 10_000), 20)
    .option('--seed <n>', 'random seed: the same seed (and --end) gives identical files', wholeNumber(0, Number.MAX_SAFE_INTEGER), 42)
    .option('--interval <duration>', 'time between samples of a machine, 1m to 1d', parseInterval, 3_600_000)
    .option('--end <time>', 'end of the series, exclusive (default: today 00:00 UTC)', parseEnd)
    .option('--format <format>', `file format: ${SYNTHETIC_FORMATS.join(' or ')}`, parseFormat, 'csv')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: GenerateOpts) => {
      const dir = resolve(io.cwd, opts.out);
      mkdirSync(dir, { recursive: true });
      const endMs = opts.end ?? Math.floor(Date.now() / DAY_MS) * DAY_MS;
      const options: SyntheticOptions = { tenants: opts.tenants, machines: opts.machines, days: opts.days, seed: opts.seed, intervalMs: opts.interval, endMs };
      const summary = [];
      // One tenant in memory at a time.
      for (let t = 0; t < opts.tenants; t++) {
        const tenant = generateTenant(options, t);
        const file = join(dir, `${tenantIdOf(t)}.${opts.format}`);
        await writeRecords(file, tenant.records, opts.format);
        const positives = tenant.records.reduce((n, r) => n + r.failsWithin24h, 0);
        summary.push({ tenant: tenant.tenantId, file, machines: tenant.machines, rows: tenant.records.length, failures: tenant.failures, positiveRate: tenant.records.length === 0 ? 0 : positives / tenant.records.length });
      }
      if (opts.json) {
        io.out(`${JSON.stringify({ seed: opts.seed, since: new Date(endMs - opts.days * DAY_MS).toISOString(), until: new Date(endMs).toISOString(), tenants: summary }, null, 2)}\n`);
        return;
      }
      const rows = summary.map((s) => ({ tenant: s.tenant, machines: String(s.machines), rows: String(s.rows), failures: String(s.failures), 'fails<24h': `${(100 * s.positiveRate).toFixed(1)}%`, file: s.file }));
      io.out(`${table(rows, ['tenant', 'machines', 'rows', 'failures', 'fails<24h', 'file'])}\n`);
      const total = summary.reduce((n, s) => n + s.rows, 0);
      io.out(`wrote ${total} rows for ${summary.length} tenant(s), ${new Date(endMs - opts.days * DAY_MS).toISOString()} to ${new Date(endMs).toISOString()}, seed ${opts.seed}\n`);
    });
}
