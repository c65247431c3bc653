/**
 * Settings = defaults ← config file ← env, validated and deep-frozen. `checkConfig` runs the same
 * load and returns a short summary for `nightshift config check`.
 */
import path from 'node:path';
import { deepFreeze } from '../deep-freeze.ts';
import { compileTiming, describeTiming, formatDuration } from '../schedule/index.ts';
import { readAuthEnv } from './auth-env.ts';
import { loadConfigFile } from './config-file.ts';
import { resolveDefinitions } from './definitions.ts';
import { ENV, readEnv, type Env } from './env.ts';
import { withImplicitSchedules } from './implicit-schedules.ts';
import { mergeScalars } from './scalars.ts';
import { NOTIFICATION_DEFAULTS } from './notification-entries.ts';
import type { JobDefinition, Settings } from './types.ts';

export interface LoadSettingsOptions {
  /** Defaults to process.env. */
  env?: Env;
  /** Relative paths (config file, data dir) resolve against this; defaults to process.cwd(). */
  cwd?: string;
  /** Config file path; overrides NIGHTSHIFT_CONFIG. */
  configPath?: string;
}

export function loadSettings(options: LoadSettingsOptions = {}): Settings {
  return build(options).settings;
}

function build(options: LoadSettingsOptions): { settings: Settings; implicit: Set<string> } {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const fromEnv = readEnv(env);
  const given = options.configPath ?? fromEnv.configPath;
  const file = given ? loadConfigFile(given, cwd, options.configPath === undefined ? ENV.configPath : undefined) : null;
  const { scalars, origins } = mergeScalars(...(file ? [file] : []), fromEnv);
  const defs = resolveDefinitions(file, scalars);
  const schedules = withImplicitSchedules(defs, scalars, origins);
  const settings: Settings = {
    ...scalars,
    dataDir: path.resolve(cwd, scalars.dataDir),
    configPath: file?.path ?? null,
    auth: readAuthEnv(env),
    tenants: defs.tenants,
    jobs: defs.jobs,
    schedules,
    models: defs.models,
    datasets: defs.datasets,
    notifications: file?.notifications ?? NOTIFICATION_DEFAULTS,
  };
  const implicit = new Set(schedules.slice(defs.schedules.length).map((x) => x.id));
  return { settings: deepFreeze(settings), implicit };
}

/**
 * Load and validate as the service would, and describe the result in a few lines for
 * `nightshift config check`. Invalid config throws the same NsError the service would.
 */
export function checkConfig(options: LoadSettingsOptions = {}): string {
  const { settings: s, implicit } = build(options);
  const retries = (n: number) => (n === 0 ? 'no retries' : n === 1 ? '1 retry' : `${n} retries`);
  const lines = [
    `config file: ${s.configPath ?? 'none (env and defaults only)'}`,
    `store: ${s.databaseUrl ? `PostgreSQL at ${redactUrl(s.databaseUrl)}` : `SQLite in ${s.dataDir}`}; ` +
      `artifacts ${s.artifacts === 'postgres' ? 'in PostgreSQL' : `as files in ${path.join(s.dataDir, 'artifacts')}`}`,
    `node: ${s.nodeId}, concurrency ${s.concurrency}, training threads ${s.trainThreads}, time zone ${s.timezone}, log level ${s.logLevel} (${s.logFormat}), http ${s.http.host}:${s.http.port}`,
    `auth: ${describeAuth(s)}`,
    `training: mode ${s.training.mode}, schedule "${s.training.schedule}" (${s.training.enabled ? 'enabled' : 'disabled'}), ` +
      `timeout ${formatDuration(s.training.timeoutMs)}, ${retries(s.training.retries)}; analysis schedule "${s.analysis.schedule}"`,
    `tenants (${s.tenants.length}): ${s.tenants.map((t) => `${t.id} (${t.timezone})`).join(', ')}`,
    `jobs (${s.jobs.length})${s.jobs.length === 0 ? ': none (nothing will run)' : ':'}`,
    ...s.jobs.map((j) => {
      const what = describeWork(j);
      const extra = [
        j.role && `role ${j.role}`,
        j.tenants ? `tenants ${j.tenants.join(', ')}` : 'all tenants',
        j.after.length > 0 && `after ${j.after.join(', ')}`,
        `timeout ${formatDuration(j.timeoutMs)}`,
        retries(j.retry.retries),
      ].filter(Boolean);
      return `  ${j.id}: ${what} (${extra.join('; ')})`;
    }),
    ...(s.models.length === 0 ? [] : [`models (${s.models.length}):`, ...s.models.map((m) => `  ${m.definition.name}: ${m.definition.task}, ${m.definition.trainer.kind} on dataset ${m.definition.dataset} (${m.tenants ? `tenants ${m.tenants.join(', ')}` : 'all tenants'}; job ${m.jobId})`)]),
    `schedules (${s.schedules.length})${s.schedules.length === 0 ? ': none' : ':'}`,
    ...s.schedules.map((x) => {
      const timing = compileTiming(x.cron !== null ? { cron: x.cron } : { every: x.everyMs ?? 0 }, `schedules.${x.id}`, x.timezone);
      const when = describeTiming(timing) + (x.cron !== null ? `, cron "${x.cron}"` : '');
      const flags = [!x.enabled && 'disabled', implicit.has(x.id) && 'implicit', x.jitterMs > 0 && `jitter ${formatDuration(x.jitterMs)}`];
      const tail = flags.filter(Boolean).join(', ');
      return `  ${x.id}: ${x.tenantId} / ${x.jobId}, ${when}${tail ? ` (${tail})` : ''}`;
    }),
  ];
  return lines.join('\n');
}

/** A database URL without its password, for messages and logs. */
export const redactUrl = (url: string) => url.replace(/\/\/([^:/@]*):[^@]*@/, '//$1:***@');

function describeWork(j: JobDefinition): string {
  switch (j.kind) {
    case 'pipeline':
      return `pipeline ${j.steps.map((x) => x.name).join(' → ')}`;
    case 'train':
      return `train model ${j.model}`;
    case 'empty':
      return 'empty (no process)';
    case 'command':
      return `command ${[j.command, ...(j.args ?? [])].join(' ')}`;
  }
}

function describeAuth(s: Settings): string {
  const a = s.auth;
  if (a.mode === 'off') return 'off (every caller is a local super admin; loopback only)';
  const jwt = [a.jwtSecret && 'HS256 secret', a.jwks && `JWKS ${a.jwks}`].filter(Boolean).join(', ') || 'none';
  const claims = [a.issuer && `iss ${a.issuer}`, a.audience && `aud ${a.audience}`].filter(Boolean).join(', ');
  const r = a.rateLimits;
  return `on: API keys, JWT ${jwt}${claims ? ` (${claims})` : ''}; rate limits per tenant per ${formatDuration(r.windowMs)}: train ${r.train}, ingest ${r.ingest}, predict ${r.predict}`;
}
