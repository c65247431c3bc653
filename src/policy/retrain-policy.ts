/**
 * When a model's train job really trains: its `retrain` policy (config file or API, validated here,
 * defaults in one place). Each rule says "retrain" on its own evidence; `combine: any` (the default,
 * seed 002's "or") trains when one does, `all` when every configured rule does. A model without
 * rules trains on every run, and a model without a champion always trains.
 *
 *   retrain:
 *     minNewSamples: 50                 # labelled samples since the champion's training window
 *     minLiveMetric: { min: 0.7 }       # the champion's metric on late labels is below this …
 *                                       #   (metric: the primary one; minRows: 30 labelled rows first)
 *     maxDaysSinceTraining: 30
 *     drift: { psi: 0.2 }               # or true: PSI / KS with effect size / dataset share, drift.ts
 *     combine: any                      # or all
 *     onIngest: true                    # queue a run (trigger `policy`) when an ingest makes
 *                                       #   minNewSamples or drift hold (default: when either is set)
 */
import { NsError } from '../errors.ts';
import type { GateMetric } from '../training/gate.ts';
import { DRIFT_DEFAULTS, type DriftThresholds } from './drift.ts';

export interface RetrainPolicy {
  minNewSamples: number | null;
  minLiveMetric: { metric: GateMetric; min: number; minRows: number } | null;
  maxDaysSinceTraining: number | null;
  drift: DriftThresholds | null;
  combine: 'any' | 'all';
  onIngest: boolean;
}

export const POLICY_DEFAULTS = Object.freeze({ liveMinRows: 30, combine: 'any' as const, drift: DRIFT_DEFAULTS });

export const NO_POLICY: RetrainPolicy = Object.freeze({ minNewSamples: null, minLiveMetric: null, maxDaysSinceTraining: null, drift: null, combine: 'any', onIngest: false });

export const hasRules = (p: RetrainPolicy): boolean => p.minNewSamples !== null || p.minLiveMetric !== null || p.maxDaysSinceTraining !== null || p.drift !== null;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const bad = (field: string, message: string, example: string) => new NsError('NS_VALIDATION', `${field}: ${message}; example ${example}`, { field });

function only(v: Record<string, unknown>, field: string, keys: readonly string[]): void {
  const extra = Object.keys(v).find((k) => !keys.includes(k));
  if (extra !== undefined) throw new NsError('NS_VALIDATION', `${field}.${extra}: unknown property; allowed: ${keys.join(', ')}`, { field: `${field}.${extra}` });
}

function num(v: unknown, field: string, min: number, max: number, example: string, integer = false): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max || (integer && !Number.isInteger(v))) {
    throw bad(field, `must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(v)}`, example);
  }
  return v;
}

/** `metrics`: those the model's task has; `primary`: the default metric of minLiveMetric. */
export function parseRetrainPolicy(v: unknown, field: string, metrics: readonly GateMetric[], primary: GateMetric): RetrainPolicy {
  if (v === undefined || v === null) return NO_POLICY;
  if (!isRecord(v)) throw bad(field, 'must be an object of rules', '{ "minNewSamples": 50, "maxDaysSinceTraining": 7 }');
  only(v, field, ['minNewSamples', 'minLiveMetric', 'maxDaysSinceTraining', 'drift', 'combine', 'onIngest']);
  const policy: RetrainPolicy = {
    minNewSamples: v.minNewSamples === undefined ? null : num(v.minNewSamples, `${field}.minNewSamples`, 1, 1e9, '50', true),
    minLiveMetric: v.minLiveMetric === undefined ? null : parseLiveMetric(v.minLiveMetric, `${field}.minLiveMetric`, metrics, primary),
    maxDaysSinceTraining: v.maxDaysSinceTraining === undefined ? null : num(v.maxDaysSinceTraining, `${field}.maxDaysSinceTraining`, 0.001, 3660, '30'),
    drift: v.drift === undefined || v.drift === false ? null : parseDrift(v.drift, `${field}.drift`),
    combine: v.combine === undefined ? POLICY_DEFAULTS.combine : parseCombine(v.combine, `${field}.combine`),
    onIngest: false,
  };
  if (v.onIngest !== undefined && typeof v.onIngest !== 'boolean') throw bad(`${field}.onIngest`, `must be true or false, got ${JSON.stringify(v.onIngest)}`, 'true');
  policy.onIngest = (v.onIngest as boolean | undefined) ?? (policy.minNewSamples !== null || policy.drift !== null);
  return policy;
}

function parseCombine(v: unknown, field: string): 'any' | 'all' {
  if (v !== 'any' && v !== 'all') throw bad(field, `must be "any" or "all", got ${JSON.stringify(v)}`, '"any"');
  return v;
}

function parseLiveMetric(v: unknown, field: string, metrics: readonly GateMetric[], primary: GateMetric): NonNullable<RetrainPolicy['minLiveMetric']> {
  if (typeof v === 'number') return { metric: primary, min: num(v, field, -1e12, 1e12, '0.7'), minRows: POLICY_DEFAULTS.liveMinRows };
  if (!isRecord(v)) throw bad(field, 'must be a number (a floor of the primary metric) or an object', '{ "metric": "f1", "min": 0.65, "minRows": 30 }');
  only(v, field, ['metric', 'min', 'minRows']);
  const metric = v.metric === undefined ? primary : v.metric;
  if (typeof metric !== 'string' || !(metrics as readonly string[]).includes(metric)) throw bad(`${field}.metric`, `must be one of ${metrics.join(', ')}, got ${JSON.stringify(metric)}`, `"${primary}"`);
  return {
    metric: metric as GateMetric,
    min: num(v.min, `${field}.min`, -1e12, 1e12, '0.7'),
    minRows: v.minRows === undefined ? POLICY_DEFAULTS.liveMinRows : num(v.minRows, `${field}.minRows`, 1, 1e9, '30', true),
  };
}

function parseDrift(v: unknown, field: string): DriftThresholds {
  if (v === true) return { ...DRIFT_DEFAULTS };
  if (!isRecord(v)) throw bad(field, 'must be true or an object of thresholds', '{ "psi": 0.2, "ksMinEffect": 0.1, "share": 0.5 }');
  only(v, field, ['psi', 'ksAlpha', 'ksMinEffect', 'share', 'minRows']);
  const pick = (key: keyof DriftThresholds, min: number, max: number, example: string, integer = false) =>
    v[key] === undefined ? DRIFT_DEFAULTS[key] : num(v[key], `${field}.${key}`, min, max, example, integer);
  return {
    psi: pick('psi', 0.0001, 100, '0.2'),
    ksAlpha: pick('ksAlpha', 1e-12, 0.5, '0.05'),
    ksMinEffect: pick('ksMinEffect', 0, 1, '0.1'),
    share: pick('share', 0.0001, 1, '0.5'),
    minRows: pick('minRows', 1, 1e9, '100', true),
  };
}
