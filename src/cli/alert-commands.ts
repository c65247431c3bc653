/**
 * Alerts and metric series from the command line: `alerts` (list), `alerts ack <id>`, `alerts check`
 * (a monitor pass now), and `metrics` (a model's series and trends, a tenant's training metrics, or
 * with --system every tenant's) — what the routes show.
 */
import { InvalidArgumentError, type Command } from 'commander';
import { ALERT_TYPES } from '../monitor/alert-rules.ts';
import type { TrendResult } from '../monitor/trend.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import { wholeNumber } from './arguments.ts';
import { withEngine } from './engine-session.ts';
import { iso, table } from './format.ts';
import type { CliIo } from './io.ts';

const STATUSES = ['active', 'open', 'acknowledged', 'resolved'] as const;
const oneOf =
  <T extends string>(allowed: readonly T[], what: string) =>
  (value: string): T => {
    if (!(allowed as readonly string[]).includes(value)) throw new InvalidArgumentError(`unknown ${what} "${value}"; one of ${allowed.join(', ')}`);
    return value as T;
  };
const fmt = (v: number | null | undefined) => (v === null || v === undefined ? '-' : String(Number(v.toPrecision(4))));
const pct = (v: number | null) => (v === null ? '-' : `${Number((v * 100).toPrecision(3))}%`);
const trendText = (t: TrendResult) => (t.trend === 'insufficient' ? `insufficient (${t.points} point(s))` : `${t.trend} (slope ${fmt(t.slope)} per point over ${t.points})`);

