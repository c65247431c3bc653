/** Bytes a run needs that came with its request (an ONNX import's model file), kept with the run. */
import type { Executor } from './db.ts';

export async function insertRunInput(x: Executor, row: { runId: string; name: string; tenantId: string; bytes: Uint8Array; now: number }): Promise<void> {
  await x
    .insertInto('run_inputs')
    .values({ run_id: row.runId, name: row.name, tenant_id: row.tenantId, bytes: Buffer.from(row.bytes.buffer, row.bytes.byteOffset, row.bytes.byteLength), created_at: row.now })
    .execute();
}

export async function getRunInput(x: Executor, tenantId: string, runId: string, name: string): Promise<Buffer | null> {
  const row = await x.selectFrom('run_inputs').select('bytes').where('run_id', '=', runId).where('name', '=', name).where('tenant_id', '=', tenantId).executeTakeFirst();
  return row ? Buffer.from(row.bytes) : null;
}
