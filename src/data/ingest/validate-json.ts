/** JSON objects (a JSON array's elements or NDJSON lines) → a validated SampleBatch. */
import type { DatasetSchema } from '../types.ts';
import type { JsonRecord } from './records.ts';
import { RowErrors } from './row-errors.ts';
import { SampleBatchBuilder } from './sample-batch.ts';
import { accept, checkDuplicates, columnNames, notTooLate, rowError, rulesOf, type ClockBound, type Validated } from './validate.ts';
import * as V from './values.ts';

/** `clock`: refuse timestamps further ahead of it than its skew (null: no bound). */
export function validateObjects(schema: DatasetSchema, records: readonly JsonRecord[], errors = new RowErrors(), clock: ClockBound | null = null): Validated {
  const rules = rulesOf(schema, clock);
  const known = new Set(columnNames(schema));
  const expected = columnNames(schema).join(', ');
  const nf = schema.features.length;
  const categorical = schema.features.map((f) => f.type === 'categorical');
  const labelOf = schema.label.type === 'binary' ? V.binaryFromJson : V.numberFromJson;
  const b = new SampleBatchBuilder(nf, records.length);
  for (const record of records) {
    const { row } = record;
    const line = record.line ?? 0;
    const obj = record.value;
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) {
      errors.add(rowError(row, line, null, `expected an object with the dataset's columns (${expected}), got ${Array.isArray(obj) ? 'an array' : obj === null ? 'null' : `a ${typeof obj}`}`));
      continue;
    }
    const o = obj as Record<string, unknown>;
    const before = errors.total;
    for (const key in o) if (!known.has(key)) errors.add(rowError(row, line, key, `unknown column; the dataset's columns are ${expected}`));
    b.reserve();
    const slot = b.rows;
    const entity = V.entityFromJson(o[rules.entity.name]);
    if (accept(entity, rules.entity, errors, row, line)) b.entity[slot] = entity as string;
    const ts = V.timeFromJson(o[rules.ts.name]);
    if (accept(ts, rules.ts, errors, row, line) && notTooLate(ts as number, rules, errors, row, line)) b.ts[slot] = ts as number;
    const label = labelOf(o[rules.label.name]);
    if (accept(label, rules.label, errors, row, line)) b.label[slot] = label === null ? Number.NaN : (label as number);
    for (let f = 0; f < nf; f += 1) {
      const rule = rules.features[f]!;
      const v = categorical[f] ? V.categoryFromJson(o[rule.name]) : V.numberFromJson(o[rule.name]);
      if (accept(v, rule, errors, row, line)) b.values[slot * nf + f] = v === null ? Number.NaN : typeof v === 'string' ? b.category(f, v) : (v as number);
    }
    if (errors.total === before) b.commit(row, line);
  }
  checkDuplicates(schema, b, errors);
  return { batch: b.finish(), errors };
}
