/**
 * The built-in sample store as a data source: one dataset's samples of the asked tenant, in the
 * window (since ≤ ts < until), as rows or (what training reads) as columns. All SQL stays in
 * src/store; this only adapts the calls.
 */
import type { Executor } from '../../store/db.ts';
import { loadSampleColumns, loadSamples } from '../../store/sample-window.ts';
import type { DataSource, DataWindow, RawSample, SampleColumns } from '../types.ts';
import { checkWindow } from './window.ts';

export class StoreSource implements DataSource {
  readonly kind = 'store' as const;
  readonly #x: Executor;
  readonly datasetId: string;

  constructor(x: Executor, datasetId: string) {
    this.#x = x;
    this.datasetId = datasetId;
  }

  async load(tenantId: string, window: DataWindow, signal?: AbortSignal): Promise<RawSample[]> {
    checkWindow(window);
    signal?.throwIfAborted();
    const samples = await loadSamples(this.#x, tenantId, this.datasetId, window);
    signal?.throwIfAborted();
    return samples;
  }

  async loadColumns(tenantId: string, window: DataWindow, options: { signal?: AbortSignal; threads?: number } = {}): Promise<SampleColumns> {
    checkWindow(window);
    options.signal?.throwIfAborted();
    const columns = await loadSampleColumns(this.#x, tenantId, this.datasetId, window, { threads: options.threads ?? 1 });
    options.signal?.throwIfAborted();
    return columns;
  }
}

export const createStoreSource = (x: Executor, datasetId: string): StoreSource => new StoreSource(x, datasetId);
