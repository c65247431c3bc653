/** Typed events of the model cache, for metrics, logs and tests to wait on (never sleep in a test). */
import { EventEmitter, once } from 'node:events';

export interface ModelCacheEventMap {
  /** A champion was loaded and now serves; previousVersion is the one it replaced (null on a first load). */
  'model:loaded': { tenantId: string; modelName: string; version: number; previousVersion: number | null; sizeBytes: number; ms: number };
  /** A refresh or revalidation found the champion unchanged (no load). */
  'model:unchanged': { tenantId: string; modelName: string; version: number };
  /**
   * Loading or checking the champion failed; servingVersion keeps serving (null: nothing to serve).
   * `version`: the champion version whose load failed (null when the failure came before one was read).
   */
  'model:load-failed': { tenantId: string; modelName: string; error: unknown; servingVersion: number | null; version: number | null };
  /** Removed to stay within maxBytes (least recently used first). */
  'model:evicted': { tenantId: string; modelName: string; version: number; sizeBytes: number };
  /** A replaced or evicted predictor was closed once its last user finished. */
  'model:released': { tenantId: string; modelName: string; version: number };
}

export type ModelCacheEvent = keyof ModelCacheEventMap;

export class ModelCacheEvents {
  readonly #emitter = new EventEmitter();
  constructor() {
    this.#emitter.setMaxListeners(0);
  }
  emit<E extends ModelCacheEvent>(event: E, payload: ModelCacheEventMap[E]): void {
    this.#emitter.emit(event, payload);
  }
  on<E extends ModelCacheEvent>(event: E, listener: (payload: ModelCacheEventMap[E]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }
  /** Resolves with the first payload matching `predicate`; rejects after timeoutMs. */
  async waitFor<E extends ModelCacheEvent>(event: E, predicate: (p: ModelCacheEventMap[E]) => boolean = () => true, timeoutMs = 30_000): Promise<ModelCacheEventMap[E]> {
    const signal = AbortSignal.timeout(timeoutMs);
    for (;;) {
      const [payload] = (await once(this.#emitter, event, { signal })) as [ModelCacheEventMap[E]];
      if (predicate(payload)) return payload;
    }
  }
}
