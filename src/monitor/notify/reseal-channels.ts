/**
 * A master key rotation's part for notification channels: every channel's sealed settings (webhook
 * signing keys, MQTT passwords, URLs with tokens) opened with the key they were sealed under and
 * sealed again under the current one, all rows in one transaction, so a rotation never leaves some
 * channels re-sealed and others not. A row that does not open (tampered, or sealed under a key this
 * process lacks) is left as it is and reported; so is one changed while the rotation ran.
 */
import type { SecretSealer } from '../../crypto/sealer.ts';
import { isNsError } from '../../errors.ts';
import { inTransaction, type Db } from '../../store/db.ts';
import { listChannelRows, replaceChannelConfig } from '../../store/notification-channels.ts';
import { ALL_TENANTS } from '../../store/tenant-scope.ts';
import { resealChannelConfig } from './channel-config-codec.ts';

export interface ResealResult {
  resealed: number;
  alreadyCurrent: number;
  problems: Array<{ tenantId: string; what: string; message: string }>;
}

export async function resealChannelSecrets(db: Db, sealer: SecretSealer): Promise<ResealResult> {
  return inTransaction(db, async (tx) => {
    const result: ResealResult = { resealed: 0, alreadyCurrent: 0, problems: [] };
    for (const row of await listChannelRows(tx, ALL_TENANTS)) {
      const what = `notification channel "${row.id}" (tenant "${row.tenant_id}")`;
      let next: string | null;
      try {
        next = resealChannelConfig(sealer, row.tenant_id, row.id, row.config);
      } catch (error) {
        if (!isNsError(error) || error.code !== 'NS_STORE') throw error;
        result.problems.push({ tenantId: row.tenant_id, what, message: `${what}: ${error.message}` });
        continue;
      }
      if (next === null) result.alreadyCurrent += 1;
      else if (await replaceChannelConfig(tx, row.tenant_id, row.id, row.config, next)) result.resealed += 1;
      else result.problems.push({ tenantId: row.tenant_id, what, message: `${what} changed while the rotation ran; run it again` });
    }
    return result;
  });
}
