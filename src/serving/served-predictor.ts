/**
 * One loaded predictor as the cache holds it, with a count of its users. When the cache replaces
 * or evicts it, it is `retire`d: it is closed (its ONNX session released) only once no user holds
 * it, and then on the next turn of the event loop, so a caller that got it from `get()` in the
 * current turn and calls predict right away still finishes on it.
 *
 * Users are counted (a) for the duration of every asynchronous predictMatrix call on the predictor
 * the cache hands out, and (b) for the whole callback of `ModelCache.use()`. A caller that keeps a
 * predictor from `get()` across its own awaits should use `use()` instead.
 */
import type { Matrix } from '../trainers/types.ts';
import { NsError } from '../errors.ts';
import type { Predictor } from './predictor.ts';

export class ServedPredictor {
  /** What callers get: the predictor itself when it is synchronous, else a wrapper that counts calls. */
  readonly view: Predictor;
  #users = 0;
  #retired = false;
  #timer: NodeJS.Immediate | null = null;
  #closing: Promise<void> | null = null;
  #resolveReleased!: () => void;
  /** Resolves once the predictor is closed. */
  readonly released = new Promise<void>((resolve) => (this.#resolveReleased = resolve));

  constructor(
    readonly inner: Predictor,
    private readonly onClosed: (error: unknown) => void,
  ) {
    this.view = inner.sync ? inner : this.#counting(inner);
  }

  get users(): number {
    return this.#users;
  }

  get retired(): boolean {
    return this.#retired;
  }

  get closed(): boolean {
    return this.#closing !== null;
  }

  /** Throws when the predictor was already closed. */
  acquire(): void {
    if (this.#closing) {
      throw new NsError('NS_CONFLICT', 'this model version was unloaded (replaced or evicted from the model cache); get the model again', { retryable: true });
    }
    this.#users += 1;
  }

  release(): void {
    this.#users -= 1;
    if (this.#users === 0 && this.#retired) this.#schedule();
  }

  retire(): void {
    if (this.#retired) return;
    this.#retired = true;
    if (this.#users === 0) this.#schedule();
  }

  /** Closes now, whoever still uses it (shutdown after the drain timeout). */
  close(): Promise<void> {
    if (this.#timer) clearImmediate(this.#timer);
    this.#timer = null;
    this.#retired = true;
    this.#closing ??= this.inner
      .close()
      .then(
        () => this.onClosed(null),
        (error: unknown) => this.onClosed(error),
      )
      .finally(() => this.#resolveReleased());
    return this.#closing;
  }

  #schedule(): void {
    if (this.#timer || this.#closing) return;
    this.#timer = setImmediate(() => {
      this.#timer = null;
      if (this.#users === 0) void this.close();
    });
  }

  #counting(inner: Predictor): Predictor {
    const predictMatrix = async (X: Matrix): Promise<Float64Array> => {
      this.acquire();
      try {
        return await inner.predictMatrix(X);
      } finally {
        this.release();
      }
    };
    return Object.freeze({
      kind: inner.kind,
      task: inner.task,
      featureSpec: inner.featureSpec,
      features: inner.features,
      threshold: inner.threshold,
      sizeBytes: inner.sizeBytes,
      sync: false,
      predictMatrix,
      // The cache owns the predictor: a user closing its view must not close it for everyone.
      close: () => Promise.resolve(),
    });
  }
}
