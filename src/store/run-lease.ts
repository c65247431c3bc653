/**
 * The fence of a write made on a run's behalf by its job process (a training registering a
 * version): inside the writing transaction, the run must still be running under the same lease
 * owner and attempt. A job process whose lease was lost (its node declared dead, the run recovered
 * and maybe claimed again) writes nothing.
 */
import { leaseLost } from '../errors.ts';
import type { DialectName, Executor } from './db.ts';

export interface LeaseRef {
  tenantId: string;
  runId: string;
  owner: string;
  attempt: number;
}

/**
 * PostgreSQL locks the run row until the transaction ends, so a recovery waits for the write that
 * checked it; SQLite's BEGIN IMMEDIATE already serializes every writer.
 */
export async function assertLeaseHeld(x: Executor, dialect: DialectName, ref: LeaseRef): Promise<void> {
  const row = await x
    .selectFrom('runs')
    .select(['status', 'lease_owner', 'attempt'])
    .where('id', '=', ref.runId)
    .where('tenant_id', '=', ref.tenantId)
    .$if(dialect === 'postgres', (q) => q.forUpdate())
    .executeTakeFirst();
  if (!row || row.status !== 'running' || row.lease_owner !== ref.owner || row.attempt !== ref.attempt) throw leaseLost(ref.runId, ref.owner);
}
