/**
 * The retrain decision, pure: the policy's rules evaluated on the evidence gathered for a model
 * (assessor.ts), each with its value, threshold and verdict, combined with `any` or `all`. What it
 * returns is stored with the run, whether it trains or not.
 */
import type { GateMetric } from '../training/gate.ts';
import { higherIsBetter } from '../training/gate.ts';
import type { DatasetDrift } from './drift.ts';
import { hasRules, type RetrainPolicy } from './retrain-policy.ts';

const DAY_MS = 86_400_000;

/** `retrain`: the rule asks for a training; `ok`: it does not; `not_evaluated`: too little evidence, said in `detail`. */
export type RuleVerdict = 'retrain' | 'ok' | 'not_evaluated';

export interface RuleResult {
  rule: 'minNewSamples' | 'minLiveMetric' | 'maxDaysSinceTraining' | 'drift';
  value: number | null;
  threshold: number;
  verdict: RuleVerdict;
  detail: string;
}

/** Why the run trains or not. */
export type DecisionReason = 'no_champion' | 'forced' | 'no_policy' | 'policy' | 'no_training_needed';

export interface Assessment {
  train: boolean;
  reason: DecisionReason;
  combine: 'any' | 'all';
  rules: RuleResult[];
  /** The champion the evidence is about, and its training window's end (epoch ms). */
  champion: { version: number; trainedUntil: number | null; createdAt: number } | null;
  counts: { newSamples: number | null; liveRows: number | null; driftRows: number | null };
  /** The span the evidence covers: from the champion's training window's end to now. */
  window: { since: number | null; until: number };
  drift: DatasetDrift | null;
  summary: string;
}

export interface Evidence {
  now: number;
  champion: Assessment['champion'];
  /** Labelled samples since the champion's window (null: the source cannot count them). */
  newSamples: number | null;
  live: { metric: GateMetric; value: number | null; rows: number } | null;
  drift: DatasetDrift | null;
  /** A manual trigger (or `force`): train whatever the rules say. */
  force: boolean;
}

export function assess(policy: RetrainPolicy, e: Evidence): Assessment {
  const rules = evaluateRules(policy, e);
  const base = {
    combine: policy.combine,
    rules,
    champion: e.champion,
    counts: { newSamples: e.newSamples, liveRows: e.live?.rows ?? null, driftRows: e.drift?.rows ?? null },
    window: { since: e.champion?.trainedUntil ?? null, until: e.now },
    drift: e.drift,
  };
  const decide = (train: boolean, reason: DecisionReason, summary: string): Assessment => ({ ...base, train, reason, summary });
  if (e.champion === null) return decide(true, 'no_champion', 'no champion yet: the first version is trained');
  if (e.force) return decide(true, 'forced', 'triggered by hand: trained whatever the rules say');
  if (!hasRules(policy)) return decide(true, 'no_policy', 'no retrain policy: every run trains');
  const firing = rules.filter((r) => r.verdict === 'retrain');
  const train = policy.combine === 'any' ? firing.length > 0 : rules.every((r) => r.verdict === 'retrain');
  const said = rules.map((r) => `${r.rule} ${r.verdict}${r.value === null ? '' : ` (${round(r.value)} vs ${round(r.threshold)})`}`).join(', ');
  return train ? decide(true, 'policy', `retrain: ${said}`) : decide(false, 'no_training_needed', `no training needed: ${said}`);
}

function evaluateRules(p: RetrainPolicy, e: Evidence): RuleResult[] {
  const out: RuleResult[] = [];
  if (p.minNewSamples !== null) {
    const value = e.newSamples;
    out.push(
      value === null
        ? { rule: 'minNewSamples', value, threshold: p.minNewSamples, verdict: 'not_evaluated', detail: 'the model reads a source that cannot count new samples' }
        : { rule: 'minNewSamples', value, threshold: p.minNewSamples, verdict: value >= p.minNewSamples ? 'retrain' : 'ok', detail: `${value} labelled sample(s) since the champion's window` },
    );
  }
  if (p.minLiveMetric !== null) {
    const { metric, min, minRows } = p.minLiveMetric;
    const live = e.live;
    if (!live || live.rows < minRows || live.value === null) {
      out.push({ rule: 'minLiveMetric', value: live?.value ?? null, threshold: min, verdict: 'not_evaluated', detail: `${live?.rows ?? 0} labelled prediction(s) of the champion; ${minRows} needed` });
    } else {
      const worse = higherIsBetter(metric) ? live.value < min : live.value > min;
      out.push({ rule: 'minLiveMetric', value: live.value, threshold: min, verdict: worse ? 'retrain' : 'ok', detail: `live ${metric} on ${live.rows} labelled prediction(s)` });
    }
  }
  if (p.maxDaysSinceTraining !== null) {
    const days = e.champion ? (e.now - e.champion.createdAt) / DAY_MS : null;
    out.push(
      days === null
        ? { rule: 'maxDaysSinceTraining', value: null, threshold: p.maxDaysSinceTraining, verdict: 'not_evaluated', detail: 'no champion' }
        : { rule: 'maxDaysSinceTraining', value: days, threshold: p.maxDaysSinceTraining, verdict: days > p.maxDaysSinceTraining ? 'retrain' : 'ok', detail: `champion trained ${round(days)} day(s) ago` },
    );
  }
  if (p.drift !== null) {
    const d = e.drift;
    if (!d || d.rows < p.drift.minRows) {
      out.push({ rule: 'drift', value: null, threshold: p.drift.share, verdict: 'not_evaluated', detail: `${d?.rows ?? 0} recent row(s); ${p.drift.minRows} needed` });
    } else {
      const names = d.columns.filter((c) => c.drifted).map((c) => `${c.column} (${c.by.join('+')})`);
      out.push({ rule: 'drift', value: d.driftedShare, threshold: p.drift.share, verdict: d.drifted ? 'retrain' : 'ok', detail: names.length ? `drifted: ${names.join(', ')}` : 'no column drifted' });
    }
  }
  return out;
}

const round = (v: number) => Number(v.toPrecision(4));
