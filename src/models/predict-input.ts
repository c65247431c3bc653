/**
 * Rows a caller sends for prediction → raw samples for the model's feature spec. Checked against
 * the spec the champion was trained with: every value must belong to one of its raw columns and
 * have that column's type, so a typo, a "NaN" string or 1e999 is a 400 naming the field as the
 * caller wrote it (`values.temperature` for one row sent as the body, `rows[2].values.temperature`
 * in a batch) rather than a silently missing feature.
 *
 * What the model fills in is said per row: its columns the row leaves out or sends as null
 * (`missing`), and categories it never saw in training (`unseen`); both become missing features.
 * Columns the declaration requires (`predict.require`) may not be missing.
 */
import { rawColumns, type RawColumnKind } from '../data/features/raw-columns.ts';
import { featureLayout, type FeatureSpec } from '../data/features/spec.ts';
import { parseTime } from '../data/sources/index.ts';
import type { RawSample } from '../data/types.ts';
import { NsError } from '../errors.ts';

export interface PredictRowInput {
  values: Record<string, unknown>;
  /** The entity (device, machine, user): needed for lag and rolling features. */
  entity?: string;
  /** The row's time (ISO-8601 or epoch ms): needed for lag and rolling features; default now. */
  ts?: string | number;
}

/** A predict body's rows, and whether it was one row sent as the body itself. */
export interface PredictBody {
  rows: readonly unknown[];
  single: boolean;
}

/** Columns filled in for a row: left out or null (`missing`), or a category the model never saw (`unseen`). */
export interface Filled {
  missing: string[];
  unseen: string[];
}

export interface PredictRows {
  samples: RawSample[];
  /** Per row; null when nothing was filled in. */
  filled: Array<Filled | null>;
}

type Kind = RawColumnKind;

/** What checking rows against a spec needs, computed once per spec object. */
interface InputPlan {
  /** Raw column → its kind (lag and rolling features read a numeric source column). */
  readonly kinds: ReadonlyMap<string, Kind>;
  /** The raw columns a row's own features read (continuous, then categorical): the ones reported missing. */
  readonly read: readonly string[];
  /** Categorical raw column → the categories the model knows. */
  readonly known: ReadonlyMap<string, ReadonlySet<string>>;
  readonly list: string;
}

const plans = new WeakMap<FeatureSpec, InputPlan>();

function planOf(spec: FeatureSpec): InputPlan {
  let plan = plans.get(spec);
  if (plan) return plan;
  const { raw } = featureLayout(spec);
  const kinds = rawColumns(spec);
  const known = new Map<string, Set<string>>();
  raw.categorical.forEach((c, i) => known.set(c, new Set(spec.vocabulary?.[spec.categorical[i]!] ?? [])));
  plan = { kinds, read: [...new Set([...raw.continuous, ...raw.categorical])], known, list: [...kinds.keys()].join(', ') };
  plans.set(spec, plan);
  return plan;
}

const bad = (field: string, message: string) => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const ONE_ROW = '{"values": {"temperature": 80.5, …}} for one row, or {"rows": [{"values": {…}}, …]} for a batch';

/** The body as rows: `{rows: [...]}` is a batch, any other object is one row. */
export function parsePredictBody(body: unknown, maxRows: number): PredictBody {
  if (!isRecord(body)) throw bad('body', `must be a JSON object: ${ONE_ROW}`);
  if (body.rows === undefined) return { rows: [body], single: true };
  const mixed = ['values', 'entity', 'ts'].find((k) => body[k] !== undefined);
  if (mixed !== undefined) throw bad('rows', `send either rows (a batch) or values, entity and ts (one row), not both: "${mixed}" is beside "rows"`);
  if (!Array.isArray(body.rows) || body.rows.length === 0) throw bad('rows', `must be a non-empty array of rows: ${ONE_ROW}`);
  if (body.rows.length > maxRows) throw bad('rows', `has ${body.rows.length} rows; send at most ${maxRows} per request`);
  return { rows: body.rows, single: false };
}

const shown = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : Array.isArray(v) ? 'an array' : typeof v === 'object' && v !== null ? 'an object' : String(v));

