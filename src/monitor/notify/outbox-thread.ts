/**
 * The outbox's delivery in a worker thread of its own (outbox-thread-main.ts), so that sending
 * webhooks and MQTT messages and writing their outcomes never takes the API's event loop. The
 * thread opens its own store connection (SQLite: its own connection on the same file; PostgreSQL:
 * a small pool of its own) and runs the same OutboxWorker the tests drive directly.
 *
 * The thread starts once there may be something to deliver: at once when a channel exists or the
 * outbox holds pending rows, else on the first row written here (`wake()`) or when a cheap poll
 * finds either (a channel created on another node, rows a CLI command wrote). A process that
 * notifies no one does not pay for loading the delivery code a second time (under tsx, about 2
 * CPU-seconds), and one that does pays it at its start, not when its first notification is due.
 *
 * This side wakes it when rows are written (a message; the thread also polls), and turns what it
 * reports into this thread's terms: its log lines into this logger, its channel changes into the
 * engine's events (NOTIFICATION_FAILING), its delivery counts into /metrics. A thread that dies is
 * started again after a pause; its leased rows are taken again when their lease runs out. A thread
 * that cannot start at all (its module cannot be found where this code was bundled, its store does
 * not open) is reported once to `onUnavailable`, whose caller delivers on its own loop instead.
 */
import type { Worker } from 'node:worker_threads';
import type { Level, Logger } from 'pino';
import { entryUrl } from '../../entries.ts';
import type { EngineEventMap, EngineEvents } from '../../events.ts';
import { ApiLoadGauge, sharedLoadBuffer } from './delivery-pace.ts';
import { spawnModuleWorker, stopWorker } from '../../trainers/worker/spawn-worker.ts';
import type { DeliveryCounts, OutboxWorkerOptions } from './outbox-worker.ts';

/** What the thread needs to deliver as this process would: all of it plain data. */
export interface OutboxThreadData {
  store: { dataDir: string; databaseUrl: string | null };
  /** Channel settings are sealed with the master key (the data dir's key file or NIGHTSHIFT_MASTER_KEY). */
  sealed: boolean;
  nodeId: string;
  logLevel: string;
  /** The API thread's event-loop utilization (delivery-pace.ts): delivery slows to a floor rate while it is high. */
  apiLoad?: SharedArrayBuffer;
  worker: Pick<OutboxWorkerOptions, 'failingAfter' | 'retry'> & Partial<Pick<OutboxWorkerOptions, 'leaseMs' | 'batchSize' | 'perChannel' | 'pollMs'>>;
}

type ForwardedEvent = 'notification:failing' | 'notification:recovered';

export type ToThread = { type: 'wake' } | { type: 'stop' };
export type FromThread =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  | { type: 'log'; line: string }
  | { type: 'counts'; counts: Array<[string, number]> }
  | { [E in ForwardedEvent]: { type: 'event'; event: E; payload: EngineEventMap[E] } }[ForwardedEvent];

export interface OutboxThreadOptions {
  data: OutboxThreadData;
  events: EngineEvents;
  logger: Logger;
  onCounts: (round: DeliveryCounts) => void;
  /** The first start failed before the thread delivered anything; it is not started again. */
  onUnavailable: (reason: string) => void;
  /** Whether there may be something to deliver (a channel, a pending row); asked until the thread is started. */
  hasWork: () => Promise<boolean>;
  /** How often hasWork is asked while the thread waits to be started. */
  pollMs: number;
  /** How long a stop waits for the thread to record what it sent before it is terminated. */
  stopTimeoutMs?: number;
}

const RESTART_MIN_MS = 1_000;
const RESTART_MAX_MS = 30_000;

export class OutboxThread {
  readonly #o: OutboxThreadOptions;
  #worker: Worker | null = null;
  #stopping = false;
  #restartMs = RESTART_MIN_MS;
  #restartTimer: NodeJS.Timeout | null = null;
  #delivered = false;
  #watching = false;
  #watchTimer: NodeJS.Timeout | null = null;
  #ready: Promise<void> | null = null;
  /** This thread's event-loop utilization, read by the delivery thread to pace itself. */
  readonly #load = sharedLoadBuffer();
  readonly #gauge = new ApiLoadGauge(this.#load);

  constructor(options: OutboxThreadOptions) {
    this.#o = options;
  }

