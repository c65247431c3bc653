import { setTimeout as delay } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { wholeNumber } from './arguments.ts';
import { checkConfig } from '../config/index.ts';
import { settingsFrom, tenantOf, withEngine } from './engine-session.ts';
import type { CliIo, ServeHandler } from './io.ts';
import { parseDirective } from '../runs/exec/directives.ts';
import { ALL_STATUSES } from '../runs/states.ts';
import { describeTiming, nextSlots } from '../schedule/index.ts';
import { timingOf } from '../scheduler/schedule-timing.ts';
import type { RunRow } from '../store/runs.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { followHeader, followLine, iso, RUN_COLUMNS, runDetails, runLine, table } from './format.ts';
import { addArtifactCommands } from './artifact-commands.ts';
import { addKeyCommands } from './key-commands.ts';
import { addDataCommands } from './data-commands.ts';
import { addGenerateCommand } from './generate-command.ts';
import { addModelCommands } from './model-commands.ts';
import { addAssessCommands } from './assess-commands.ts';
import { addAlertCommands } from './alert-commands.ts';
import { addAuditCommands } from './audit-commands.ts';
import { addMasterKeyCommands } from './master-key-commands.ts';

export type { CliIo, ServeHandler };


const parseTime = (value: string): number => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${value}" is not a date-time; example "2026-01-31T02:00:00Z"`);
  return ms;
};

const parseStatuses = (value: string): string[] => {
  const list = value.split(',').map((s) => s.trim());
  const bad = list.find((s) => !(ALL_STATUSES as readonly string[]).includes(s));
  if (bad) throw new InvalidArgumentError(`unknown status "${bad}"; one of ${ALL_STATUSES.join(', ')}`);
  return list;
};

const parseLimit = wholeNumber(1, 1000);

