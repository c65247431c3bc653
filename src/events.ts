import { EventEmitter } from 'node:events';
import type { RunRow } from './store/runs.ts';

/** Typed events for observability and for tests to wait on (never sleep in a test). */
export interface EngineEventMap {
  'scheduler:tick': { decided: number; fired: number; at: number };
  /** decidedAt: when the slot's fate was stored (durable); the event itself may come a little later (report-queue.ts). */
  'slot:decided': { scheduleId: string; tenantId: string; jobId: string; slotAt: number; fate: string; reason: string | null; runId: string | null; lateMs: number; decidedAt: number };
  'run:queued': { run: RunRow };
  'run:claimed': { run: RunRow };
  'run:spawned': { runId: string; pid: number };
  'run:line': { runId: string; stream: 'stdout' | 'stderr'; line: string };
  'run:retry': { run: RunRow; delayMs: number };
  'run:finished': { run: RunRow };
  'run:requeued': { runId: string; reason: string };
  'run:recovered': { run: RunRow; requeued: boolean };
  'run:lease-lost': { runId: string };
  /** The tenant and all its data were deleted (TenantService.delete). */
  'tenant:deleted': { tenantId: string };
  'state:changed': { component: string; from: string; to: string };
  /** A batch of samples was written (API or CLI ingest). */
  'samples:ingested': { tenantId: string; datasetId: string; rows: number };
  /** A model's data rules were assessed after ingests; runId is the policy run queued, if any. */
  'policy:assessed': { tenantId: string; model: string; train: boolean; runId: string | null; summary: string };
  /**
   * The champion changed by hand in this process (promote, rollback). A training's promotion runs in
   * its child process and is seen here as run:finished with outcome 'promoted'.
   */
  'model:alias-changed': { tenantId: string; model: string; action: 'promote' | 'rollback'; from: number | null; to: number; actor: string | null; reason: string };
  /** An alert's lifecycle (src/monitor): opened, acknowledged, resolved (by itself or by hand). */
  'alert:opened': { alert: AlertEventPayload };
  'alert:acknowledged': { alert: AlertEventPayload };
  'alert:resolved': { alert: AlertEventPayload };
  /** A tenant's notification channel keeps failing (the outbox gave up retrying, or failures in a row), and when it delivers again. */
  'notification:failing': { tenantId: string; channel: string; failures: number; lastError: string };
  'notification:recovered': { tenantId: string; channel: string };
  error: { where: string; error: unknown };
}

export interface AlertEventPayload {
  id: string;
  tenantId: string;
  /** Null for alerts about a tenant's channel (NOTIFICATION_FAILING) rather than a model. */
  model: string | null;
  type: string;
  severity: 'warning' | 'critical';
  status: 'open' | 'acknowledged' | 'resolved';
  message: string;
  value: number | null;
  threshold: number | null;
  openedAt: number;
  resolvedAt: number | null;
}

export type EngineEvent = keyof EngineEventMap;

export class EngineEvents {
  readonly #emitter = new EventEmitter();
  constructor() {
    // Tests and dashboards subscribe freely; many listeners is normal here, not a leak.
    this.#emitter.setMaxListeners(0);
  }
  emit<E extends EngineEvent>(event: E, payload: EngineEventMap[E]): void {
    this.#emitter.emit(event, payload);
  }
  on<E extends EngineEvent>(event: E, listener: (payload: EngineEventMap[E]) => void): () => void {
    this.#emitter.on(event, listener);
    return () => this.#emitter.off(event, listener);
  }
  /** Resolves with the first payload matching `predicate`; rejects after timeoutMs. */
  waitFor<E extends EngineEvent>(event: E, predicate: (p: EngineEventMap[E]) => boolean = () => true, timeoutMs = 30_000): Promise<EngineEventMap[E]> {
    // One listener for the whole wait: events emitted in a synchronous burst (the lines of one
    // output chunk) are all seen, none falls between two one-shot subscriptions.
    return new Promise((resolve, reject) => {
      // Not unref'd: a wait that nothing else keeps alive must end in this named timeout, not in the
      // process (or a test file) ending with the wait silently pending.
      const timer = setTimeout(() => {
        this.#emitter.off(event, listener);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${event}`));
      }, timeoutMs);
      const listener = (payload: EngineEventMap[E]) => {
        let matched: boolean;
        try {
          matched = predicate(payload);
        } catch (error) {
          matched = false;
          this.#emitter.off(event, listener);
          clearTimeout(timer);
          reject(error);
        }
        if (!matched) return;
        this.#emitter.off(event, listener);
        clearTimeout(timer);
        resolve(payload);
      };
      this.#emitter.on(event, listener);
    });
  }
}
