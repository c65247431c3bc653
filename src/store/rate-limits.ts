/**
 * Fixed-window request counters shared by every node of a PostgreSQL store: one upsert per request
 * counts it and answers the count and the window's end, atomically (the row lock orders nodes).
 */
import { sql } from 'kysely';
import type { Executor } from './db.ts';

export async function incrementRateCounter(x: Executor, key: string, now: number, windowMs: number): Promise<{ count: number; resetAt: number }> {
  const { rows } = await sql<{ count: number | string; reset_at: number | string }>`
    insert into rate_limits (key, count, reset_at) values (${key}, 1, ${now + windowMs})
    on conflict (key) do update set
      count = case when rate_limits.reset_at <= ${now} then 1 else rate_limits.count + 1 end,
      reset_at = case when rate_limits.reset_at <= ${now} then ${now + windowMs} else rate_limits.reset_at end
    returning count, reset_at`.execute(x);
  const row = rows[0]!;
  return { count: Number(row.count), resetAt: Number(row.reset_at) };
}

/** Deletes counters whose window ended before `before` (they would restart at 1 anyway). */
export async function pruneRateCounters(x: Executor, before: number): Promise<number> {
  const result = await x.deleteFrom('rate_limits').where('reset_at', '<', before).executeTakeFirst();
  return Number(result.numDeletedRows);
}
