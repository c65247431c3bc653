import { insertRows } from './bulk-statements.ts';
import type { Executor } from './db.ts';
import type { SlotsTable } from './schema.ts';
import { inScope, type TenantScope } from './tenant-scope.ts';

export type SlotRow = SlotsTable;

// Rows per INSERT: keeps every statement well under SQLite's bound-parameter limit.
const CHUNK = 400;

/**
 * Records slot fates. The primary key (schedule_id, slot_at) is the exactly-once guard: a slot that
 * another process already decided is not inserted, and only the keys inserted here come back.
 */
export async function insertSlots(x: Executor, rows: readonly SlotRow[]): Promise<Set<string>> {
  const inserted = new Set<string>();
  for (let i = 0; i < rows.length; i += CHUNK) {
    const keys = await insertRows<Pick<SlotRow, 'schedule_id' | 'slot_at'>>(x, 'slots', rows.slice(i, i + CHUNK), 'on conflict (schedule_id, slot_at) do nothing returning schedule_id, slot_at');
    for (const k of keys) inserted.add(slotKey(k.schedule_id, k.slot_at));
  }
  return inserted;
}

export const slotKey = (scheduleId: string, slotAt: number) => `${scheduleId}@${slotAt}`;

export interface SlotFilter {
  scheduleId?: string;
  from?: number;
  to?: number;
  limit?: number;
}

export async function listSlots(x: Executor, scope: TenantScope, filter: SlotFilter = {}): Promise<SlotRow[]> {
  let q = inScope(x.selectFrom('slots').selectAll(), scope);
  if (filter.scheduleId) q = q.where('schedule_id', '=', filter.scheduleId);
  if (filter.from !== undefined) q = q.where('slot_at', '>=', filter.from);
  if (filter.to !== undefined) q = q.where('slot_at', '<', filter.to);
  return q.orderBy('slot_at').orderBy('schedule_id').limit(filter.limit ?? 10_000).execute();
}

export async function countSlotsByFate(x: Executor, scope: TenantScope, scheduleId?: string): Promise<Record<string, number>> {
  let q = inScope(x.selectFrom('slots').select(['fate', (eb) => eb.fn.countAll<number>().as('n')]).groupBy('fate'), scope);
  if (scheduleId) q = q.where('schedule_id', '=', scheduleId);
  const rows = await q.execute();
  return Object.fromEntries(rows.map((r) => [r.fate, Number(r.n)]));
}

/**
 * A schedule's slot fates, newest first, `before` an instant (keyset pages on the primary key
 * (schedule_id, slot_at), so any page is an index range).
 */
export async function listScheduleSlotsNewestFirst(x: Executor, scope: TenantScope, scheduleId: string, page: { before?: number; limit: number }): Promise<SlotRow[]> {
  let q = inScope(x.selectFrom('slots').selectAll().where('schedule_id', '=', scheduleId), scope);
  if (page.before !== undefined) q = q.where('slot_at', '<', page.before);
  return q.orderBy('slot_at', 'desc').limit(page.limit).execute();
}
