/**
 * The output of the runs executing in this process, kept as a bounded tail per run while it runs,
 * so a caller (the dashboard's run page) can follow it: a run's stored log tail is written only
 * when it ends. Fed by the workers' `run:line` events; a run's tail goes when it finishes or is
 * requeued. A run executing on another node has none here.
 */
import type { EngineEvents } from '../events.ts';
import { LogTail } from './exec/index.ts';

/** The same bound as the stored tail's default (NIGHTSHIFT_LOG_TAIL_BYTES). */
const LIVE_TAIL_BYTES = 16_384;

export class LiveTails {
  readonly #tails = new Map<string, LogTail>();

  constructor(events: EngineEvents, maxBytes = LIVE_TAIL_BYTES) {
    events.on('run:line', ({ runId, stream, line }) => {
      let tail = this.#tails.get(runId);
      if (!tail) this.#tails.set(runId, (tail = new LogTail(maxBytes)));
      tail.line(stream, line);
    });
    events.on('run:finished', ({ run }) => this.#tails.delete(run.id));
    events.on('run:requeued', ({ runId }) => this.#tails.delete(runId));
  }

  /** The output so far of a run executing here; null when it does not run in this process. */
  get(runId: string): string | null {
    return this.#tails.get(runId)?.toString() ?? null;
  }
}
