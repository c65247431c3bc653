/**
 * Tenants, jobs and schedules from the file, with cross-references checked (ids unique, every
 * reference resolves, no `after` cycles), defaults applied, and schedule timing compiled.
 */
import { DURATION_RANGES } from '../limits.ts';
import { checkJitter, compileTiming } from '../schedule/index.ts';
import type { FileConfig } from './config-file.ts';
import { DEFAULTS } from './defaults.ts';
import type { JobInput, ScheduleInput } from './file-entries.ts';
import type { Scalars } from './scalars.ts';
import type { DeclaredDataset, DeclaredModel, JobDefinition, ScheduleDefinition, TenantDefinition, TrainJob } from './types.ts';
import { child, invalidField, invalidValue, rethrowAsConfig, suggest, toDurationMs, type At } from './values.ts';

export interface Definitions {
  tenants: TenantDefinition[];
  jobs: JobDefinition[];
  schedules: ScheduleDefinition[];
  models: DeclaredModel[];
  datasets: DeclaredDataset[];
}

/** The training job a declared model gets. */
export const trainJobId = (model: string): string => `train-${model}`;

export function resolveDefinitions(file: FileConfig | null, s: Scalars): Definitions {
  const tenants: TenantDefinition[] = file?.tenants.length
    ? unique(file.tenants).map((t) => ({ id: t.id, name: t.name ?? t.id, timezone: t.timezone ?? s.timezone }))
    : [{ id: DEFAULTS.tenant.id, name: DEFAULTS.tenant.name, timezone: s.timezone }];
  const tenantIds = tenants.map((t) => t.id);

  const inputs = unique(file?.jobs ?? []);
  const modelInputs = unique(file?.models ?? [], 'name');
  const retryOf = (r: JobInput['retry']) => ({
    retries: r.retries ?? s.training.retries,
    backoffMs: r.backoffMs ?? file?.retry.backoffMs ?? [...DEFAULTS.retry.backoffMs],
    jitterRatio: r.jitterRatio ?? file?.retry.jitterRatio ?? DEFAULTS.retry.jitterRatio,
  });
  const models = modelInputs.map((m): DeclaredModel => {
    m.tenants?.forEach((id, i) => checkRef(child(child(m.at, 'tenants'), i), id, 'tenant', tenantIds));
    const jobId = trainJobId(m.id);
    const clash = inputs.find((j) => j.id === jobId);
    if (clash) throw invalidValue(child(clash.at, 'id'), jobId, `is the training job of model "${m.id}" (${m.at.path}); choose another job id`);
    return { tenants: m.tenants, jobId, definition: m.definition };
  });
  const trainJobs = modelInputs.map((m): TrainJob => ({
    id: trainJobId(m.id),
    kind: 'train',
    model: m.id,
    description: m.definition.description || `train model ${m.id}`,
    role: 'training',
    tenants: m.tenants,
    after: m.after,
    env: {},
    timeoutMs: m.timeoutMs ?? s.training.timeoutMs,
    retry: retryOf(m.retry),
  }));
  const jobIds = [...inputs.map((j) => j.id), ...trainJobs.map((j) => j.id)];
  for (const job of inputs) {
    job.tenants?.forEach((id, i) => checkRef(child(child(job.at, 'tenants'), i), id, 'tenant', tenantIds));
    job.after.forEach((id, i) => checkRef(child(child(job.at, 'after'), i), id, 'job', jobIds));
  }
  for (const m of modelInputs) m.after.forEach((id, i) => checkRef(child(child(m.at, 'after'), i), id, 'job', jobIds));
  checkCycles([...inputs, ...modelInputs.map((m) => ({ id: trainJobId(m.id), after: m.after, at: m.at }))]);
  const jobs = [...inputs.map((j) => j.build(j.timeoutMs ?? s.training.timeoutMs, retryOf(j.retry))), ...trainJobs];

  const datasets = unique(file?.datasets ?? []).map((d): DeclaredDataset => {
    d.tenants?.forEach((id, i) => checkRef(child(child(d.at, 'tenants'), i), id, 'tenant', tenantIds));
    return { id: d.id, tenants: d.tenants, schema: d.schema, generate: d.generate };
  });
  const schedules = unique(file?.schedules ?? []).map((input) => resolveSchedule(input, s, tenants, jobs));
  return { tenants, jobs, schedules, models, datasets };
}

