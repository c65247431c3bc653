/**
 * The per-tenant model registry: numbered versions with their metadata, content-addressed artifacts
 * (files or PostgreSQL rows, behind ArtifactStorage), the `champion` alias with its history,
 * rollback and retention. Every operation takes the tenant; nothing reaches across tenants.
 */
import { systemClock, type Clock } from '../clock.ts';
import { NsError } from '../errors.ts';
import { inTransaction, type Db } from '../store/db.ts';
import { aliasChangedByRun, getAliasedVersionRow, listAliasHistoryRows } from '../store/model-aliases.ts';
import { insertModelProfile } from '../store/model-profiles.ts';
import {
  getModelVersionRow,
  getVersionOfRun,
  insertModelVersion,
  listModelVersionRows,
  lockArtifact,
  takeNextVersion,
} from '../store/model-versions.ts';
import { aliasChangeOf, changeChampion } from './alias-change.ts';
import type { ArtifactContent, ArtifactStorage } from './artifact-storage.ts';
import { applyRetention, collectArtifacts, sweepArtifacts } from './retention.ts';
import {
  CHAMPION,
  type AliasChange,
  type AliasUpdate,
  type ModelVersion,
  type NewModelVersion,
  type PromoteOptions,
  type RetentionResult,
  type RollbackOptions,
  type SweepResult,
  type VersionPage,
  type WriteOptions,
} from './types.ts';
import { checkIds, checkNewVersion, checkVersionNumber, describeVersion, modelVersionOf, versionRow } from './version-input.ts';

export interface ModelRegistryOptions {
  db: Db;
  /** Where artifacts live (createArtifactStorage); its codec is the seam for per-tenant encryption. */
  artifacts: ArtifactStorage;
  clock?: Clock;
  /** The newest versions applyRetention keeps (besides the champions below; default 10). */
  keepVersions?: number;
  /** Past champions applyRetention keeps besides the current one, the most recent first (default 5). */
  keepChampions?: number;
}

export const REGISTRY_DEFAULTS = Object.freeze({ keepVersions: 10, keepChampions: 5, sweepOlderThanMs: 3_600_000, pageLimit: 50, maxPageLimit: 500 });

export interface LoadedArtifact {
  version: ModelVersion;
  /** Verified against the version's sha256. */
  bytes: Buffer;
}

export class ModelRegistry {
  readonly artifacts: ArtifactStorage;
  readonly #db: Db;
  readonly #clock: Clock;
  readonly #keepVersions: number;
  readonly #keepChampions: number;

  constructor(options: ModelRegistryOptions) {
    this.#db = options.db;
    this.#clock = options.clock ?? systemClock;
    this.#keepVersions = checkKeep(options.keepVersions ?? REGISTRY_DEFAULTS.keepVersions);
    this.#keepChampions = checkKeepChampions(options.keepChampions ?? REGISTRY_DEFAULTS.keepChampions);
    this.artifacts = options.artifacts;
  }

