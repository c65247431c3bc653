/**
 * Simulated predictive-maintenance fleet. Each tenant has machines of three models; each machine
 * wears at its own rate, faster under load and as wear accumulates. Sensors follow wear (heat and
 * vibration rise, pressure and rpm sag) under noise, a slow calibration drift that survives repairs,
 * a daily load cycle, and occasional missing readings. A machine fails when its wear crosses a
 * threshold drawn per life cycle (plus rare random shocks no sensor announces); the failure sample
 * is emitted, then the machine is down for repair (no samples) and comes back with wear near 0.
 *
 * Targets per sample: `rul_hours`, the hours until the next failure (0 on the failure sample,
 * capped at `rulCapHours`), and `fails_within_24h` = 1 iff the next failure is at most 24 h away
 * (so fails_within_24h = 1 ⇔ rul_hours ≤ 24). The simulation runs `rulCapHours` past the end, so
 * the last samples have true labels too.
 *
 * Deterministic: the output depends only on the options; each machine draws from its own named
 * stream, so machine k of tenant t is the same whatever the number of tenants or machines.
 */
import { Rng } from './prng.ts';

export const SYNTHETIC_SENSORS = ['temperature', 'vibration', 'pressure', 'rpm', 'load', 'voltage'] as const;
export type SyntheticSensor = (typeof SYNTHETIC_SENSORS)[number];
export const FAILURE_HORIZON_HOURS = 24;

export interface SyntheticOptions {
  tenants: number;
  machines: number;
  days: number;
  seed: number;
  intervalMs: number;
  /** Exclusive end of the series (epoch ms); samples are at end − days, …, < end. */
  endMs: number;
  rulCapHours?: number;
  /** Probability that one sensor reading is missing. */
  missingRate?: number;
}

export interface SyntheticRecord {
  tenantId: string;
  machineId: string;
  ts: number;
  model: string;
  sensors: Record<SyntheticSensor, number | null>;
  failsWithin24h: 0 | 1;
  rulHours: number;
}

export interface SyntheticTenant {
  tenantId: string;
  machines: number;
  /** Failures whose failure sample falls inside the series. */
  failures: number;
  records: SyntheticRecord[];
}

export const SYNTHETIC_DEFAULTS = { rulCapHours: 720, missingRate: 0.005 } as const;

interface ModelProfile {
  name: string;
  temperature: number;
  vibration: number;
  pressure: number;
  rpm: number;
  wearRate: number;
}

const MODELS: readonly ModelProfile[] = [
  { name: 'M100', temperature: 65, vibration: 2.0, pressure: 100, rpm: 1500, wearRate: 1.0 },
  { name: 'M200', temperature: 72, vibration: 2.6, pressure: 120, rpm: 1800, wearRate: 1.3 },
  { name: 'M300', temperature: 58, vibration: 1.6, pressure: 90, rpm: 1200, wearRate: 0.75 },
];

const HOUR_MS = 3_600_000;
/** Wear per hour at rate 1, load 0.5, no wear yet: a mean life of roughly a month. */
const BASE_WEAR_PER_HOUR = 1 / 1100;
const SHOCK_PER_HOUR = 1 / 9_000;

const round = (x: number, digits: number) => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};
const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

export const tenantIdOf = (index: number): string => `tenant_${index + 1}`;

/**
 * Where a series generated at `nowMs` ends: the start of its UTC day. The simulation depends on
 * absolute time only through the hour of the day and the UTC day, so a series that ends at a day
 * boundary is the same whatever time of day it was generated at (and on another day the same data,
 * shifted by whole days): a model trained on it sees the same rows and the same holdout, and a
 * threshold that holds once always holds (the demo's gate). Its newest samples are up to a day old.
 */
export const seriesEndOf = (nowMs: number): number => Math.floor(nowMs / 86_400_000) * 86_400_000;
export const machineIdOf = (index: number): string => `m-${String(index + 1).padStart(3, '0')}`;

interface Step {
  ts: number;
  model: string;
  sensors: Record<SyntheticSensor, number | null>;
  failed: boolean;
}