function resolveSchedule(input: ScheduleInput, s: Scalars, tenants: TenantDefinition[], jobs: JobDefinition[]): ScheduleDefinition {
  const { at } = input;
  if (input.tenant === undefined && tenants.length > 1) {
    throw invalidField(child(at, 'tenant'), `is required when several tenants are declared; example "${tenants[0]?.id}"`);
  }
  const tenantId = input.tenant ?? tenants[0]?.id ?? DEFAULTS.tenant.id;
  checkRef(child(at, 'tenant'), tenantId, 'tenant', tenants.map((t) => t.id));
  checkRef(child(at, 'job'), input.job, 'job', jobs.map((j) => j.id));
  const tenant = tenants.find((t) => t.id === tenantId);
  const job = jobs.find((j) => j.id === input.job);
  if (job?.tenants && !job.tenants.includes(tenantId)) {
    throw invalidValue(child(at, 'tenant'), tenantId, `job "${job.id}" does not run for this tenant (its tenants: ${job.tenants.join(', ')})`, job.tenants[0]);
  }
  const timezone = input.timezone ?? tenant?.timezone ?? s.timezone;
  const everyMs = input.every === undefined ? null : toDurationMs(input.every, child(at, 'every'), { range: DURATION_RANGES.every });
  try {
    const timing = input.cron !== undefined ? { cron: input.cron, timezone } : { every: everyMs ?? undefined, timezone };
    checkJitter(compileTiming(timing, at.path, timezone), input.jitterMs ?? 0, `${at.path}.jitter`, Date.now());
  } catch (error) {
    rethrowAsConfig(error, { file: at.file, path: at.path });
  }
  return {
    id: input.id,
    tenantId,
    jobId: input.job,
    cron: input.cron ?? null,
    everyMs,
    timezone,
    enabled: input.enabled ?? DEFAULTS.schedule.enabled,
    jitterMs: input.jitterMs ?? DEFAULTS.schedule.jitterMs,
    misfireGraceMs: input.misfireGraceMs ?? s.misfireGraceMs,
    catchUp: input.catchUp ?? DEFAULTS.schedule.catchUp,
    catchUpMax: input.catchUpMax ?? DEFAULTS.schedule.catchUpMax,
    overlap: input.overlap ?? DEFAULTS.schedule.overlap,
  };
}

/** The entries themselves, after checking that no id is used twice in the list. */
function unique<T extends { at: At; id: string }>(entries: T[], key = 'id'): T[] {
  const seen = new Map<string, At>();
  for (const e of entries) {
    const first = seen.get(e.id);
    if (first) throw invalidValue(child(e.at, key), e.id, `duplicate ${key} (already used by ${first.path})`);
    seen.set(e.id, e.at);
  }
  return entries;
}

function checkRef(at: At, id: string, kind: 'tenant' | 'job', known: readonly string[]): void {
  if (known.includes(id)) return;
  const near = suggest(id, known);
  const hint = near !== null ? `did you mean "${near}"?` : known.length > 0 ? `known: ${known.slice(0, 8).join(', ')}` : `no ${kind}s are declared`;
  throw invalidValue(at, id, `unknown ${kind}; ${hint}`);
}

/** Depth-first search over `after`; the first cycle found is reported as a → b → a. */
function checkCycles(jobs: ReadonlyArray<Pick<JobInput, 'id' | 'after' | 'at'>>): void {
  const byId = new Map(jobs.map((j) => [j.id, j]));
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (job: Pick<JobInput, 'id' | 'after' | 'at'>): void => {
    state.set(job.id, 'visiting');
    stack.push(job.id);
    for (const dep of job.after) {
      const next = byId.get(dep);
      if (!next || state.get(dep) === 'done') continue;
      if (state.get(dep) === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dep)), dep];
        const first = byId.get(dep) ?? job;
        throw invalidField(child(first.at, 'after'), `dependency cycle ${cycle.map((id) => `"${id}"`).join(' → ')}`);
      }
      visit(next);
    }
    stack.pop();
    state.set(job.id, 'done');
  };
  for (const job of jobs) if (!state.has(job.id)) visit(job);
}
