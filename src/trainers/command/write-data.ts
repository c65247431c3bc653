/**
 * Writes a TrainingSet as the data file a command trainer reads: CSV (header row, a missing value
 * is an empty field) or NDJSON (one object per row, a missing value is null). Feature columns come
 * in TrainingSet order, the label last; categorical features are written as their integer codes.
 * Rows are written in chunks with an await between them, so a large set never blocks the loop long.
 */
import { open } from 'node:fs/promises';
import { NsError } from '../../errors.ts';
import type { TrainingSet } from '../types.ts';
import { checkColumnNames, type DataFormat } from './job-file.ts';
import { csvField } from '../../data/sources/csv-parse.ts';

/** Rows per write; a chunk is built as one string, then written. */
const ROWS_PER_CHUNK = 2_000;

export interface WriteDataOptions {
  format: DataFormat;
  /** Name of the label column (must differ from every feature name). */
  label: string;
  signal?: AbortSignal;
}

/** Writes the set to `file` (which must not exist yet); resolves with the number of rows written. */
export async function writeTrainingData(file: string, set: TrainingSet, o: WriteDataOptions): Promise<number> {
  checkShape(set);
  checkColumnNames(set.features.map((f) => f.name), o.label);
  const names = [...set.features.map((f) => f.name), o.label];
  const columns = [...set.X.columns, set.y];
  const handle = await open(file, 'wx');
  try {
    if (o.format === 'csv') await handle.write(`${names.map((n) => csvField(n)).join(',')}\n`);
    const keys = names.map((n) => `${JSON.stringify(n)}:`);
    for (let start = 0; start < set.X.rows; start += ROWS_PER_CHUNK) {
      o.signal?.throwIfAborted();
      const end = Math.min(set.X.rows, start + ROWS_PER_CHUNK);
      const lines: string[] = [];
      for (let row = start; row < end; row++) {
        const values = columns.map((column, c) => formatValue(column[row] ?? Number.NaN, names[c] ?? '', row, c === columns.length - 1));
        lines.push(o.format === 'csv' ? values.join(',') : `{${values.map((v, c) => keys[c] + (v === '' ? 'null' : v)).join(',')}}`);
      }
      await handle.write(`${lines.join('\n')}\n`);
    }
  } finally {
    await handle.close();
  }
  return set.X.rows;
}

/** Shortest round-tripping decimal; NaN (missing) → ''. Infinity is refused: neither format has it. */
function formatValue(value: number, column: string, row: number, isLabel: boolean): string {
  if (Number.isNaN(value)) {
    if (isLabel) throw dataError(`label "${column}" is missing (NaN) at row ${row}; every row needs a label`);
    return '';
  }
  if (!Number.isFinite(value)) throw dataError(`column "${column}" holds ${value} at row ${row}; only finite numbers or NaN (missing) can be written`);
  return String(value);
}

function checkShape(set: TrainingSet): void {
  const { rows, columns } = set.X;
  if (columns.length !== set.features.length) throw dataError(`${set.features.length} features but ${columns.length} columns`);
  columns.forEach((column, c) => {
    if (column.length !== rows) throw dataError(`column "${set.features[c]?.name}" has ${column.length} values, expected ${rows}`);
  });
  if (set.y.length !== rows) throw dataError(`label has ${set.y.length} values, expected ${rows}`);
}

function dataError(message: string): NsError {
  return new NsError('NS_VALIDATION', `training data: ${message}`, { field: 'data' });
}
