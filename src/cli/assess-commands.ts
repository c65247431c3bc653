/**
 * The retrain decision from the command line: `assess` (what a run would decide now, a dry run) and
 * `assessments` (the decisions runs made, newest first).
 */
import type { Command } from 'commander';
import { assessmentDto } from '../api/routes/assessments.ts';
import type { Assessment } from '../policy/assess.ts';
import { wholeNumber } from './arguments.ts';
import { tenantOf, withEngine } from './engine-session.ts';
import { iso, table } from './format.ts';
import type { CliIo } from './io.ts';

const fmt = (v: number | null) => (v === null ? '-' : String(Number(v.toPrecision(4))));

function describe(a: Assessment): string {
  const rules = a.rules.map((r) => ({ rule: r.rule, value: fmt(r.value), threshold: fmt(r.threshold), verdict: r.verdict, detail: r.detail }));
  const head = `${a.train ? 'train' : 'skip'} (${a.reason}): ${a.summary}`;
  return rules.length ? `${head}\n${table(rules, ['rule', 'value', 'threshold', 'verdict', 'detail'])}\n` : `${head}\n`;
}

export function addAssessCommands(program: Command, io: CliIo): void {
  program
    .command('assess')
    .description("what the model's next run would decide now, rule by rule (a dry run: nothing is trained or stored)")
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; model: string; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (s) => {
        const a = await s.models.assess(tenantOf(s, opts.tenant), opts.model);
        io.out(opts.json ? `${JSON.stringify(assessmentDto(a), null, 2)}\n` : describe(a));
      }),
    );

  program
    .command('assessments')
    .description("the model's retrain decisions, newest first: trained or skipped, and why")
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .requiredOption('--model <name>', 'the model')
    .option('--limit <n>', 'how many (1-500)', wholeNumber(1, 500), 20)
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; model: string; limit: number; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (s) => {
        const rows = await s.models.assessments(tenantOf(s, opts.tenant), opts.model, { limit: opts.limit });
        if (opts.json) io.out(`${JSON.stringify(rows.map((r) => ({ ...r, at: iso(r.at), assessment: assessmentDto(r.assessment) })), null, 2)}\n`);
        else io.out(`${table(rows.map((r) => ({ at: iso(r.at), run: r.runId ?? '-', decision: r.assessment.train ? 'train' : 'skip', reason: r.assessment.reason, summary: r.assessment.summary })), ['at', 'run', 'decision', 'reason', 'summary'])}\n`);
      }),
    );
}
