/**
 * The thresholds alerts are raised at: global defaults (settings.monitor: env and config file), and
 * per model the `alerts:` of its declaration, which overrides them field by field:
 *
 *   alerts:
 *     accuracyThreshold: 0.8      # LOW_ACCURACY below it (binary: live accuracy; regression: the
 *                                 #   primary live metric, only when declared, its scale is the model's)
 *     failureRateThreshold: 0.5   # TRAINING_FAILURE above it, over settings.monitor.failureWindow
 *     repeatedFailures: 5         # REPEATED_FAILURES at this many failed trainings in a row
 *     stuckAfterMinutes: 240      # STUCK_JOB for a training running longer
 *     staleDays: 7                # STALE_MODEL when the champion is older
 *     trendTolerance: 0.05        # MODEL_DEGRADATION when the live trend falls by more
 */
import { NsError } from '../errors.ts';
import { TREND_DEFAULTS } from './trend.ts';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** Global monitoring settings (settings.monitor). */
export interface MonitorSettings {
  /** TRAINING_MONITOR_INTERVAL (minutes in the env variable): how often every model is evaluated. */
  intervalMs: number;
  /** ACCURACY_THRESHOLD. */
  accuracyThreshold: number;
  /** FAILURE_RATE_THRESHOLD: failed share of the trainings ended within failureWindowMs. */
  failureRateThreshold: number;
  failureWindowMs: number;
  /** TRAINING_FAILURE needs at least this many trainings in the window (one failure of one is not a rate). */
  failureMinRuns: number;
  repeatedFailures: number;
  /** STUCK_JOB: a training running longer than this… */
  stuckAfterMs: number;
  /** …or that lost its worker (lease expired, requeued) this many times. */
  leaseLostLimit: number;
  /** STALE_MODEL: a champion older than this many days (a retrain policy's maxDaysSinceTraining, when set, is used instead). */
  staleDays: number;
  /** A resolved alert does not open again for the same (tenant, model, type) within this. */
  cooldownMs: number;
  /** The live metric needs this many labelled predictions before a point is recorded. */
  liveMinRows: number;
  /** The live metric is scored over the labelled predictions of this last span (and since the champion's window). */
  liveWindowMs: number;
  trendPoints: number;
  trendMinPoints: number;
  trendTolerance: number;
}

export const MONITOR_DEFAULTS: Readonly<MonitorSettings> = Object.freeze({
  intervalMs: 15 * MINUTE,
  accuracyThreshold: 0.75,
  failureRateThreshold: 0.3,
  failureWindowMs: DAY,
  failureMinRuns: 3,
  repeatedFailures: 3,
  stuckAfterMs: 2 * HOUR,
  leaseLostLimit: 2,
  staleDays: 30,
  cooldownMs: 30 * MINUTE,
  liveMinRows: 30,
  liveWindowMs: 7 * DAY,
  trendPoints: TREND_DEFAULTS.points,
  trendMinPoints: TREND_DEFAULTS.minPoints,
  trendTolerance: TREND_DEFAULTS.tolerance,
});

/** A model's `alerts:` declaration: each field absent keeps the global value. */
export interface ModelAlertThresholds {
  accuracyThreshold?: number;
  failureRateThreshold?: number;
  repeatedFailures?: number;
  stuckAfterMinutes?: number;
  staleDays?: number;
  trendTolerance?: number;
}

/** The thresholds in force for one model. */
export interface Thresholds {
  /** Null: LOW_ACCURACY is not evaluated (a regression model that declared none). */
  accuracy: number | null;
  failureRate: number;
  repeatedFailures: number;
  stuckAfterMs: number;
  staleDays: number;
  trendTolerance: number;
}

export function thresholdsFor(global: MonitorSettings, task: string, own: ModelAlertThresholds | undefined, maxDaysSinceTraining: number | null): Thresholds {
  return {
    accuracy: own?.accuracyThreshold ?? (task === 'binary' ? global.accuracyThreshold : null),
    failureRate: own?.failureRateThreshold ?? global.failureRateThreshold,
    repeatedFailures: own?.repeatedFailures ?? global.repeatedFailures,
    stuckAfterMs: own?.stuckAfterMinutes !== undefined ? own.stuckAfterMinutes * MINUTE : global.stuckAfterMs,
    staleDays: own?.staleDays ?? maxDaysSinceTraining ?? global.staleDays,
    trendTolerance: own?.trendTolerance ?? global.trendTolerance,
  };
}

const FIELDS: Record<keyof ModelAlertThresholds, { min: number; max: number; integer: boolean; example: string }> = {
  accuracyThreshold: { min: -1e12, max: 1e12, integer: false, example: '0.8' },
  failureRateThreshold: { min: 0, max: 1, integer: false, example: '0.3' },
  repeatedFailures: { min: 1, max: 1000, integer: true, example: '3' },
  stuckAfterMinutes: { min: 1, max: 525_600, integer: true, example: '120' },
  staleDays: { min: 0.001, max: 3660, integer: false, example: '30' },
  trendTolerance: { min: 0, max: 1e12, integer: false, example: '0.02' },
};

/** Validates a declaration's `alerts:` (field: its name in errors, `models[0].alerts`). */
export function parseModelAlerts(v: unknown, field: string): ModelAlertThresholds | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v)) {
    throw new NsError('NS_VALIDATION', `${field}: must be an object of thresholds; example { "accuracyThreshold": 0.8, "staleDays": 7 }`, { field });
  }
  const out: ModelAlertThresholds = {};
  for (const [key, value] of Object.entries(v as Record<string, unknown>)) {
    const rule = FIELDS[key as keyof ModelAlertThresholds];
    if (!rule) throw new NsError('NS_VALIDATION', `${field}.${key}: unknown property; allowed: ${Object.keys(FIELDS).join(', ')}`, { field: `${field}.${key}` });
    if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || value > rule.max || (rule.integer && !Number.isInteger(value))) {
      throw new NsError('NS_VALIDATION', `${field}.${key}: must be ${rule.integer ? 'a whole number' : 'a number'} from ${rule.min} to ${rule.max}, got ${JSON.stringify(value)}; example ${rule.example}`, { field: `${field}.${key}` });
    }
    out[key as keyof ModelAlertThresholds] = value;
  }
  return out;
}