  /**
   * Stages the artifact (files: temp file, fsync; PostgreSQL: in memory), then in one transaction
   * runs the fence, takes the next version number, makes the artifact visible under its hash and
   * inserts the version. With PostgreSQL storage the artifact rows are part of that transaction: a
   * crash or failure leaves neither or both. With files a crash before the commit leaves no
   * version, only a file that sweepArtifacts removes.
   */
  async registerVersion(input: NewModelVersion, artifact: ArtifactContent, options: WriteOptions = {}): Promise<ModelVersion> {
    const checked = checkNewVersion(input);
    const { tenantId, modelName } = checked;
    const staged = await this.artifacts.stage(tenantId, artifact);
    let placed = false;
    try {
      return await inTransaction(this.#db, async (tx) => {
        await options.fence?.(tx);
        await lockArtifact(tx, this.#db.dialect, tenantId, staged.sha256);
        const version = await takeNextVersion(tx, tenantId, modelName, this.#clock.now());
        const parent = checked.parentVersion ?? null;
        if (parent !== null && (parent >= version || !(await getModelVersionRow(tx, tenantId, modelName, parent)))) {
          throw new NsError('NS_VALIDATION', `parentVersion: ${describeVersion(tenantId, modelName, parent)} does not exist`, { field: 'parentVersion' });
        }
        await this.artifacts.place(tx, staged, this.#clock.now());
        placed = true;
        const row = versionRow(checked, version, staged, this.#clock.now());
        await insertModelVersion(tx, row);
        if (checked.profile !== undefined) await insertModelProfile(tx, { tenantId, modelName, version, profile: JSON.stringify(checked.profile) });
        return modelVersionOf(row);
      });
    } catch (error) {
      // A placed file outlives the rolled-back transaction; placed rows do not.
      if (placed && !this.artifacts.transactional) await collectArtifacts(this.#db, this.artifacts, tenantId, [staged.sha256]).catch(() => undefined);
      else await this.artifacts.discard(staged);
      throw error;
    }
  }

  async getVersion(tenantId: string, modelName: string, version: number): Promise<ModelVersion | null> {
    checkIds(tenantId, modelName);
    const row = await getModelVersionRow(this.#db.k, tenantId, modelName, checkVersionNumber('version', version));
    return row ? modelVersionOf(row) : null;
  }

  /** Newest first, keyset-paginated by version number. */
  async listVersions(tenantId: string, modelName: string, page: { limit?: number; cursor?: number | null } = {}): Promise<VersionPage> {
    checkIds(tenantId, modelName);
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? REGISTRY_DEFAULTS.pageLimit), 1), REGISTRY_DEFAULTS.maxPageLimit);
    const before = page.cursor === undefined || page.cursor === null ? undefined : checkVersionNumber('cursor', page.cursor);
    const rows = await listModelVersionRows(this.#db.k, tenantId, modelName, { limit: limit + 1, ...(before === undefined ? {} : { before }) });
    const items = rows.slice(0, limit).map(modelVersionOf);
    return { items, nextCursor: rows.length > limit ? (items.at(-1)?.version ?? null) : null };
  }

  /** The version a run registered (a retried attempt finishes with it instead of training again). */
  async versionOfRun(tenantId: string, runId: string): Promise<ModelVersion | null> {
    const row = await getVersionOfRun(this.#db.k, tenantId, runId);
    return row ? modelVersionOf(row) : null;
  }

  /** Whether the run's promotion of the model's champion committed. */
  promotedByRun(tenantId: string, modelName: string, runId: string): Promise<boolean> {
    checkIds(tenantId, modelName);
    return aliasChangedByRun(this.#db.k, tenantId, modelName, CHAMPION, runId);
  }

  /** The version holding the champion alias, or null before the first promotion. */
  async champion(tenantId: string, modelName: string): Promise<ModelVersion | null> {
    checkIds(tenantId, modelName);
    const row = await getAliasedVersionRow(this.#db.k, tenantId, modelName, CHAMPION);
    return row ? modelVersionOf(row) : null;
  }

  /**
   * Makes a version that passed its gate the champion. With `expectedCurrent`, refuses (NS_CONFLICT)
   * when the champion is no longer the one the caller decided against. Promoting the current
   * champion again changes nothing (changed: false). `options.fence` runs first in the transaction.
   */
  async promote(tenantId: string, modelName: string, version: number, options: PromoteOptions): Promise<AliasUpdate> {
    checkIds(tenantId, modelName);
    return changeChampion(this.#db, 'promote', tenantId, modelName, checkVersionNumber('version', version), checkReason(options), this.#clock.now());
  }

  /** Moves the champion back to an earlier version that passed its gate; recorded as a rollback. */
  async rollback(tenantId: string, modelName: string, targetVersion: number, options: RollbackOptions): Promise<AliasUpdate> {
    checkIds(tenantId, modelName);
    return changeChampion(
      this.#db,
      'rollback',
      tenantId,
      modelName,
      checkVersionNumber('targetVersion', targetVersion),
      checkReason(options),
      this.#clock.now(),
    );
  }

  /** Changes of the champion alias, newest first; `before` is a revision (for the next page). */
  async aliasHistory(tenantId: string, modelName: string, page: { limit?: number; before?: number } = {}): Promise<AliasChange[]> {
    checkIds(tenantId, modelName);
    const limit = Math.min(Math.max(Math.trunc(page.limit ?? 100), 1), REGISTRY_DEFAULTS.maxPageLimit);
    const rows = await listAliasHistoryRows(this.#db.k, tenantId, modelName, CHAMPION, { limit, ...(page.before === undefined ? {} : { before: page.before }) });
    return rows.map(aliasChangeOf);
  }

  /** A version's artifact, verified against its hash (NS_STORE when missing or corrupted). */
  async loadArtifact(tenantId: string, modelName: string, version: number): Promise<LoadedArtifact> {
    const found = await this.getVersion(tenantId, modelName, version);
    if (!found) {
      throw new NsError('NS_NOT_FOUND', `${describeVersion(tenantId, modelName, version)} does not exist`, {
        field: 'version',
        details: { tenantId, modelName, version },
      });
    }
    return { version: found, bytes: await this.artifacts.read(tenantId, found.artifact.sha256, describeVersion(tenantId, modelName, version)) };
  }

  /** The champion's artifact, verified; null when the model has no champion. */
  async loadChampion(tenantId: string, modelName: string): Promise<LoadedArtifact | null> {
    const found = await this.champion(tenantId, modelName);
    if (!found) return null;
    const what = `champion ${describeVersion(tenantId, modelName, found.version)}`;
    return { version: found, bytes: await this.artifacts.read(tenantId, found.artifact.sha256, what) };
  }

  /** Deletes the versions retention does not keep, and their unshared artifacts (retention.ts). */
  async applyRetention(tenantId: string, modelName: string, keep: number = this.#keepVersions, keepChampions: number = this.#keepChampions): Promise<RetentionResult> {
    checkIds(tenantId, modelName);
    return applyRetention(this.#db, this.artifacts, tenantId, modelName, checkKeep(keep), checkKeepChampions(keepChampions));
  }

  /** Removes temp files and unreferenced artifacts older than olderThanMs (default an hour). */
  async sweepArtifacts(olderThanMs: number = REGISTRY_DEFAULTS.sweepOlderThanMs): Promise<SweepResult> {
    if (!Number.isFinite(olderThanMs) || olderThanMs < 0) throw new NsError('NS_VALIDATION', `olderThanMs: ${olderThanMs} is not a duration ≥ 0`, { field: 'olderThanMs' });
    return sweepArtifacts(this.#db, this.artifacts, this.#clock.now() - olderThanMs);
  }
}

function checkKeep(keep: number): number {
  if (!Number.isSafeInteger(keep) || keep < 1) throw new NsError('NS_VALIDATION', `keep: ${keep} is not a number of versions ≥ 1`, { field: 'keep' });
  return keep;
}

function checkKeepChampions(keep: number): number {
  if (!Number.isSafeInteger(keep) || keep < 0) throw new NsError('NS_VALIDATION', `keepChampions: ${keep} is not a number of past champions ≥ 0`, { field: 'keepChampions' });
  return keep;
}

function checkReason(options: PromoteOptions): PromoteOptions {
  if (typeof options.reason !== 'string' || options.reason.trim() === '') throw new NsError('NS_VALIDATION', 'reason: say why the champion changes', { field: 'reason' });
  if (options.expectedCurrent !== undefined && options.expectedCurrent !== null) checkVersionNumber('expectedCurrent', options.expectedCurrent);
  return options;
}
