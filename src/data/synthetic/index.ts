/** Synthetic predictive-maintenance data for demos, tests and benchmarks (deterministic by seed). */
export { Rng } from './prng.ts';
export {
  FAILURE_HORIZON_HOURS,
  generateFleet,
  generateTenant,
  machineIdOf,
  seriesEndOf,
  SYNTHETIC_DEFAULTS,
  SYNTHETIC_SENSORS,
  tenantIdOf,
  type SyntheticOptions,
  type SyntheticRecord,
  type SyntheticSensor,
  type SyntheticTenant,
} from './machines.ts';
export { flatRow, SYNTHETIC_COLUMNS, SYNTHETIC_TARGETS, syntheticFeatureSpec, syntheticSchema, toRawSamples, type SyntheticTarget } from './dataset.ts';
export { CSV_HEADER, csvLine, ndjsonLine, SYNTHETIC_FORMATS, writeRecords, type SyntheticFormat } from './writers.ts';
