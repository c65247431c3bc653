/** Writers for the synthetic fleet: CSV (RFC 4180, header line) or NDJSON, streamed with backpressure. */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { csvField } from '../sources/csv-parse.ts';
import { flatRow, SYNTHETIC_COLUMNS } from './dataset.ts';
import type { SyntheticRecord } from './machines.ts';

export const SYNTHETIC_FORMATS = ['csv', 'ndjson'] as const;
export type SyntheticFormat = (typeof SYNTHETIC_FORMATS)[number];

export function csvLine(record: SyntheticRecord): string {
  const row = flatRow(record);
  return `${SYNTHETIC_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`;
}

export const CSV_HEADER = `${SYNTHETIC_COLUMNS.join(',')}\n`;

export const ndjsonLine = (record: SyntheticRecord): string => `${JSON.stringify(flatRow(record))}\n`;

/** Writes the records to `path` (replacing it); resolves once the file is flushed and closed. */
export async function writeRecords(path: string, records: readonly SyntheticRecord[], format: SyntheticFormat): Promise<void> {
  const out = createWriteStream(path, { encoding: 'utf8' });
  const closed = new Promise<void>((resolve, reject) => {
    out.once('close', resolve);
    out.once('error', reject);
  });
  closed.catch(() => undefined); // awaited below; this only stops an early error counting as unhandled

  const line = format === 'csv' ? csvLine : ndjsonLine;
  let buffer = format === 'csv' ? CSV_HEADER : '';
  for (const r of records) {
    buffer += line(r);
    if (buffer.length >= 1 << 16) {
      if (!out.write(buffer)) await Promise.race([once(out, 'drain'), closed]);
      buffer = '';
    }
  }
  out.end(buffer);
  await closed;
}
