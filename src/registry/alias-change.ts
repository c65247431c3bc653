/**
 * Promote and rollback: one transaction that locks the model (PostgreSQL: its counter row FOR
 * UPDATE; SQLite: BEGIN IMMEDIATE), reads the champion, checks the request against it, then moves
 * the alias and appends the history row. Two racing changes therefore run one after the other, the
 * second seeing the first's result. The caller's fence, if any, runs first in the same transaction.
 */
import { NsError } from '../errors.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { getAliasRow, insertAliasHistory, listAliasHistoryRows, putAlias, type AliasHistoryRow } from '../store/model-aliases.ts';
import { getModelVersionRow, lockModel, markWasChampion, type ModelVersionRow } from '../store/model-versions.ts';
import { CHAMPION, type AliasAction, type AliasChange, type AliasUpdate, type PromoteOptions } from './types.ts';
import { describeVersion } from './version-input.ts';

export async function changeChampion(
  db: Db,
  action: AliasAction,
  tenantId: string,
  modelName: string,
  version: number,
  options: PromoteOptions,
  now: number,
): Promise<AliasUpdate> {
  return inTransaction(db, async (tx) => {
    await options.fence?.(tx);
    const lastVersion = await lockModel(tx, db.dialect, tenantId, modelName);
    if (lastVersion === undefined) {
      throw new NsError('NS_NOT_FOUND', `model "${modelName}" of tenant "${tenantId}" has no versions`, { field: 'modelName', details: { tenantId, modelName } });
    }
    const target = await getModelVersionRow(tx, tenantId, modelName, version);
    if (!target) {
      const gone = version <= lastVersion ? ' (it was removed by retention)' : '';
      throw new NsError('NS_NOT_FOUND', `${describeVersion(tenantId, modelName, version)} does not exist${gone}`, {
        field: 'version',
        details: { tenantId, modelName, version },
      });
    }
    const current = await getAliasRow(tx, tenantId, modelName, CHAMPION);
    const currentVersion = current ? Number(current.version) : null;
    if (options.expectedCurrent !== undefined && options.expectedCurrent !== currentVersion) {
      throw new NsError(
        'NS_CONFLICT',
        `the champion of model "${modelName}" changed meanwhile: expected ${show(options.expectedCurrent)}, now ${show(currentVersion)}; ${action} of version ${version} not applied`,
        { details: { tenantId, modelName, expected: options.expectedCurrent, actual: currentVersion, version } },
      );
    }
    checkAllowed(action, target, currentVersion);
    if (current && currentVersion === version) {
      // Already there (e.g. the same promotion sent twice): nothing to write.
      const [latest] = await listAliasHistoryRows(tx, tenantId, modelName, CHAMPION, { limit: 1 });
      if (!latest) throw new NsError('NS_STORE', `alias history of model "${modelName}" is missing revision ${Number(current.revision)}`);
      return { changed: false, change: aliasChangeOf(latest) };
    }
    const revision = (current ? Number(current.revision) : 0) + 1;
    const entry: AliasHistoryRow = {
      tenant_id: tenantId,
      model_name: modelName,
      alias: CHAMPION,
      revision,
      version,
      previous_version: currentVersion,
      action,
      reason: options.reason,
      actor: options.actor ?? null,
      run_id: options.runId ?? null,
      at: now,
    };
    await putAlias(tx, { tenant_id: tenantId, model_name: modelName, alias: CHAMPION, version, revision, updated_at: now });
    await insertAliasHistory(tx, entry);
    await markWasChampion(tx, tenantId, modelName, version);
    return { changed: true, change: aliasChangeOf(entry) };
  });
}

function checkAllowed(action: AliasAction, target: ModelVersionRow, currentVersion: number | null): void {
  const what = describeVersion(target.tenant_id, target.model_name, Number(target.version));
  const failedGate = Number(target.gate_passed) !== 1;
  if (action === 'promote') {
    if (failedGate) {
      throw new NsError('NS_CONFLICT', `${what} failed its validation gate and cannot be promoted`, {
        field: 'version',
        details: { version: Number(target.version), gate: JSON.parse(target.gate_reasons) as unknown },
      });
    }
    return;
  }
  if (currentVersion === null) {
    throw new NsError('NS_CONFLICT', `model "${target.model_name}" has no champion to roll back from`, { details: { version: Number(target.version) } });
  }
  if (Number(target.version) === currentVersion) {
    throw new NsError('NS_VALIDATION', `cannot roll back to ${what}: it is the champion already; a rollback targets a version earlier than the champion`, {
      field: 'targetVersion',
      details: { targetVersion: currentVersion, champion: currentVersion },
    });
  }
  if (Number(target.version) > currentVersion) {
    // The caller's words for promoting (a CLI command, an HTTP route) follow this message.
    throw new NsError(
      'NS_VALIDATION',
      `cannot roll back to ${what}: it is later than the champion (version ${currentVersion}); a rollback targets a version earlier than the champion. To make a later version the champion, promote it`,
      { field: 'targetVersion', details: { targetVersion: Number(target.version), champion: currentVersion, instead: 'promote' } },
    );
  }
  if (failedGate) {
    throw new NsError('NS_CONFLICT', `cannot roll back to ${what}: it failed its validation gate; only versions that passed it can serve`, {
      field: 'targetVersion',
      details: { targetVersion: Number(target.version), gate: JSON.parse(target.gate_reasons) as unknown },
    });
  }
}

const show = (v: number | null) => (v === null ? 'no champion' : `version ${v}`);

export function aliasChangeOf(row: AliasHistoryRow): AliasChange {
  return {
    tenantId: row.tenant_id,
    modelName: row.model_name,
    alias: row.alias,
    revision: Number(row.revision),
    version: Number(row.version),
    previousVersion: row.previous_version === null ? null : Number(row.previous_version),
    action: row.action as AliasAction,
    reason: row.reason,
    actor: row.actor,
    runId: row.run_id,
    at: Number(row.at),
  };
}