  /** Starts the thread once there is work (at once if there is now). */
  start(): void {
    if (this.#watching || this.#ready || this.#stopping) return;
    this.#watching = true;
    void this.#watch();
  }

  async #watch(): Promise<void> {
    this.#watchTimer = null;
    if (!this.#watching) return;
    let work = false;
    try {
      work = await this.#o.hasWork();
    } catch (error) {
      this.#o.logger.debug({ err: error }, 'could not look for notifications to deliver; looking again');
    }
    if (!this.#watching) return;
    if (work) this.#spawn();
    else this.#watchTimer = setTimeout(() => void this.#watch(), this.#o.pollMs);
  }

  #spawn(): void {
    this.#watching = false;
    if (this.#watchTimer) clearTimeout(this.#watchTimer);
    this.#watchTimer = null;
    if (this.#worker || this.#stopping) return;
    const worker = spawnModuleWorker(entryUrl('outbox-thread'), { workerData: { ...this.#o.data, apiLoad: this.#load } satisfies OutboxThreadData });
    this.#gauge.start();
    this.#worker = worker;
    let failure = 'the thread exited before it started';
    this.#ready = new Promise<void>((resolve) => {
      worker.on('message', (m: FromThread) => {
        if (m.type === 'ready') {
          this.#delivered = true;
          this.#restartMs = RESTART_MIN_MS;
          resolve();
        } else if (m.type === 'failed') failure = m.error;
        else this.#receive(m);
      });
      worker.on('error', (error) => {
        failure = error.message;
        this.#o.logger.error({ err: error }, 'notification delivery thread failed');
      });
      worker.once('exit', (code) => {
        if (this.#worker === worker) this.#worker = null;
        if (this.#stopping) return resolve();
        if (!this.#delivered) {
          this.#stopping = true;
          this.#gauge.stop();
          this.#o.onUnavailable(failure);
          return resolve();
        }
        this.#restart(code);
      });
    });
  }

  /** A thread that delivered before and died: started again after a pause that doubles up to 30 s. */
  #restart(code: number): void {
    this.#o.logger.error({ code, restartInMs: this.#restartMs }, 'notification delivery thread exited; starting it again');
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = null;
      this.#spawn();
    }, this.#restartMs);
    this.#restartMs = Math.min(RESTART_MAX_MS, this.#restartMs * 2);
  }

  /**
   * Resolves once the thread has opened its store and delivers, or once it could not start
   * (onUnavailable). A thread still waiting for work is started now.
   */
  ready(): Promise<void> {
    if (this.#watching) this.#spawn();
    return this.#ready ?? Promise.resolve();
  }

  /** Rows were written: the thread looks at once instead of at its next poll (and starts, if it waited for work). */
  wake(): void {
    if (this.#watching) this.#spawn();
    else this.#worker?.postMessage({ type: 'wake' } satisfies ToThread);
  }

  /** Stops delivering: the thread records what it sent and gives back what it had not; terminated past the timeout. */
  async close(): Promise<void> {
    this.#stopping = true;
    this.#watching = false;
    this.#gauge.stop();
    if (this.#watchTimer) clearTimeout(this.#watchTimer);
    if (this.#restartTimer) clearTimeout(this.#restartTimer);
    const worker = this.#worker;
    if (!worker) return;
    worker.postMessage({ type: 'stop' } satisfies ToThread);
    await stopWorker(worker, this.#o.stopTimeoutMs ?? 15_000);
  }

  #receive(m: Exclude<FromThread, { type: 'ready' | 'failed' }>): void {
    if (m.type === 'counts') this.#o.onCounts(new Map(m.counts));
    else if (m.type === 'log') this.#log(m.line);
    else if (m.event === 'notification:failing') this.#o.events.emit(m.event, m.payload);
    else this.#o.events.emit(m.event, m.payload);
  }

  /** A line the thread's logger wrote, logged again here at its level (the thread has no output of its own). */
  #log(line: string): void {
    try {
      const { level, msg, ...fields } = JSON.parse(line) as { level: number; msg?: string } & Record<string, unknown>;
      const label = (this.#o.logger.levels.labels[level] ?? 'info') as Level;
      this.#o.logger[label](fields, msg ?? '');
    } catch {
      this.#o.logger.info(line.trim());
    }
  }
}
