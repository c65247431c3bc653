/**
 * Gathers the requests made during one turn of the event loop and writes them with one call, as the
 * best job queues complete their jobs in batches. Requests wait only until the turn's callbacks have
 * run (a microtask), so batching adds no waiting: a lone request is written at once. Each request
 * gets its own answer, or its own refusal when the write did not cover it (its lease was lost).
 */
interface Waiting<In, Out> {
  item: In;
  resolve: (out: Out) => void;
  reject: (error: unknown) => void;
}

export interface BatchWriter<In, Out> {
  /** Writes every item at once; the answers of the items it covered, by key. */
  write(items: In[]): Promise<ReadonlyMap<string, Out>>;
  key(item: In): string;
  /** The refusal of an item the write did not cover. */
  refused(item: In): Error;
}

export class MicrotaskBatch<In, Out> {
  readonly #writer: BatchWriter<In, Out>;
  #waiting: Waiting<In, Out>[] = [];

  constructor(writer: BatchWriter<In, Out>) {
    this.#writer = writer;
  }

  add(item: In): Promise<Out> {
    return new Promise<Out>((resolve, reject) => {
      if (this.#waiting.push({ item, resolve, reject }) === 1) queueMicrotask(() => void this.#flush());
    });
  }

  async #flush(): Promise<void> {
    const batch = this.#waiting;
    this.#waiting = [];
    let written: ReadonlyMap<string, Out>;
    try {
      written = await this.#writer.write(batch.map((w) => w.item));
    } catch (error) {
      for (const w of batch) w.reject(error);
      return;
    }
    for (const { item, resolve, reject } of batch) {
      const key = this.#writer.key(item);
      if (written.has(key)) resolve(written.get(key)!);
      else reject(this.#writer.refused(item));
    }
  }
}