export function addAlertCommands(program: Command, io: CliIo): void {
  const alerts = program.command('alerts').description('alerts: list them, acknowledge one, or evaluate every model now');

  alerts
    .command('list', { isDefault: true })
    .description('alerts, newest first (default: active ones, every tenant)')
    .option('--tenant <id>', 'only this tenant')
    .option('--status <status>', `${STATUSES.join(', ')} (active: open or acknowledged)`, oneOf(STATUSES, 'status'), 'active')
    .option('--type <type>', ALERT_TYPES.join(', '), oneOf(ALERT_TYPES, 'alert type'))
    .option('--model <name>', 'only this model')
    .option('--limit <n>', 'how many (1-500)', wholeNumber(1, 500), 50)
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; status: (typeof STATUSES)[number]; type?: string; model?: string; limit: number; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (s) => {
        const rows = await s.monitor.list(opts.tenant ?? ALL_TENANTS, { status: opts.status, ...(opts.type ? { type: opts.type } : {}), ...(opts.model ? { model: opts.model } : {}) }, { limit: opts.limit });
        if (opts.json) {
          io.out(`${JSON.stringify(rows.map((a) => ({ ...a, openedAt: iso(a.openedAt), resolvedAt: iso(a.resolvedAt), acknowledgedAt: iso(a.acknowledgedAt), updatedAt: iso(a.updatedAt) })), null, 2)}\n`);
          return;
        }
        if (rows.length === 0) {
          io.out(`no ${opts.status === 'active' ? 'active ' : `${opts.status} `}alerts\n`);
          return;
        }
        const line = (a: (typeof rows)[number]) => ({
          id: a.id,
          opened: iso(a.openedAt) ?? '-',
          tenant: a.tenantId,
          model: a.model ?? a.subject ?? '-',
          type: a.type,
          severity: a.severity,
          status: a.status,
          message: a.message,
        });
        io.out(`${table(rows.map(line), ['id', 'opened', 'tenant', 'model', 'type', 'severity', 'status', 'message'])}\n`);
      }),
    );

  alerts
    .command('ack <id>')
    .description('acknowledge an open alert (it stays active until its condition clears)')
    .option('--tenant <id>', 'the tenant the alert must belong to')
    .option('--by <name>', 'who acknowledges it')
    .action(async (id: string, opts: { tenant?: string; by?: string }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (s) => {
        const a = await s.monitor.acknowledge(opts.tenant ?? ALL_TENANTS, id, opts.by ?? null);
        io.out(`${a.id} ${a.type} ${a.model ?? a.subject ?? ''}: ${a.status}${a.acknowledgedBy ? ` by ${a.acknowledgedBy}` : ''}\n`);
      }),
    );

  alerts
    .command('check')
    .description('evaluate every model now (what the service does every TRAINING_MONITOR_INTERVAL) and open or resolve alerts')
    .option('--tenant <id>', 'only this tenant')
    .action(async (opts: { tenant?: string }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (s) => {
        const r = await s.monitor.evaluate(opts.tenant ?? ALL_TENANTS);
        io.out(`${r.models} model(s) evaluated in ${Math.round(r.ms)} ms: ${r.opened} alert(s) opened, ${r.resolved} resolved${r.cooling ? `, ${r.cooling} held back by the cooldown` : ''}\n`);
      }),
    );

  program
    .command('metrics')
    .description("metric series and trends: a model's (--model), a tenant's training metrics, or every tenant's (--system)")
    .option('--tenant <id>', 'tenant (default: the only tenant)')
    .option('--model <name>', "one model's series: versions' gate metrics, live metric, trainings")
    .option('--system', 'every tenant: trainings, success rate, durations, models with open alerts')
    .option('--days <n>', 'the span of the training figures (tenant: default 30; system: default 1)', wholeNumber(1, 366))
    .option('--points <n>', 'latest points of each series (default 20)', wholeNumber(2, 500), 20)
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; model?: string; system?: boolean; days?: number; points: number; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (s) => {
        const json = (v: unknown) => io.out(`${JSON.stringify(v, null, 2)}\n`);
        if (opts.system) {
          const m = await s.series.system(opts.days ?? 1);
          if (opts.json) return json(m);
          const t = m.totals;
          io.out(`since ${iso(m.since)}: ${t.tenants} tenant(s), ${t.models} model(s); ${t.trainings} training(s), success ${pct(t.successRate)}, mean ${fmt(t.durationMs.mean)} ms, max ${fmt(t.durationMs.max)} ms\n`);
          io.out(`${table(m.tenants.map((x) => ({ tenant: x.tenantId, models: String(x.models), trainings: String(x.trainings), failed: String(x.failed), success: pct(x.successRate), 'mean ms': fmt(x.durationMs.mean) })), ['tenant', 'models', 'trainings', 'failed', 'success', 'mean ms'])}\n`);
          io.out(`open alerts: ${m.alerts.open}${m.modelsWithOpenAlerts.length ? `\n${table(m.modelsWithOpenAlerts.map((x) => ({ tenant: x.tenantId, model: x.model ?? '-', alerts: x.alerts.join(', ') })), ['tenant', 'model', 'alerts'])}` : ''}\n`);
          return;
        }
        const tenant = await s.tenants.resolve(opts.tenant, 'tenant');
        if (opts.model) {
          const m = await s.series.model(tenant, opts.model, opts.points);
          if (opts.json) return json(m);
          io.out(`${tenant}/${m.model}: champion ${m.championVersion === null ? 'none' : `v${m.championVersion}`}, primary metric ${m.primaryMetric}\n`);
          io.out(`versions (${m.primaryMetric} of those that passed the gate): ${trendText(m.versions.trend)}\n`);
          io.out(`${table(m.versions.points.map((v) => ({ version: `v${v.version}`, created: iso(v.createdAt) ?? '-', gate: v.gatePassed ? 'passed' : 'failed', [m.primaryMetric]: fmt(v.metrics[m.primaryMetric]), 'training ms': String(v.trainingMs) })), ['version', 'created', 'gate', m.primaryMetric, 'training ms'])}\n`);
          io.out(`live ${m.primaryMetric} of the champion: ${trendText(m.live.trend)}\n`);
          if (m.live.points.length) io.out(`${table(m.live.points.map((p) => ({ at: iso(p.at) ?? '-', version: `v${p.version}`, value: fmt(p.value), accuracy: fmt(p.accuracy), labelled: String(p.labelled) })), ['at', 'version', 'value', 'accuracy', 'labelled'])}\n`);
          const t = m.trainings;
          io.out(`trainings: ${t.ended} ended, success ${pct(t.successRate)}, duration mean ${fmt(t.durationMs.mean)} ms, median ${fmt(t.durationMs.median)} ms, max ${fmt(t.durationMs.max)} ms; durations ${trendText(t.durationTrend)}\n`);
          io.out(`open alerts: ${m.openAlerts.length ? m.openAlerts.join(', ') : 'none'}\n`);
          return;
        }
        const m = await s.series.tenant(tenant, opts.days ?? 30);
        if (opts.json) return json(m);
        const t = m.totals;
        io.out(`${tenant} since ${iso(m.since)}: ${t.trainings} training(s), success ${pct(t.successRate)}, mean ${fmt(t.durationMs.mean)} ms\n`);
        io.out(
          `${table(
            m.models.map((x) => ({
              model: x.model,
              champion: x.championVersion === null ? '-' : `v${x.championVersion}`,
              live: x.live ? `${fmt(x.live.value)} ${x.primaryMetric}${x.live.accuracy === null ? '' : `, acc ${fmt(x.live.accuracy)}`}` : '-',
              trend: x.live?.trend ?? '-',
              trainings: String(x.trainings.ended),
              success: pct(x.trainings.successRate),
              'last training': x.lastTraining ? `${iso(x.lastTraining.at)} ${x.lastTraining.status}` : '-',
              alerts: x.openAlerts.join(', ') || '-',
            })),
            ['model', 'champion', 'live', 'trend', 'trainings', 'success', 'last training', 'alerts'],
          )}\n`,
        );
      }),
    );
}
