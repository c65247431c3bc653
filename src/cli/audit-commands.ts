/** `nightshift audit`: the audit log, newest first, with the filters of GET /api/audit. */
import { type Command, InvalidArgumentError } from 'commander';
import { wholeNumber } from './arguments.ts';
import { withEngine } from './engine-session.ts';
import { table } from './format.ts';
import type { CliIo } from './io.ts';

const parseTime = (value: string): number => {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new InvalidArgumentError(`"${value}" is not a date-time; example "2026-01-31T02:00:00Z"`);
  return ms;
};

const short = (value: unknown): string => (value === null || value === undefined ? '-' : JSON.stringify(value).slice(0, 80));

export function addAuditCommands(program: Command, io: CliIo): void {
  program
    .command('audit')
    .description('the audit log, newest first: who changed what and when (API, CLI, trainings, alerts, keys)')
    .option('--tenant <id>', 'only this tenant')
    .option('--action <action>', 'only this action (model.promote), or a prefix ending in "." (model.)')
    .option('--subject <subject>', 'only this caller (a JWT subject, key:<id>, cli:<user>, local, system)')
    .option('--target <target>', 'only this target (run/<id>, model/<tenant>/<model>, tenant/<id>)')
    .option('--since <time>', 'from this ISO date-time', parseTime)
    .option('--limit <n>', 'how many (1-500)', wholeNumber(1, 500), 50)
    .option('--cursor <cursor>', 'the next page: the cursor the previous page printed')
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; action?: string; subject?: string; target?: string; since?: number; limit: number; cursor?: string; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (services) => {
        const prefix = opts.action?.endsWith('.') ? opts.action : undefined;
        const page = await services.audit.list({
          tenants: opts.tenant ? [opts.tenant] : null,
          ...(opts.action && !prefix ? { action: opts.action } : {}),
          ...(prefix ? { actionPrefix: prefix } : {}),
          ...(opts.subject ? { subject: opts.subject } : {}),
          ...(opts.target ? { target: opts.target } : {}),
          ...(opts.since !== undefined ? { since: opts.since } : {}),
          limit: opts.limit,
          ...(opts.cursor ? { cursor: opts.cursor } : {}),
        });
        if (opts.json) {
          io.out(`${JSON.stringify(page, null, 2)}\n`);
          return;
        }
        const rows = page.entries.map((e) => ({
          at: new Date(e.at).toISOString(),
          tenant: e.tenantId ?? '-',
          subject: e.keyId ? `${e.subject} (${e.keyId})` : e.subject,
          action: e.action,
          target: e.target,
          before: short(e.before),
          after: short(e.after),
          request: e.requestId ?? '-',
        }));
        io.out(`${table(rows, ['at', 'tenant', 'subject', 'action', 'target', 'before', 'after', 'request'])}\n${page.nextCursor ? `next page: --cursor ${page.nextCursor}\n` : ''}`);
      }),
    );
}
