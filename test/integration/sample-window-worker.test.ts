/**
 * The parallel SQLite window read: its worker thread on its own (given every slice, this thread
 * taking none) reads them into the shared columns, which are then the single-threaded read's; a
 * slice written to since it was counted comes back in columns of its own and the joined window is
 * still what a single-threaded read sees; so does the whole parallel read, whatever share its
 * workers get.
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
import { assemble, planArrays, planWindow, readWindowInParallel, sliceBounds, type SliceRead, type WindowPlan, type WindowWorkerData, type WindowWorkerMessage } from '../../src/store/sample-window-parallel.ts';
import { SqliteWindowReader, type WindowPart } from '../../src/store/sample-window-sqlite.ts';
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

    const file = join(dataDir, SQLITE_FILE);
    const same = (got: WindowPart, want: WindowPart) => {
      assert.equal(got.rows, want.rows);
      assert.deepEqual(got.entities, want.entities);
      assert.deepEqual([...got.entityIndex], [...want.entityIndex]);
      assert.deepEqual([...got.ts], [...want.ts]);
      assert.deepEqual([...got.label], [...want.label]);
      got.columns.forEach((c, f) => assert.deepEqual([...c], [...want.columns[f]!], `feature ${f}`));
    };
    /** The plan given to one worker alone, which takes every slice; what it delivered, slice by slice. */
    const byWorker = async (plan: WindowPlan): Promise<SliceRead[]> => {
      const data: WindowWorkerData = { file, tenantId: 'acme', datasetId: 'sensors' };
      const worker = spawnModuleWorker(entryUrl('sample-window-worker'), { workerData: data });
      const reads: SliceRead[] = [];
      worker.on('message', (m: WindowWorkerMessage) => (reads[m.slice] = m.read));
      worker.postMessage(plan);
      const code = await new Promise<number>((resolve, reject) => {
        worker.once('error', reject);
        worker.once('exit', resolve);
      });
      assert.equal(code, 0);
      assert.equal(reads.filter(Boolean).length, plan.counts.length, 'the worker took every slice');
      return reads;
    };
    const reader = new SqliteWindowReader(file);
    try {
      const plan = planWindow(reader, 'acme', 'sensors', sliceBounds(window.since, window.until, 7), 2);
      const reads = await byWorker(plan);
      assert.ok(reads.every((r) => 'entities' in r), 'every slice read into the shared columns');
      same(assemble(plan, planArrays(plan), reads), expected);

      // A slice read against a count that no longer holds (one more or one fewer sample) writes nothing past its range and says so.
      const slice = { since: plan.bounds[2]!, until: plan.bounds[3]! };
      const rows = plan.counts[2]!;
      for (const expectedRows of [rows - 1, rows + 1]) {
        const into = { ...planArrays(plan), ts: new Float64Array(rows + 2).fill(-7) };
        assert.equal(reader.readInto('acme', 'sensors', slice, into, 1, expectedRows), null, `${expectedRows} rows expected, ${rows} there`);
        assert.equal(into.ts[0], -7);
        assert.ok(into.ts.subarray(1 + expectedRows).every((t) => t === -7), 'nothing written past the range');
      }
      assert.deepEqual(reader.readInto('acme', 'sensors', slice, planArrays(plan), plan.offsets[2]!, rows), reads[2] && 'entities' in reads[2] ? reads[2].entities : null);

      // Samples written into the fourth slice after it was counted: it comes in columns of its own.
      const stale = planWindow(reader, 'acme', 'sensors', sliceBounds(window.since, window.until, 7), 2);
      const late = Array.from({ length: 4 }, (_, i) => ({ device: `late-${i}`, time: stale.bounds[3]! + i, temp: i, site: 'site-9', failed: 1 }));
      await ingestSamples(t.engine.db, { tenantId: 'acme', datasetId: 'sensors', format: 'json', body: JSON.stringify(late), now: t.clock.now() });
      const staleReads = await byWorker(stale);
      assert.deepEqual(staleReads.map((r) => 'part' in r), [false, false, false, true, false, false, false]);
      same(assemble(stale, planArrays(stale), staleReads), await loadSampleColumns(t.engine.db.k, 'acme', 'sensors', window, { threads: 1 }));
    } finally {
      reader.close();
    }
    const withLate = await loadSampleColumns(t.engine.db.k, 'acme', 'sensors', window, { threads: 1 });

    // The whole parallel read (here three threads, whatever share the workers get), and an empty window.
    const schema = datasetSchemaOf(await requireDataset(t.engine.db.k, 'acme', 'sensors'));
    same(await readWindowInParallel(file, schema, window, 3, 0), withLate);
    const empty = await readWindowInParallel(file, schema, { since: 0, until: T0 }, 3, 0);
    assert.equal(empty.rows, 0);
  } finally {
    await t.close();
  }
});
