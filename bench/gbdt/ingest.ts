/**
 * Ingest rate, in a fresh process: the benchmark's 1,000,000 rows (entity, epoch-ms ts, 20 features,
 * label) into a fresh SQLite store through the ingest service (ingestSamples: parse, validate, write
 * in one transaction per batch), as CSV bodies of 100,000 rows, the HTTP batch limit. Only the
 * ingestSamples calls are timed; building each body string is not.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { ingestSamples, MAX_ROWS_PER_BATCH } from '../../src/data/ingest/ingest-service.ts';
import { SQLITE_FILE } from '../../src/store/db.ts';
import { emit, FEATURES, progress, readData, ROWS } from './data.ts';
import { DATASET, entityOf, openStore, TENANT } from './store.ts';

const [dir, dbDir] = [process.argv[2]!, process.argv[3]!];
const data = readData(dir);
const db = await openStore(dbDir, true);
const header = ['machine', 'ts', ...Array.from({ length: FEATURES }, (_, f) => `f${f}`), 'y'].join(',');
const batchSeconds: number[] = [];
try {
  for (let from = 0; from < ROWS; from += MAX_ROWS_PER_BATCH) {
    const to = Math.min(ROWS, from + MAX_ROWS_PER_BATCH);
    const lines = [header];
    for (let i = from; i < to; i++) {
      let line = `${entityOf(i)},${data.ts[i]}`;
      for (let f = 0; f < FEATURES; f++) line += `,${data.columns[f]![i]}`;
      lines.push(`${line},${data.y[i]}`);
    }
    const body = lines.join('\n');
    const t = performance.now();
    const result = await ingestSamples(db, { tenantId: TENANT, datasetId: DATASET, format: 'csv', body, now: Date.now() });
    batchSeconds.push((performance.now() - t) / 1000);
    if (result.accepted !== to - from) throw new Error(`batch at row ${from}: accepted ${result.accepted} of ${to - from}`);
  }
} finally {
  await db.close();
}
const seconds = batchSeconds.reduce((a, b) => a + b, 0);
progress(`ingest batches (s): ${batchSeconds.map((s) => s.toFixed(2)).join(' ')}`);
emit({ rows: ROWS, seconds, rowsPerSecond: ROWS / seconds, batchSeconds, dbMb: statSync(join(dbDir, SQLITE_FILE)).size / 2 ** 20 });
