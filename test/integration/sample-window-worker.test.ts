/**
 * The parallel SQLite window read: its worker thread on its own (given every slice, this thread
 * taking none) delivers columns that, joined, are the single-threaded read's; so does the whole
 * parallel read, whatever share its workers get.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkDatasetDefinition } from '../../src/data/ingest/dataset-definition.ts';
import { defineDataset, requireDataset } from '../../src/data/ingest/dataset-service.ts';
import { ingestSamples } from '../../src/data/ingest/ingest-service.ts';
import { entryUrl } from '../../src/entries.ts';
import { datasetSchemaOf } from '../../src/store/datasets.ts';
import { SQLITE_FILE } from '../../src/store/db.ts';
import { joinParts, readWindowInParallel, sliceBounds, type WindowWorkerData, type WindowWorkerMessage } from '../../src/store/sample-window-parallel.ts';
import type { WindowPart } from '../../src/store/sample-window-sqlite.ts';
import { loadSampleColumns } from '../../src/store/sample-window.ts';
import { spawnModuleWorker } from '../../src/trainers/worker/spawn-worker.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { tempDir } from '../helpers/settings.ts';

const T0 = Date.parse('2026-03-01T00:00:00Z');

test('a window worker reads the slices it takes and hands over the same columns; so does the parallel read', async () => {
  const dataDir = tempDir();
  const t = await openTestEngine({ dialect: 'sqlite', dataDir, databaseUrl: null });
  try {
    const definition = {
      entityKey: 'device',
      timestamp: 'time',
      features: [
        { name: 'temp', type: 'numeric', nullable: true },
        { name: 'site', type: 'categorical', nullable: true },
      ],
      label: { name: 'failed', type: 'binary', nullable: true },
    };
    await defineDataset(t.engine.db, checkDatasetDefinition('acme', 'sensors', definition), t.clock.now());
    const rows = Array.from({ length: 5_000 }, (_, i) => ({
      device: `dev-${i % 9}`,
      time: T0 + Math.floor(i / 3) * 60_000,
      temp: i % 11 === 0 ? null : i / 4,
      site: i % 5 === 0 ? null : `site-${i % 4}`,
      failed: i % 7 === 0 ? null : i % 2,
    }));
    await ingestSamples(t.engine.db, { tenantId: 'acme', datasetId: 'sensors', format: 'json', body: JSON.stringify(rows), now: t.clock.now() });
    const window = { since: T0 + 60_000, until: T0 + 1_500 * 60_000 };
    const expected = await loadSampleColumns(t.engine.db.k, 'acme', 'sensors', window, { threads: 1 });

    const bounds = sliceBounds(window.since, window.until, 7);
    const data: WindowWorkerData = { file: join(dataDir, SQLITE_FILE), tenantId: 'acme', datasetId: 'sensors', features: 2, bounds, counter: new SharedArrayBuffer(4) };
    const worker = spawnModuleWorker(entryUrl('sample-window-worker'), { workerData: data });
    const parts: WindowPart[] = [];
    worker.on('message', (m: WindowWorkerMessage) => (parts[m.slice] = m.part));
    const code = await new Promise<number>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', resolve);
    });
    assert.equal(code, 0);
    assert.equal(parts.filter(Boolean).length, bounds.length - 1, 'the worker took every slice');
    const joined = joinParts(parts, 2);
    assert.equal(joined.rows, expected.rows);
    assert.deepEqual(joined.entities, expected.entities);
    assert.deepEqual([...joined.entityIndex], [...expected.entityIndex]);
    assert.deepEqual([...joined.ts], [...expected.ts]);
    assert.deepEqual([...joined.label], [...expected.label]);
    joined.columns.forEach((c, f) => assert.deepEqual([...c], [...expected.columns[f]!], `feature ${f}`));

    // The whole parallel read (here three threads, whatever share the workers get), and an empty window.
    const schema = datasetSchemaOf(await requireDataset(t.engine.db.k, 'acme', 'sensors'));
    const parallel = await readWindowInParallel(join(dataDir, SQLITE_FILE), schema, window, 3, 0);
    assert.deepEqual({ ...parallel }, { rows: expected.rows, columns: expected.columns, ts: expected.ts, label: expected.label, entityIndex: expected.entityIndex, entities: expected.entities });
    const empty = await readWindowInParallel(join(dataDir, SQLITE_FILE), schema, { since: 0, until: T0 }, 3, 0);
    assert.equal(empty.rows, 0);
  } finally {
    await t.close();
  }
});