export function buildProgram(io: CliIo, serve: ServeHandler): Command {
  const program = new Command('nightshift')
    .description('Continuous training: durable schedules, runs, retries and history')
    .option('-c, --config <file>', 'config file (JSON or YAML); default $NIGHTSHIFT_CONFIG')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err });

  program
    .command('serve')
    .description('start the store, the scheduler and the workers; stops gracefully on SIGTERM/SIGINT')
    .action(async (_opts, cmd: Command) => serve(settingsFrom(cmd, io)));

  program
    .command('config')
    .description('configuration commands')
    .command('check')
    .description('validate env and config file without starting anything')
    .action((_opts, cmd: Command) => {
      const { config } = cmd.optsWithGlobals<{ config?: string }>();
      io.out(`${checkConfig({ env: io.env, cwd: io.cwd, ...(config ? { configPath: config } : {}) })}\n`);
    });

  program
    .command('jobs')
    .description('list jobs with their schedules and next run times')
    .option('--tenant <id>', 'only this tenant')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const jobs = await engine.jobs.list();
        const schedules = await engine.schedules.list(opts.tenant ?? ALL_TENANTS);
        const now = engine.clock.now();
        const rows = schedules.map((sc) => ({
          job: sc.job_id,
          kind: jobs.find((j) => j.id === sc.job_id)?.kind ?? '?',
          tenant: sc.tenant_id,
          schedule: sc.id,
          when: describeTiming(timingOf(sc)),
          enabled: sc.enabled ? 'yes' : 'no',
          next: iso(sc.enabled ? nextSlots(timingOf(sc), now, 1)[0] : null),
        }));
        for (const job of jobs) {
          if (!rows.some((r) => r.job === job.id)) rows.push({ job: job.id, kind: job.kind, tenant: '-', schedule: '-', when: 'manual or after dependencies', enabled: '-', next: '-' });
        }
        io.out(opts.json ? `${JSON.stringify(rows, null, 2)}\n` : `${table(rows, ['job', 'kind', 'tenant', 'schedule', 'when', 'enabled', 'next'])}\n`);
      }),
    );

  program
    .command('trigger <job>')
    .description('queue a run of a job now (or at --at)')
    .option('--tenant <id>', 'tenant to run for (default: the only tenant, or "default")')
    .option('--at <time>', 'not before this ISO date-time', parseTime)
    .option('--queue', 'queue behind a run already in flight instead of refusing')
    .option('--json', 'machine-readable output')
    .action(async (jobId: string, opts: { tenant?: string; at?: number; queue?: boolean; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'declare', async (engine) => {
        const run = await engine.runs.trigger(jobId, tenantOf(engine, opts.tenant), { mode: opts.queue ? 'queue' : 'now', ...(opts.at ? { at: opts.at } : {}) });
        io.out(opts.json ? `${JSON.stringify(run)}\n` : `queued run ${run.id} (${run.job_id} for ${run.tenant_id}); eta ${iso(run.eta)}\n`);
      }),
    );

  program
    .command('runs')
    .description('list runs, newest first')
    .option('--job <id>', 'only this job')
    .option('--tenant <id>', 'only this tenant')
    .option('--status <list>', `comma-separated: ${ALL_STATUSES.join(',')}`, parseStatuses)
    .option('--limit <n>', 'how many (1-1000)', parseLimit, 20)
    .option('--follow', 'keep printing runs as they change (Ctrl-C to stop)')
    .option('--json', 'machine-readable output (NDJSON with --follow)')
    .action(async (opts: { job?: string; tenant?: string; status?: string[]; limit: number; follow?: boolean; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const scope = opts.tenant ?? ALL_TENANTS;
        const filter = { ...(opts.job ? { jobId: opts.job } : {}), ...(opts.status ? { status: opts.status } : {}), limit: opts.limit };
        const runs = await engine.runs.list(scope, filter);
        if (!opts.follow) {
          io.out(opts.json ? `${JSON.stringify(runs, null, 2)}\n` : `${table(runs.map(runLine), RUN_COLUMNS)}\n`);
          return;
        }
        const seen = new Map<string, number>();
        const print = (rs: RunRow[]) => {
          for (const r of [...rs].reverse()) {
            if (seen.get(r.id) === r.updated_at) continue;
            seen.set(r.id, r.updated_at);
            io.out(opts.json ? `${JSON.stringify(r)}\n` : `${followLine(r)}\n`);
          }
        };
        if (!opts.json) io.out(`${followHeader()}\n`);
        print(runs);
        for (;;) {
          await delay(1000);
          print(await engine.runs.list(scope, filter));
        }
      }),
    );

  program
    .command('run <id>')
    .description("show one run: times, attempts, outcome, error, metrics, a training's stages and the log tail")
    .option('--tenant <id>', "only this tenant's run (another tenant's is not found)")
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { tenant?: string; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const run = await engine.runs.get(opts.tenant ?? ALL_TENANTS, id);
        const stages = await engine.runs.stages(run.tenant_id, run.id);
        const isMetricLine = (line: string) => parseDirective(line)?.kind === 'metric';
        io.out(opts.json ? `${JSON.stringify({ ...run, stages: stages.map((st) => ({ ...st, counts: JSON.parse(st.counts) as unknown })) }, null, 2)}\n` : `${runDetails(run, stages, isMetricLine)}\n`);
      }),
    );

  program
    .command('cancel <id>')
    .description('cancel a queued run, or ask a running one to stop (SIGTERM, then SIGKILL)')
    .option('--tenant <id>', "only this tenant's run (another tenant's is not found)")
    .action(async (id: string, opts: { tenant?: string }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (engine) => {
        const result = await engine.runs.cancel(opts.tenant ?? ALL_TENANTS, id);
        io.out(result === 'cancelled' ? `run ${id} cancelled\n` : `run ${id}: cancel requested; its worker stops it at the next heartbeat\n`);
      }),
    );

  addDataCommands(program, io);
  addGenerateCommand(program, io);
  addModelCommands(program, io);
  addAssessCommands(program, io);
  addAlertCommands(program, io);
  addArtifactCommands(program, io);
  addAuditCommands(program, io);
  addKeyCommands(program, io);
  addMasterKeyCommands(program, io);
  return program;
}
