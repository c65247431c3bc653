/**
 * Rows a caller sends for prediction → raw samples for the model's feature spec. Checked against
 * the spec the champion was trained with: every value must belong to one of its raw columns and
 * have that column's type, so a typo or a "NaN" string is a 400 naming the row and field rather
 * than a silently missing feature.
 */
import { rawColumns, type RawColumnKind } from '../data/features/raw-columns.ts';
import { parseTime } from '../data/sources/index.ts';
import type { RawSample } from '../data/types.ts';
import { NsError } from '../errors.ts';

export { rawColumns };

export interface PredictRowInput {
  values: Record<string, unknown>;
  /** The entity (device, machine, user): needed for lag and rolling features. */
  entity?: string;
  /** The row's time (ISO-8601 or epoch ms): needed for lag and rolling features; default now. */
  ts?: string | number;
}

type Kind = RawColumnKind;

const bad = (field: string, message: string) => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });

export function toRawSamples(rows: readonly PredictRowInput[], columns: ReadonlyMap<string, Kind>, now: number, field = 'rows'): RawSample[] {
  return rows.map((row, i) => {
    const at = `${field}[${i}]`;
    const values: Record<string, number | string | null> = {};
    for (const [name, v] of Object.entries(row.values)) {
      const kind = columns.get(name);
      if (kind === undefined) throw bad(`${at}.values.${name}`, `not a column of this model; its columns: ${[...columns.keys()].join(', ')}`);
      if (v === null) values[name] = null;
      else if (kind === 'numeric') {
        if (typeof v !== 'number' || !Number.isFinite(v)) throw bad(`${at}.values.${name}`, `must be a finite number or null, got ${JSON.stringify(v)}`);
        values[name] = v;
      } else {
        if (typeof v !== 'string' && !(typeof v === 'number' && Number.isFinite(v))) throw bad(`${at}.values.${name}`, `must be a category (a string) or null, got ${JSON.stringify(v)}`);
        values[name] = v;
      }
    }
    let ts = now;
    if (row.ts !== undefined) {
      ts = parseTime(row.ts);
      if (!Number.isFinite(ts)) throw bad(`${at}.ts`, `must be an ISO-8601 time with a zone or epoch milliseconds, got ${JSON.stringify(row.ts)}; example "2026-01-01T12:00:00Z"`);
    }
    return { entity: row.entity ?? '', ts, values, label: null };
  });
}