/**
 * Checks rows against the spec and turns them into raw samples. `single`: errors name `values.x`
 * (the body was the row), else `rows[i].values.x`. `require`: raw columns that may not be missing
 * (those the spec does not read are ignored: the champion may predate the declaration).
 */
export function toRawSamples(rows: readonly unknown[], spec: FeatureSpec, now: number, o: { single?: boolean; require?: readonly string[]; model?: string } = {}): PredictRows {
  const plan = planOf(spec);
  const required = (o.require ?? []).filter((c) => plan.kinds.has(c));
  const samples = new Array<RawSample>(rows.length);
  const filled = new Array<Filled | null>(rows.length);
  for (let i = 0; i < rows.length; i++) {
    const at = o.single ? '' : `rows[${i}].`;
    const row = rows[i];
    if (!isRecord(row)) throw bad(`rows[${i}]`, 'must be an object {values, entity?, ts?}');
    for (const key in row) if (key !== 'values' && key !== 'entity' && key !== 'ts') throw bad(`${at}${key}`, 'unknown field; a row has values, entity and ts');
    const given = row.values;
    if (given === undefined) throw bad(`${at}values`, `required field is missing: the row's column → value, e.g. ${ONE_ROW}`);
    if (!isRecord(given)) throw bad(`${at}values`, `must be an object of column → value, got ${shown(given)}`);
    const values: Record<string, number | string | null> = {};
    let count = 0;
    for (const name in given) {
      count += 1;
      const v = given[name];
      const kind = plan.kinds.get(name);
      const field = `${at}values.${name}`;
      if (kind === undefined) throw bad(field, `not a column of this model; its columns: ${plan.list}`);
      if (v === null) values[name] = null;
      else if (kind === 'numeric') {
        if (typeof v === 'number' && Number.isFinite(v)) values[name] = v;
        else if (typeof v === 'number') throw bad(field, 'is not finite: a number beyond ±1.8e308 (such as 1e999) reads as Infinity; send a finite number, or null if the value is missing');
        else throw bad(field, `must be a finite number or null, got ${shown(v)}`);
      } else if (typeof v === 'string') values[name] = v;
      else if (typeof v === 'number') throw bad(field, `must be a category (a string) or null, got the number ${v}; send it as a string, e.g. "${v}"`);
      else throw bad(field, `must be a category (a string) or null, got ${shown(v)}`);
    }
    if (count === 0) throw bad(`${at}values`, `is empty; send the model's columns: ${plan.list}`);
    for (const name of required) {
      const v = values[name];
      if (v === undefined || v === null || v === '') throw bad(`${at}values.${name}`, `required by model "${o.model ?? ''}" (its declaration's predict.require); send a ${plan.kinds.get(name) === 'numeric' ? 'number' : 'category'}`);
    }
    if (row.entity !== undefined && (typeof row.entity !== 'string' || row.entity.length === 0 || row.entity.length > 200)) {
      throw bad(`${at}entity`, `must be a non-empty string of at most 200 characters, got ${shown(row.entity)}`);
    }
    let ts = now;
    if (row.ts !== undefined) {
      ts = typeof row.ts === 'string' || typeof row.ts === 'number' ? parseTime(row.ts) : Number.NaN;
      if (!Number.isFinite(ts)) throw bad(`${at}ts`, `must be an ISO-8601 time with a zone or epoch milliseconds, got ${shown(row.ts)}; example "2026-01-01T12:00:00Z"`);
    }
    samples[i] = { entity: (row.entity as string | undefined) ?? '', ts, values, label: null };
    filled[i] = filledOf(plan, values);
  }
  return { samples, filled };
}

function filledOf(plan: InputPlan, values: Readonly<Record<string, number | string | null>>): Filled | null {
  let out: Filled | null = null;
  for (const name of plan.read) {
    const v = values[name];
    if (v === undefined || v === null || v === '') (out ??= { missing: [], unseen: [] }).missing.push(name);
    else if (typeof v === 'string' && !plan.known.get(name)?.has(v)) (out ??= { missing: [], unseen: [] }).unseen.push(name);
  }
  return out;
}
