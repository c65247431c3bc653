/**
 * The alert conditions of one model, pure: from the facts a pass read (store/monitor-facts.ts) and
 * the thresholds in force, each type is `raise` (with its message, value and threshold), `clear`,
 * or `unknown` (too little evidence: an open alert stays as it is, none is opened).
 */
import type { Thresholds } from './alert-thresholds.ts';

export const ALERT_TYPES = [
  'LOW_ACCURACY',
  'TRAINING_FAILURE',
  'REPEATED_FAILURES',
  'STUCK_JOB',
  'MODEL_DEGRADATION',
  'DATA_DRIFT',
  'STALE_MODEL',
  'NOTIFICATION_FAILING',
  'ARTIFACT_INTEGRITY',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

export const SEVERITY: Record<AlertType, 'warning' | 'critical'> = {
  LOW_ACCURACY: 'warning',
  TRAINING_FAILURE: 'warning',
  REPEATED_FAILURES: 'critical',
  STUCK_JOB: 'critical',
  MODEL_DEGRADATION: 'warning',
  DATA_DRIFT: 'warning',
  STALE_MODEL: 'warning',
  NOTIFICATION_FAILING: 'warning',
  // Stored bytes that fail authentication: tampering, a mis-copied artifact, or a wrong master key.
  ARTIFACT_INTEGRITY: 'critical',
};

export type Condition =
  | { type: AlertType; subject: string; state: 'raise'; message: string; value: number | null; threshold: number | null }
  | { type: AlertType; subject: string; state: 'clear' | 'unknown' };

export interface ModelEvidence {
  now: number;
  /** Metric direction of the live point's metric. */
  higherIsBetter: boolean;
  /** Whether the model's live point carries the accuracy LOW_ACCURACY reads (binary), or its primary metric (regression). */
  task: string;
  failureWindowMs: number;
  failureMinRuns: number;
  leaseLostLimit: number;
  ended: number;
  failed: number;
  streak: number;
  championVersion: number | null;
  championCreatedAt: number | null;
  live: { version: number; metric: string; value: number; accuracy: number | null; labelled: number; trend: string; slope: number | null } | null;
  drift: { verdict: string; value: number | null; threshold: number | null; championVersion: number | null } | null;
  /** The model's training runs executing, or requeued after losing their worker. */
  active: ReadonlyArray<{ runId: string; status: string; startedAt: number | null; recoveries: number }>;
}

const DAY = 86_400_000;
const r4 = (v: number) => Number(v.toPrecision(4));
const raise = (type: AlertType, message: string, value: number | null, threshold: number | null): Condition => ({ type, subject: '', state: 'raise', message, value, threshold });
const clear = (type: AlertType): Condition => ({ type, subject: '', state: 'clear' });
const unknown = (type: AlertType): Condition => ({ type, subject: '', state: 'unknown' });

export function modelConditions(e: ModelEvidence, t: Thresholds): Condition[] {
  return [lowAccuracy(e, t), trainingFailure(e, t), repeatedFailures(e, t), stuckJob(e, t), degradation(e), dataDrift(e), stale(e, t)];
}

/** The live point counts only while it is about the current champion. */
const championLive = (e: ModelEvidence) => (e.live && e.live.version === e.championVersion ? e.live : null);

function lowAccuracy(e: ModelEvidence, t: Thresholds): Condition {
  if (t.accuracy === null) return clear('LOW_ACCURACY');
  const live = championLive(e);
  if (!live) return unknown('LOW_ACCURACY');
  const binary = e.task === 'binary';
  const value = binary ? live.accuracy : live.value;
  if (value === null) return unknown('LOW_ACCURACY');
  const metric = binary ? 'accuracy' : live.metric;
  const worse = binary || e.higherIsBetter ? value < t.accuracy : value > t.accuracy;
  return worse
    ? raise('LOW_ACCURACY', `live ${metric} of champion v${live.version} is ${r4(value)} on ${live.labelled} labelled prediction(s), ${binary || e.higherIsBetter ? 'below' : 'above'} ${t.accuracy}`, value, t.accuracy)
    : clear('LOW_ACCURACY');
}

function trainingFailure(e: ModelEvidence, t: Thresholds): Condition {
  const hours = r4(e.failureWindowMs / 3_600_000);
  // Fewer trainings than that in the window is no rate; none at all, and the failures have aged out.
  if (e.ended < e.failureMinRuns) return clear('TRAINING_FAILURE');
  const rate = e.failed / e.ended;
  return rate > t.failureRate
    ? raise('TRAINING_FAILURE', `${e.failed} of ${e.ended} training(s) failed in the last ${hours} h (${r4(rate * 100)}%), above ${r4(t.failureRate * 100)}%`, rate, t.failureRate)
    : clear('TRAINING_FAILURE');
}

function repeatedFailures(e: ModelEvidence, t: Thresholds): Condition {
  return e.streak >= t.repeatedFailures
    ? raise('REPEATED_FAILURES', `${e.streak} training(s) in a row failed (alert at ${t.repeatedFailures})`, e.streak, t.repeatedFailures)
    : clear('REPEATED_FAILURES');
}

function stuckJob(e: ModelEvidence, t: Thresholds): Condition {
  for (const run of e.active) {
    if (run.status === 'running' && run.startedAt !== null && e.now - run.startedAt > t.stuckAfterMs) {
      const minutes = Math.round((e.now - run.startedAt) / 60_000);
      return raise('STUCK_JOB', `training ${run.runId} has been running for ${minutes} min, past ${Math.round(t.stuckAfterMs / 60_000)} min`, minutes, Math.round(t.stuckAfterMs / 60_000));
    }
    if (run.recoveries >= e.leaseLostLimit) {
      return raise('STUCK_JOB', `training ${run.runId} lost its worker ${run.recoveries} time(s) (lease expired, requeued; alert at ${e.leaseLostLimit})`, run.recoveries, e.leaseLostLimit);
    }
  }
  return clear('STUCK_JOB');
}

function degradation(e: ModelEvidence): Condition {
  const live = championLive(e);
  if (!live) return unknown('MODEL_DEGRADATION');
  return live.trend === 'declining'
    ? raise('MODEL_DEGRADATION', `live ${live.metric} of champion v${live.version} is declining (Theil–Sen slope ${r4(live.slope ?? 0)} per point; latest ${r4(live.value)})`, live.slope, null)
    : clear('MODEL_DEGRADATION');
}

function dataDrift(e: ModelEvidence): Condition {
  const d = e.drift;
  if (!d || d.verdict === 'not_evaluated') return unknown('DATA_DRIFT');
  // A newer champion was trained on the recent data: the drift was measured against its predecessor's profile.
  if (d.championVersion !== e.championVersion) return clear('DATA_DRIFT');
  return d.verdict === 'retrain'
    ? raise('DATA_DRIFT', `recent data drifted from champion v${d.championVersion}'s training window: ${d.value === null ? '?' : r4(d.value * 100)}% of columns (threshold ${d.threshold === null ? '?' : r4(d.threshold * 100)}%)`, d.value, d.threshold)
    : clear('DATA_DRIFT');
}

function stale(e: ModelEvidence, t: Thresholds): Condition {
  if (e.championCreatedAt === null) return unknown('STALE_MODEL');
  const days = (e.now - e.championCreatedAt) / DAY;
  return days > t.staleDays
    ? raise('STALE_MODEL', `champion v${e.championVersion} was trained ${r4(days)} day(s) ago, more than ${t.staleDays}`, r4(days), t.staleDays)
    : clear('STALE_MODEL');
}
