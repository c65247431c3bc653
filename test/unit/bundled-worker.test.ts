/**
 * Worker threads started from a cached esbuild bundle of their TypeScript sources
 * (src/trainers/worker/bundled-worker.ts): the bundle runs the current sources, a changed source
 * is bundled again, and an entry that imports a package (unreachable from the cache) still starts,
 * through tsx.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import type { Worker } from 'node:worker_threads';
import { startBundledWorkers } from '../../src/trainers/worker/bundled-worker.ts';

const firstMessage = (worker: Worker) =>
  new Promise<unknown>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  }).finally(() => void worker.terminate());

const ENTRY = `import { parentPort, workerData } from 'node:worker_threads';
import { value } from './value.ts';
const typed: number = workerData.add;
parentPort!.postMessage({ value, sum: value + typed, bundled: import.meta.url.startsWith('file:') && !import.meta.url.endsWith('.ts') });
`;

test('workers run the current sources from the bundle, re-bundled after a source changes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'nightshift-bundled-worker-'));
  try {
    const entry = pathToFileURL(join(dir, 'entry.ts'));
    writeFileSync(join(dir, 'entry.ts'), ENTRY);
    writeFileSync(join(dir, 'value.ts'), 'export const value: number = 1;\n');
    const workers = await startBundledWorkers(entry, 2, (i) => ({ workerData: { add: 10 * (i + 1) } }));
    // Listening to both at once: a message posted before anyone listens is not kept.
    assert.deepEqual(await Promise.all(workers.map(firstMessage)), [{ value: 1, sum: 11, bundled: true }, { value: 1, sum: 21, bundled: true }]);

    writeFileSync(join(dir, 'value.ts'), 'export const value: number = 2;\n');
    const [c] = await startBundledWorkers(entry, 1, () => ({ workerData: { add: 5 } }));
    assert.deepEqual(await firstMessage(c!), { value: 2, sum: 7, bundled: true });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an entry importing a package starts through tsx instead', async () => {
  const entry = new URL('../fixtures/bundled-worker/package-entry.ts', import.meta.url);
  const [w] = await startBundledWorkers(entry, 1, () => ({}));
  assert.deepEqual(await firstMessage(w!), { bundled: false, ok: true });
});
