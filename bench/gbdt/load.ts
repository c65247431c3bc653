/**
 * Window load, in a fresh process: loadSampleColumns of the whole 1,000,000-row window (180 days) from
 * the store ingest.ts filled (the columnar window reader a train job's load stage uses), on one thread.
 * Checks the row count and that the values round-trip exactly.
 */
import { loadSampleColumns } from '../../src/store/sample-window.ts';
import { emit, FEATURES, peakRssMb, readData, ROWS } from './data.ts';
import { DATASET, openStore, TENANT } from './store.ts';

const [dir, dbDir] = [process.argv[2]!, process.argv[3]!];
const db = await openStore(dbDir, false);
let seconds: number;
let loaded: Awaited<ReturnType<typeof loadSampleColumns>>;
try {
  const t = performance.now();
  loaded = await loadSampleColumns(db.k, TENANT, DATASET, { since: 0, until: Number.MAX_SAFE_INTEGER });
  seconds = (performance.now() - t) / 1000;
} finally {
  await db.close();
}
const peak = peakRssMb();
if (loaded.rows !== ROWS) throw new Error(`loaded ${loaded.rows} rows, expected ${ROWS}`);
const data = readData(dir);
for (let i = 0; i < ROWS; i += 997) {
  if (loaded.ts[i] !== data.ts[i] || loaded.label[i] !== data.y[i]) throw new Error(`row ${i}: ts/label differ after the round trip`);
  for (let f = 0; f < FEATURES; f++) if (loaded.columns[f]![i] !== data.columns[f]![i]) throw new Error(`row ${i} f${f}: value differs after the round trip`);
}
emit({ rows: loaded.rows, seconds, peakRssMb: peak });
