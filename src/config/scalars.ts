/**
 * The scalar part of Settings as a patch: env and the config file each produce one, and they are
 * layered defaults ← file ← env. Each patch remembers where each value came from, for messages.
 */
import type { Settings } from './types.ts';
import { DEFAULTS, defaultArtifacts, defaultNodeId } from './defaults.ts';
import { durationText, invalidValue, type At } from './values.ts';

type Nested = 'training' | 'analysis' | 'http' | 'predictionLog' | 'monitor';
type Flat = Omit<Settings, Nested | 'auth' | 'tenants' | 'jobs' | 'schedules' | 'models' | 'datasets' | 'notifications' | 'configPath'>;
export type Scalars = Flat & Pick<Settings, Nested>;

export type ScalarPatch = Partial<Flat> & {
  training?: Partial<Settings['training']>;
  analysis?: Partial<Settings['analysis']>;
  http?: Partial<Settings['http']>;
  predictionLog?: Partial<Settings['predictionLog']>;
  monitor?: Partial<Settings['monitor']>;
};

/** Where each set value came from and as what text, keyed by settings name ("leaseMs", "training.schedule"). */
export type Origins = Map<string, { at: At; raw: unknown }>;

export interface Layer {
  patch: ScalarPatch;
  origins: Origins;
}

export function mergeScalars(...layers: Layer[]): { scalars: Scalars; origins: Origins } {
  const base: Scalars = {
    dataDir: DEFAULTS.dataDir,
    databaseUrl: DEFAULTS.databaseUrl,
    artifacts: defaultArtifacts(DEFAULTS.databaseUrl),
    nodeId: defaultNodeId(),
    logLevel: DEFAULTS.logLevel,
    logFormat: DEFAULTS.logFormat,
    timezone: DEFAULTS.timezone,
    concurrency: DEFAULTS.concurrency,
    trainThreads: DEFAULTS.trainThreads,
    shutdownGraceMs: DEFAULTS.shutdownGraceMs,
    killGraceMs: DEFAULTS.killGraceMs,
    leaseMs: DEFAULTS.leaseMs,
    heartbeatMs: DEFAULTS.heartbeatMs,
    maxRecoveries: DEFAULTS.maxRecoveries,
    pollMs: DEFAULTS.pollMs,
    misfireGraceMs: DEFAULTS.misfireGraceMs,
    policyDebounceMs: DEFAULTS.policyDebounceMs,
    logTailBytes: DEFAULTS.logTailBytes,
    jobNiceness: DEFAULTS.jobNiceness,
    launcher: DEFAULTS.launcher,
    historyRetentionDays: DEFAULTS.historyRetentionDays,
    keepVersions: DEFAULTS.keepVersions,
    keepChampions: DEFAULTS.keepChampions,
    modelCacheMb: DEFAULTS.modelCacheMb,
    historyCacheSamples: DEFAULTS.historyCacheSamples,
    ingestMaxSkewMs: DEFAULTS.ingestMaxSkewMs,
    training: { ...DEFAULTS.training },
    analysis: { ...DEFAULTS.analysis },
    http: { ...DEFAULTS.http },
    predictionLog: { ...DEFAULTS.predictionLog },
    monitor: { ...DEFAULTS.monitor },
  };
  const origins: Origins = new Map();
  for (const { patch, origins: from } of layers) {
    const { training, analysis, http, predictionLog, monitor, ...flat } = patch;
    Object.assign(base, flat);
    Object.assign(base.training, training);
    Object.assign(base.analysis, analysis);
    Object.assign(base.http, http);
    Object.assign(base.predictionLog, predictionLog);
    Object.assign(base.monitor, monitor);
    for (const [key, at] of from) origins.set(key, at);
  }
  if (!origins.has('artifacts')) base.artifacts = defaultArtifacts(base.databaseUrl);
  checkRelations(base, origins);
  return { scalars: base, origins };
}

/** Relations between values that no single value can check on its own. */
function checkRelations(s: Scalars, origins: Origins): void {
  if (s.artifacts === 'postgres' && s.databaseUrl === null) {
    const origin = origins.get('artifacts');
    throw invalidValue(
      origin?.at ?? { file: null, path: 'NIGHTSHIFT_ARTIFACTS' },
      origin?.raw ?? s.artifacts,
      'artifacts are stored in PostgreSQL only with a PostgreSQL store: set DATABASE_URL, or use file with SQLite',
      'file',
    );
  }
  if (s.heartbeatMs >= s.leaseMs) {
    const isHeartbeat = origins.has('heartbeatMs') || !origins.has('leaseMs');
    const origin = origins.get(isHeartbeat ? 'heartbeatMs' : 'leaseMs');
    const at = origin?.at ?? { file: null, path: 'NIGHTSHIFT_HEARTBEAT' };
    const value = origin?.raw ?? s.heartbeatMs;
    const reason = isHeartbeat
      ? `must be shorter than the lease (${s.leaseMs} ms)`
      : `must be longer than the heartbeat (${s.heartbeatMs} ms)`;
    const example = isHeartbeat ? Math.max(1, Math.floor(s.leaseMs / 3)) : s.heartbeatMs * 3;
    throw invalidValue(at, value, reason, durationText(example));
  }
}
