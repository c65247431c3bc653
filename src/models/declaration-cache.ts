/**
 * The declarations predict reads on every request (its dataset and source, for history; its
 * `predict.require`), held per (tenant, model) instead of read from the store each time. An entry
 * is read again when it is recheckMs old (or the clock went back), and dropped at once when this
 * process declares the model anew; another node's new declaration is seen within recheckMs, as its
 * promotions are by the model cache. At most MAX_ENTRIES are held, least recently read dropped first.
 */
import type { Clock } from '../clock.ts';
import type { StoredModel } from '../store/model-definitions.ts';

const MAX_ENTRIES = 10_000;

export class DeclarationCache {
  readonly #entries = new Map<string, { model: StoredModel; at: number }>();

  constructor(
    private readonly read: (tenantId: string, name: string) => Promise<StoredModel>,
    private readonly clock: Clock,
    private readonly recheckMs: number,
  ) {}

  /** The declaration (read's error when there is none; a missing one is not remembered). */
  async get(tenantId: string, name: string): Promise<StoredModel> {
    const held = this.getNow(tenantId, name);
    if (held) return held;
    const key = `${tenantId}\u0000${name}`;
    const now = this.clock.now();
    const model = await this.read(tenantId, name);
    this.#entries.delete(key);
    this.#entries.set(key, { model, at: now });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value as string);
    return model;
  }

  /** The declaration when one is held and fresh (no promise: predict's usual case), else null. */
  getNow(tenantId: string, name: string): StoredModel | null {
    const key = `${tenantId}\u0000${name}`;
    const now = this.clock.now();
    const held = this.#entries.get(key);
    if (!held || !(now - held.at < this.recheckMs && now >= held.at)) return null;
    this.#entries.delete(key);
    this.#entries.set(key, held);
    return held.model;
  }

  forget(tenantId: string, name: string): void {
    this.#entries.delete(`${tenantId}\u0000${name}`);
  }
}
