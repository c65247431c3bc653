/**
 * The validation gate ("blessing"): may a candidate model replace the champion?
 *
 * Two kinds of check, each stored with every number behind it:
 *  - absolute thresholds per metric: `value ≥ min` for metrics where higher is better (auc, f1, r2,
 *    …), `value ≤ max` for error metrics (logloss, mae, rmse);
 *  - a change threshold against the champion, both evaluated on the same fresh holdout (MLflow's
 *    MetricThreshold formulas, with tolerances rather than required gains). For a metric where
 *    higher is better the candidate must satisfy
 *        candidate ≥ champion − maxDecrease                       (absolute tolerance)
 *        candidate ≥ champion − |champion| × maxRelativeDecrease  (relative tolerance)
 *    and mirrored (≤ champion + …) for error metrics. A first model faces only the thresholds.
 * A metric that is undefined on the holdout (null, e.g. AUC with one class) fails its check: the
 * gate never blesses what it cannot measure.
 */

export const HIGHER_IS_BETTER = ['auc', 'accuracy', 'precision', 'recall', 'f1', 'r2'] as const;
export const LOWER_IS_BETTER = ['logloss', 'mae', 'rmse'] as const;
export const GATE_METRICS = [...HIGHER_IS_BETTER, ...LOWER_IS_BETTER] as const;
export type GateMetric = (typeof GATE_METRICS)[number];

export const CLASSIFICATION_METRICS: readonly GateMetric[] = ['auc', 'logloss', 'accuracy', 'precision', 'recall', 'f1'];
export const REGRESSION_METRICS: readonly GateMetric[] = ['r2', 'mae', 'rmse'];

export const higherIsBetter = (metric: GateMetric): boolean => (HIGHER_IS_BETTER as readonly string[]).includes(metric);

export interface GateConfig {
  /** Metric → bound: a minimum for higher-is-better metrics, a maximum for error metrics. */
  thresholds: Partial<Record<GateMetric, number>>;
  /** Compared with the champion; absent = no comparison. */
  change: { metric: GateMetric; maxDecrease: number | null; maxRelativeDecrease: number | null } | null;
}

export type Metrics = Readonly<Record<string, number | null | undefined>>;

export interface ThresholdCheck {
  check: 'threshold';
  metric: GateMetric;
  value: number | null;
  bound: number;
  direction: 'min' | 'max';
  passed: boolean;
}

export interface ChangeCheck {
  check: 'change';
  metric: GateMetric;
  candidate: number | null;
  champion: number | null;
  championVersion: number;
  maxDecrease: number | null;
  maxRelativeDecrease: number | null;
  /** The worst value the tolerances allow (the tighter of the two). */
  limit: number | null;
  passed: boolean;
}

export type GateCheck = ThresholdCheck | ChangeCheck;

export interface GateResult {
  passed: boolean;
  reasons: GateCheck[];
  /** One line a human reads in history: what failed, or that every check passed. */
  summary: string;
}

const finite = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);
const fmt = (v: number | null): string => (v === null ? 'undefined' : Number(v.toPrecision(4)).toString());

export function applyGate(config: GateConfig, candidate: Metrics, champion: { version: number; metrics: Metrics } | null): GateResult {
  const reasons: GateCheck[] = [];
  for (const [metric, bound] of Object.entries(config.thresholds) as [GateMetric, number][]) {
    const value = finite(candidate[metric]) ? candidate[metric] : null;
    const direction = higherIsBetter(metric) ? 'min' : 'max';
    const passed = value !== null && (direction === 'min' ? value >= bound : value <= bound);
    reasons.push({ check: 'threshold', metric, value, bound, direction, passed });
  }
  if (config.change && champion) reasons.push(changeCheck(config.change, candidate, champion));
  return { passed: reasons.every((r) => r.passed), reasons, summary: summarizeGate(reasons, champion?.version ?? null) };
}

/** One line a human reads: what failed, or that every check passed (and against which champion). */
export function summarizeGate(reasons: readonly GateCheck[], championVersion: number | null): string {
  const failed = reasons.filter((r) => !r.passed);
  return failed.length === 0 ? passSummary(reasons, championVersion) : failed.map(describeFailure).join('; ');
}

function changeCheck(change: NonNullable<GateConfig['change']>, candidate: Metrics, champion: { version: number; metrics: Metrics }): ChangeCheck {
  const { metric, maxDecrease, maxRelativeDecrease } = change;
  const cand = finite(candidate[metric]) ? candidate[metric] : null;
  const champ = finite(champion.metrics[metric]) ? champion.metrics[metric] : null;
  const base = { check: 'change' as const, metric, candidate: cand, champion: champ, championVersion: champion.version, maxDecrease, maxRelativeDecrease };
  // A champion that cannot be measured on this holdout gives nothing to compare against.
  if (champ === null) return { ...base, limit: null, passed: cand !== null };
  const up = higherIsBetter(metric);
  const limits: number[] = [];
  if (maxDecrease !== null) limits.push(up ? champ - maxDecrease : champ + maxDecrease);
  if (maxRelativeDecrease !== null) limits.push(up ? champ - Math.abs(champ) * maxRelativeDecrease : champ + Math.abs(champ) * maxRelativeDecrease);
  const limit = limits.length === 0 ? champ : up ? Math.max(...limits) : Math.min(...limits);
  const passed = cand !== null && (up ? cand >= limit : cand <= limit);
  return { ...base, limit, passed };
}

function describeFailure(r: GateCheck): string {
  if (r.check === 'threshold') return `${r.metric} ${fmt(r.value)} ${r.direction === 'min' ? '<' : '>'} ${r.direction === 'min' ? 'minimum' : 'maximum'} ${fmt(r.bound)}`;
  if (r.candidate === null) return `${r.metric} is undefined on the holdout, so it cannot be compared with champion v${r.championVersion}`;
  return `${r.metric} ${fmt(r.candidate)} is worse than champion v${r.championVersion}'s ${fmt(r.champion)} beyond the tolerance (limit ${fmt(r.limit)})`;
}

function passSummary(reasons: readonly GateCheck[], championVersion: number | null): string {
  if (reasons.length === 0) return 'no checks configured';
  // Only a comparison that happened is claimed (a champion whose metric is undefined gives none).
  const compared = reasons.some((r) => r.check === 'change' && r.limit !== null);
  const vs = championVersion !== null && compared ? ` and not worse than champion v${championVersion}` : '';
  return `passed ${reasons.filter((r) => r.check === 'threshold').length} threshold(s)${vs}`;
}
