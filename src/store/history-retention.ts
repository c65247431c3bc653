import type { Executor } from './db.ts';
import type { ALL_TENANTS } from './tenant-scope.ts';

export interface PruneCounts {
  runs: number;
  attempts: number;
  slots: number;
}

/**
 * Deletes history older than `before`: finished runs with their attempts, and decided slots. The
 * hot queue (queued and running runs) is never touched, whatever its age.
 */
export async function pruneHistory(x: Executor, scope: typeof ALL_TENANTS, before: number): Promise<PruneCounts> {
  const old = x
    .selectFrom('runs')
    .select('id')
    .where('status', 'not in', ['queued', 'running'])
    .where('finished_at', '<', before);
  const attempts = await x.deleteFrom('run_attempts').where('run_id', 'in', old).executeTakeFirst();
  const runs = await x
    .deleteFrom('runs')
    .where('status', 'not in', ['queued', 'running'])
    .where('finished_at', '<', before)
    .executeTakeFirst();
  const slots = await x.deleteFrom('slots').where('slot_at', '<', before).executeTakeFirst();
  return { runs: Number(runs.numDeletedRows), attempts: Number(attempts.numDeletedRows), slots: Number(slots.numDeletedRows) };
}
