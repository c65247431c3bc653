/**
 * Feature engineering: a serializable FeatureSpec (spec.ts) and the one transform that applies it
 * at training (buildTrainingSet; buildTrainingSetFromColumns for a window in columns) and at
 * serving (transformForServing). See spec.ts for the exact lag and rolling semantics and
 * transform.ts for parity and history requirements.
 */
export {
  DEFAULT_MAX_CATEGORIES,
  featureLayout,
  FEATURE_SPEC_FORMAT,
  featureInfos,
  isFitted,
  lagName,
  outputNames,
  parseFeatureSpec,
  rawColumnOf,
  requiredHistorySeconds,
  ROLLING_STATS,
  rollingName,
  type FeatureLayout,
  type FeatureSpec,
  type FeatureSpecInput,
  type LagFeature,
  type RollingFeature,
  type RollingStat,
} from './spec.ts';
export { checkSpecAgainstSchema, mappedColumns } from './schema-check.ts';
export { specFromSchemaConfig, type SchemaConfig } from './schema-config.ts';
export { buildTrainingSet, fitFeatureSpec, transformForServing, type BuiltTrainingSet, type ServingFeatures } from './transform.ts';
export { buildTrainingSetFromColumns, fitFeatureSpecFromColumns } from './columnar.ts';
