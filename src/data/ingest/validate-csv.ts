/**
 * A CSV body → a validated SampleBatch, in one pass with no object per row or cell: the reader
 * leaves each record's cells as offsets into the body, plain numbers are read from there
 * (text-numbers.ts), and everything else (quoted cells, ISO times, every error) goes through the
 * same value parsers as JSON (values.ts), so the rules and the messages are the same.
 *
 * Header: names the columns, in any order; nullable columns may be absent. Errors are listed as
 * they always were: malformed records (bad quoting) first, then header errors; only when there are
 * none of either are the values checked, row by row, then duplicates across rows.
 */
import type { DatasetSchema } from '../types.ts';
import { CsvReader } from './csv.ts';
import { RowErrors } from './row-errors.ts';
import { SampleBatchBuilder } from './sample-batch.ts';
import { plainDecimal, plainInteger } from './text-numbers.ts';
import { accept, checkDuplicates, columnNames, notTooLate, type ClockBound, type Rules, rulesOf, type Validated } from './validate.ts';
import * as V from './values.ts';

export interface CsvValidated extends Validated {
  /** Data rows read (the header excluded), malformed ones included. */
  rows: number;
  /** True when there were more than maxRows data rows (reading stopped there). */
  truncated: boolean;
}

/** Where each column is in a record (-1 = a nullable column the file leaves out). */
interface Layout {
  width: number;
  entity: number;
  ts: number;
  label: number;
  features: number[];
}

/** Checks the header; null when it has errors (reported). */
function layoutOf(schema: DatasetSchema, rules: Rules, header: CsvReader, errors: RowErrors): Layout | null {
  const names = Array.from({ length: header.count }, (_, i) => header.cell(i).trim());
  const expected = columnNames(schema).join(', ');
  const known = new Set(columnNames(schema));
  const index = new Map<string, number>();
  const at0 = { row: 0, line: header.line };
  names.forEach((name, i) => {
    if (!known.has(name)) errors.add({ ...at0, field: name, reason: `unknown column in the header; the dataset's columns are ${expected}` });
    else if (index.has(name)) errors.add({ ...at0, field: name, reason: 'column appears twice in the header' });
    else index.set(name, i);
  });
  for (const rule of [rules.entity, rules.ts, rules.label, ...rules.features]) {
    if (!index.has(rule.name) && !rule.nullable) errors.add({ ...at0, field: rule.name, reason: `column missing from the header; it is required (${rule.missing})` });
  }
  if (errors.total > 0) return null;
  const at = (name: string) => index.get(name) ?? -1;
  return { width: names.length, entity: at(rules.entity.name), ts: at(rules.ts.name), label: at(rules.label.name), features: rules.features.map((r) => at(r.name)) };
}

const textOf = (r: CsvReader, i: number) => (i === -1 ? '' : r.cell(i));

/*
 * The fast paths give a plain double, or NaN / -1 when they decline the cell; only then does the
 * general parser (values.ts) see it. Keeping the common case free of `number | null | Reject`
 * results keeps V8 from boxing a double per cell.
 */
const fastNumber = (r: CsvReader, i: number): number => (i === -1 || r.start(i) === -1 ? Number.NaN : plainDecimal(r.text, r.start(i), r.end(i)));
const fastTime = (r: CsvReader, i: number): number => (i === -1 || r.start(i) === -1 ? -1 : plainInteger(r.text, r.start(i), r.end(i)));

function fastBinary(r: CsvReader, i: number): number {
  const start = i === -1 ? -1 : r.start(i);
  if (start === -1 || r.end(i) !== start + 1) return Number.NaN;
  const c = r.text.charCodeAt(start);
  return c === 48 ? 0 : c === 49 ? 1 : Number.NaN;
}

