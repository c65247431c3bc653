import type { JobDefinition } from '../config/types.ts';
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
  const row = await x.selectFrom('jobs').select('spec').where('id', '=', id).executeTakeFirst();
  return row ? (JSON.parse(row.spec) as JobDefinition) : undefined;
}

export async function listJobs(x: Executor): Promise<JobDefinition[]> {
  const rows = await x.selectFrom('jobs').select('spec').orderBy('id').execute();
  return rows.map((r) => JSON.parse(r.spec) as JobDefinition);
}