/** One machine's timeline from `start` until `stop` (exclusive): samples and failure times. */
function simulateMachine(rng: Rng, mix: readonly number[], start: number, stop: number, intervalMs: number, missingRate: number): Step[] {
  const r = rng.fork('profile');
  const u = r.next();
  const model = MODELS[u < mix[0]! ? 0 : u < mix[0]! + mix[1]! ? 1 : 2]!;
  const rate = model.wearRate * Math.exp(r.normal(0, 0.25));
  const loadLevel = clamp(r.normal(0.6, 0.12), 0.3, 0.9);
  const phase = r.next() * 2 * Math.PI;
  const noise = rng.fork('noise');
  const dtHours = intervalMs / HOUR_MS;
  const threshold = () => clamp(r.normal(1, 0.12), 0.75, 1.3);

  let wear = r.next() * 0.6; // machines start part-way through a life
  let limit = threshold();
  const drift = { temperature: 0, vibration: 0, pressure: 0 };
  let downUntil = -Infinity;
  let dayLoad = loadLevel;
  let day = -1;
  const steps: Step[] = [];

  for (let ts = start; ts < stop; ts += intervalMs) {
    // Calibration drift: a slow mean-reverting walk per sensor, kept through repairs.
    const k = Math.sqrt(dtHours);
    drift.temperature = drift.temperature * (1 - 0.001 * dtHours) + noise.normal(0, 0.06 * k);
    drift.vibration = drift.vibration * (1 - 0.001 * dtHours) + noise.normal(0, 0.01 * k);
    drift.pressure = drift.pressure * (1 - 0.001 * dtHours) + noise.normal(0, 0.08 * k);
    const today = Math.floor(ts / 86_400_000);
    if (today !== day) {
      day = today;
      dayLoad = clamp(loadLevel + noise.normal(0, 0.1), 0.2, 1);
    }
    if (ts < downUntil) continue;

    const hourOfDay = (ts % 86_400_000) / HOUR_MS;
    const load = clamp(dayLoad + 0.2 * Math.sin((2 * Math.PI * hourOfDay) / 24 + phase) + noise.normal(0, 0.05), 0.05, 1.2);
    const increment = BASE_WEAR_PER_HOUR * rate * (0.5 + load) * (1 + 1.5 * wear) * dtHours * Math.exp(noise.normal(0, 0.3));
    wear += increment;
    const shock = noise.chance(SHOCK_PER_HOUR * dtHours);
    const failed = wear >= limit || shock;

    const w = Math.min(wear, 1.3);
    const reading = (v: number, digits: number) => (noise.chance(missingRate) ? null : round(v, digits));
    const sensors: Record<SyntheticSensor, number | null> = {
      temperature: reading(model.temperature + 6 * load + 8 * w * w + drift.temperature + noise.normal(0, 2), 2),
      vibration: reading(Math.max(0.05, model.vibration * (1 + 0.2 * load) + 1.1 * w ** 4 + drift.vibration + noise.normal(0, 0.3 + 0.3 * w * w)), 3),
      pressure: reading(model.pressure + 4 * load - 9 * w * w + drift.pressure + noise.normal(0, 2.5), 2),
      rpm: reading(model.rpm * (0.85 + 0.15 * load) - 50 * w * w + noise.normal(0, 20), 0),
      load: reading(load, 3),
      voltage: reading(230 + noise.normal(0, 3), 1),
    };
    steps.push({ ts, model: model.name, sensors, failed });
    if (failed) {
      // Down for repair, then back with (nearly) no wear and a new life threshold.
      downUntil = ts + Math.round((4 + noise.next() * 20) * HOUR_MS);
      wear = noise.next() * 0.03;
      limit = threshold();
    }
  }
  return steps;
}

export function generateTenant(options: SyntheticOptions, tenantIndex: number): SyntheticTenant {
  const rulCapHours = options.rulCapHours ?? SYNTHETIC_DEFAULTS.rulCapHours;
  const missingRate = options.missingRate ?? SYNTHETIC_DEFAULTS.missingRate;
  const tenantId = tenantIdOf(tenantIndex);
  const root = new Rng(options.seed).fork(tenantId);
  // Each tenant has its own mix of machine models.
  const weights = [0, 1, 2].map((i) => 0.3 + root.fork(`mix-${i}`).next());
  const total = weights.reduce((a, b) => a + b, 0);
  const mix = weights.map((w) => w / total);

  const start = options.endMs - Math.round(options.days * 86_400_000);
  // Simulate past the end so the last samples' labels are known.
  const stop = options.endMs + Math.ceil(rulCapHours * HOUR_MS);
  const records: SyntheticRecord[] = [];
  let failures = 0;
  for (let m = 0; m < options.machines; m++) {
    const machineId = machineIdOf(m);
    const steps = simulateMachine(root.fork(machineId), mix, start, stop, options.intervalMs, missingRate);
    let nextFailure = Infinity;
    const labeled: SyntheticRecord[] = [];
    for (let i = steps.length - 1; i >= 0; i--) {
      const s = steps[i]!;
      if (s.failed) nextFailure = s.ts;
      if (s.ts >= options.endMs) continue;
      if (s.failed) failures++;
      const hours = (nextFailure - s.ts) / HOUR_MS;
      labeled.push({
        tenantId,
        machineId,
        ts: s.ts,
        model: s.model,
        sensors: s.sensors,
        failsWithin24h: hours <= FAILURE_HORIZON_HOURS ? 1 : 0,
        rulHours: round(Math.min(hours, rulCapHours), 3),
      });
    }
    for (let i = labeled.length - 1; i >= 0; i--) records.push(labeled[i]!);
  }
  records.sort((a, b) => a.ts - b.ts || (a.machineId < b.machineId ? -1 : a.machineId > b.machineId ? 1 : 0));
  return { tenantId, machines: options.machines, failures, records };
}

/** Every tenant of the fleet, tenant_1 … tenant_n. */
export function generateFleet(options: SyntheticOptions): SyntheticTenant[] {
  return Array.from({ length: options.tenants }, (_, t) => generateTenant(options, t));
}