/** A record as wide as the header: its values go into the builder's next slot; false when it has errors (reported). */
function readRow(r: CsvReader, layout: Layout, rules: Rules, schema: DatasetSchema, b: SampleBatchBuilder, errors: RowErrors, row: number): boolean {
  const { line } = r;
  const before = errors.total;
  b.reserve();
  const slot = b.rows;
  const entity = V.entityFromText(textOf(r, layout.entity));
  if (accept(entity, rules.entity, errors, row, line)) b.entity[slot] = entity as string;

  const t = fastTime(r, layout.ts);
  if (t >= V.MIN_TS_MS && t <= V.MAX_TS_MS && t <= rules.latestTs) b.ts[slot] = t;
  else {
    const v = V.timeFromText(textOf(r, layout.ts));
    if (accept(v, rules.ts, errors, row, line) && notTooLate(v as number, rules, errors, row, line)) b.ts[slot] = v as number;
  }

  const binary = schema.label.type === 'binary';
  const y = binary ? fastBinary(r, layout.label) : fastNumber(r, layout.label);
  if (!Number.isNaN(y)) b.label[slot] = y;
  else {
    const text = textOf(r, layout.label);
    const v = binary ? V.binaryFromText(text) : V.numberFromText(text);
    if (accept(v, rules.label, errors, row, line)) b.label[slot] = v === null ? Number.NaN : (v as number);
  }

  const features = schema.features;
  const values = b.values;
  const base = slot * features.length;
  for (let f = 0; f < features.length; f += 1) {
    const at = layout.features[f]!;
    const categorical = features[f]!.type === 'categorical';
    const n = categorical ? Number.NaN : fastNumber(r, at);
    if (!Number.isNaN(n)) {
      values[base + f] = n;
      continue;
    }
    const text = textOf(r, at);
    const v = categorical ? V.categoryFromText(text) : V.numberFromText(text);
    if (accept(v, rules.features[f]!, errors, row, line)) values[base + f] = v === null ? Number.NaN : typeof v === 'string' ? b.category(f, v) : (v as number);
  }
  return errors.total === before;
}

/** Rows in the text at most (one per line end, and the last line), to size the batch once. */
function rowsAtMost(text: string, maxRows: number): number {
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1 && lines <= maxRows; i = text.indexOf('\n', i + 1)) lines += 1;
  return Math.min(lines, maxRows);
}

/** `clock`: refuse timestamps further ahead of it than its skew (null: no bound). */
export function validateCsv(schema: DatasetSchema, text: string, maxRows = Number.POSITIVE_INFINITY, clock: ClockBound | null = null): CsvValidated {
  const rules = rulesOf(schema, clock);
  const b = new SampleBatchBuilder(schema.features.length, rowsAtMost(text, maxRows));
  const malformed = new RowErrors();
  const invalid = new RowErrors();
  const reader = new CsvReader(text);
  if (!reader.next()) return { batch: b.finish(), errors: malformed, rows: 0, truncated: false };
  if (reader.problem) malformed.add({ row: 0, line: reader.line, field: null, reason: `header: ${reader.problem}` });
  const headerErrors = new RowErrors();
  const layout = layoutOf(schema, rules, reader, headerErrors);
  let rows = 0;
  let truncated = false;
  while (reader.next()) {
    if (rows === maxRows) {
      truncated = true;
      break;
    }
    rows += 1;
    const { line } = reader;
    if (reader.problem) {
      malformed.add({ row: rows, line, field: null, reason: reader.problem });
      continue;
    }
    // Values are not checked once the body is known to be malformed (nor when the header is bad).
    if (!layout || malformed.total > 0) continue;
    if (reader.count !== layout.width) {
      invalid.add({ row: rows, line, field: null, reason: `has ${reader.count} fields, the header has ${layout.width}` });
      continue;
    }
    if (readRow(reader, layout, rules, schema, b, invalid, rows)) b.commit(rows, line);
  }
  if (malformed.total > 0 || headerErrors.total > 0) {
    malformed.append(headerErrors);
    return { batch: b.finish(), errors: malformed, rows, truncated };
  }
  checkDuplicates(schema, b, invalid);
  return { batch: b.finish(), errors: invalid, rows, truncated };
}
