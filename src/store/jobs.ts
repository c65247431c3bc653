import { sql } from 'kysely';
import type { JobDefinition } from '../config/types.ts';
import { deepFreeze } from '../deep-freeze.ts';
import type { Executor } from './db.ts';

export async function upsertJob(x: Executor, job: JobDefinition, now: number): Promise<void> {
  const spec = JSON.stringify(job);
  await x
    .insertInto('jobs')
    .values({ id: job.id, kind: job.kind, role: job.role, spec, created_at: now, updated_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ kind: job.kind, role: job.role, spec, updated_at: now }))
    .execute();
}

export async function getJob(x: Executor, id: string): Promise<JobDefinition | undefined> {
  const row = await x.selectFrom('jobs').select(['id', 'spec']).where('id', '=', id).executeTakeFirst();
  return row ? parsedSpec(row.id, row.spec) : undefined;
}

/** Every job definition; read by each claim round, so it is plain SQL and parses only what changed. */
export async function listJobs(x: Executor): Promise<JobDefinition[]> {
  const { rows } = await sql<{ id: string; spec: string }>`select id, spec from jobs order by id`.execute(x);
  return rows.map((r) => parsedSpec(r.id, r.spec));
}

/** The last definition parsed per job id, with the text it came from: bounded by the number of jobs. */
const parsed = new Map<string, { spec: string; job: JobDefinition }>();

/** Shared between callers, so frozen: a caller that tried to change one would change it for all. */
function parsedSpec(id: string, spec: string): JobDefinition {
  const hit = parsed.get(id);
  if (hit?.spec === spec) return hit.job;
  const job = deepFreeze(withRetries(JSON.parse(spec) as JobDefinition));
  parsed.set(id, { spec, job });
  return job;
}

/**
 * Definitions stored before retries were counted after the first attempt say `retry.attempts`
 * (the first included). A job declared through the API lives only here, so its stored allowance is
 * read with its old meaning: attempts − 1 retries. The next write stores `retries`.
 */
function withRetries(job: JobDefinition): JobDefinition {
  const retry = job.retry as JobDefinition['retry'] & { attempts?: number };
  if (retry.retries !== undefined || retry.attempts === undefined) return job;
  const { attempts, ...rest } = retry;
  return { ...job, retry: { ...rest, retries: Math.max(0, attempts - 1) } };
}
