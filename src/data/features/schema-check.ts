/**
 * A spec checked against the dataset it will read: every referenced column exists (under its
 * mapped name), numeric features read numeric columns, and no two columns end up with one name.
 */
import { NsError } from '../../errors.ts';
import type { ColumnType, DatasetSchema } from '../types.ts';
import type { FeatureSpec } from './spec.ts';

const invalid = (field: string, message: string): NsError => new NsError('NS_VALIDATION', `${field}: ${message}`, { field });

/** Feature name (after mapping) → the raw column's declared type. Throws on a bad mapping. */
export function mappedColumns(spec: FeatureSpec, schema: DatasetSchema, field = 'featureSpec'): Map<string, ColumnType> {
  const declared = new Map(schema.features.map((f) => [f.name, f.type] as const));
  for (const raw of Object.keys(spec.columnMapping)) {
    if (!declared.has(raw)) {
      throw invalid(`${field}.columnMapping.${raw}`, `"${raw}" is not a feature column of dataset "${schema.id}" (columns: ${[...declared.keys()].join(', ')})`);
    }
  }
  const out = new Map<string, ColumnType>();
  const from = new Map<string, string>();
  for (const [raw, type] of declared) {
    const mapped = spec.columnMapping[raw] ?? raw;
    const other = from.get(mapped);
    if (other !== undefined) throw invalid(`${field}.columnMapping`, `columns "${other}" and "${raw}" would both be named "${mapped}"`);
    from.set(mapped, raw);
    out.set(mapped, type);
  }
  return out;
}

/** Throws NS_VALIDATION naming the first spec field that does not fit the dataset schema. */
export function checkSpecAgainstSchema(spec: FeatureSpec, schema: DatasetSchema, field = 'featureSpec'): void {
  const columns = mappedColumns(spec, schema, field);
  const need = (column: string, f: string, numeric: boolean) => {
    const type = columns.get(column);
    if (type === undefined) {
      const mappedTo = spec.columnMapping[column];
      const hint = mappedTo !== undefined ? `; it is mapped to "${mappedTo}", use that name` : ` (features: ${[...columns.keys()].join(', ')})`;
      throw invalid(f, `"${column}" is not a feature of dataset "${schema.id}"${hint}`);
    }
    if (numeric && type !== 'numeric') throw invalid(f, `"${column}" is ${type}; only numeric columns can be continuous, lagged or rolled`);
  };
  spec.continuous.forEach((c, i) => need(c, `${field}.continuous[${i}]`, true));
  spec.categorical.forEach((c, i) => need(c, `${field}.categorical[${i}]`, false));
  spec.lags.forEach((l, i) => need(l.column, `${field}.lags[${i}].column`, true));
  spec.rolling.forEach((r, i) => need(r.column, `${field}.rolling[${i}].column`, true));
}
