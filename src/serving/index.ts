/** Serving: champions loaded per (tenant, model), hot-swapped on promotion, predicting raw rows through the training feature spec. */
export { ModelCache, MODEL_CACHE_DEFAULTS, type ModelCacheOptions, type ModelCacheStats, type ServedModel } from './model-cache.ts';
export { ModelCacheEvents, type ModelCacheEvent, type ModelCacheEventMap } from './model-cache-events.ts';
export {
  DEFAULT_THRESHOLD,
  isSyncPredictor,
  loadPredictor,
  parseArtifact,
  predictRows,
  predictRowsSync,
  SERVABLE_KINDS,
  type Prediction,
  type Predictor,
  type ServableKind,
  type SyncPredictor,
} from './predictor.ts';
export { decodeOnnxBody, onnxArtifact, type OnnxArtifactBody, type OnnxArtifactOptions } from './onnx-artifact.ts';
export { HistoryCache, type HistoryCacheOptions, type HistoryCacheStats, type HistorySource, type WrittenBatch } from './history-cache.ts';
