/**
 * The synthetic fleet as a nightshift dataset: its schema (entity `machine_id`, time `timestamp`,
 * sensors and `model` as features, one of the two targets as label), flat rows as written to
 * CSV/NDJSON, RawSample conversion, and a feature spec that suits it (lags and rolling windows).
 */
import type { FeatureSpec } from '../features/spec.ts';
import { parseFeatureSpec } from '../features/spec.ts';
import type { DatasetSchema, RawSample } from '../types.ts';
import { SYNTHETIC_SENSORS, type SyntheticRecord } from './machines.ts';

export const SYNTHETIC_TARGETS = ['fails_within_24h', 'rul_hours'] as const;
export type SyntheticTarget = (typeof SYNTHETIC_TARGETS)[number];

/** Column order of the written files. */
export const SYNTHETIC_COLUMNS = ['tenant_id', 'machine_id', 'timestamp', 'model', ...SYNTHETIC_SENSORS, 'fails_within_24h', 'rul_hours'] as const;
export type SyntheticColumn = (typeof SYNTHETIC_COLUMNS)[number];

export function syntheticSchema(tenantId: string, target: SyntheticTarget = 'fails_within_24h', id = 'machines'): DatasetSchema {
  return {
    id,
    tenantId,
    entityKey: 'machine_id',
    timestamp: 'timestamp',
    features: [{ name: 'model', type: 'categorical', nullable: false }, ...SYNTHETIC_SENSORS.map((name) => ({ name, type: 'numeric' as const, nullable: true }))],
    label: { name: target, type: target === 'fails_within_24h' ? 'binary' : 'numeric', nullable: false },
  };
}

/** A flat row: what a line of the CSV or NDJSON file holds. */
export function flatRow(r: SyntheticRecord): Record<SyntheticColumn, string | number | null> {
  return {
    tenant_id: r.tenantId,
    machine_id: r.machineId,
    timestamp: new Date(r.ts).toISOString(),
    model: r.model,
    ...r.sensors,
    fails_within_24h: r.failsWithin24h,
    rul_hours: r.rulHours,
  };
}

export function toRawSamples(records: readonly SyntheticRecord[], target: SyntheticTarget = 'fails_within_24h'): RawSample[] {
  return records.map((r) => ({
    entity: r.machineId,
    ts: r.ts,
    values: { model: r.model, ...r.sensors },
    label: target === 'fails_within_24h' ? r.failsWithin24h : r.rulHours,
  }));
}

/** Sensors as they are, plus 6 h / 24 h lags and rolling statistics of the wear-driven sensors. */
export function syntheticFeatureSpec(): FeatureSpec {
  const rolled = ['temperature', 'vibration', 'pressure', 'rpm'];
  return parseFeatureSpec({
    continuous: [...SYNTHETIC_SENSORS],
    categorical: ['model'],
    lags: ['temperature', 'vibration'].flatMap((column) => [6, 24].map((h) => ({ column, lagSeconds: h * 3600 }))),
    rolling: rolled.flatMap((column) => [6, 48].map((h) => ({ column, windowSeconds: h * 3600, stats: ['mean', 'std', 'min', 'max'] }))),
  });
}
