/**
 * The model cache over a real SQLite registry: lazy loads shared by concurrent requests, hot swap
 * with in-flight predictions finishing on the old model, recheck of the store's champion on an
 * injected clock, LRU eviction by bytes, a corrupted new champion leaving the old one serving.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import type { RawSample } from '../../src/data/types.ts';
import { ManualClock } from '../../src/clock.ts';
import { isNsError } from '../../src/errors.ts';
import type { ModelRegistry } from '../../src/registry/index.ts';
import { isSyncPredictor, ModelCache, onnxArtifact, predictRows, predictRowsSync, type Predictor } from '../../src/serving/index.ts';
import type { GbdtModel } from '../../src/trainers/gbdt/index.ts';
import { exportGbdtToOnnx } from '../../src/trainers/onnx/index.ts';
import { filesOf, newVersion, openRegistry } from '../fixtures/registry/registry-store.ts';
import { tempDir } from '../helpers/settings.ts';
import { artifactBytesOf, END, fleet, maxAbsDiff, rowsAndHistory, trainedGbdt } from './serving-fixtures.ts';

const T = 'tenant_1';
const M = 'failure';

let v1Model: GbdtModel;
let v2Model: GbdtModel;
let v1Bytes: Buffer;
let v2Bytes: Buffer;
let onnxV1Bytes: Buffer;
let rows: RawSample[];
let history: RawSample[];
let v1Expected: number[];
let v2Expected: number[];

before(async () => {
  v1Model = await trainedGbdt('binary', 10, 1);
  v2Model = await trainedGbdt('binary', 25, 2);
  v1Bytes = artifactBytesOf(v1Model);
  v2Bytes = artifactBytesOf(v2Model);
  const { samples, set } = fleet('binary');
  const onnx = await onnxArtifact(exportGbdtToOnnx(v1Model.body, set.features.length, 'binary', { inputType: 'double' }), { task: 'binary', featureSpec: set.spec });
  onnxV1Bytes = Buffer.from(JSON.stringify(onnx));
  ({ rows, history } = rowsAndHistory(samples, 5));
  const chosen = rowsAndHistory(samples, 5).index;
  v1Expected = chosen.map((i) => v1Model.predict(set.X)[i]!);
  v2Expected = chosen.map((i) => v2Model.predict(set.X)[i]!);
  assert.ok(maxAbsDiff(v1Expected, v2Expected) > 1e-3, 'the two versions predict differently');
});

interface Harness {
  registry: ModelRegistry;
  clock: ManualClock;
  cache: ModelCache;
  register(bytes: Buffer, tenantId?: string, modelName?: string): Promise<number>;
  promote(version: number, tenantId?: string, modelName?: string): Promise<void>;
}

const harnesses: Array<{ cache: ModelCache; close(): Promise<void> }> = [];
after(async () => {
  for (const h of harnesses) {
    await h.cache.close();
    await h.close();
  }
});

async function harness(options: { maxBytes?: number; recheckMs?: number } = {}): Promise<Harness> {
  const clock = new ManualClock(END);
  const { registry, close } = await openRegistry({ dataDir: tempDir(), databaseUrl: null }, { clock });
  const cache = new ModelCache({ registry, clock, ...options });
  harnesses.push({ cache, close });
  return {
    registry,
    clock,
    cache,
    register: async (bytes, tenantId = T, modelName = M) => (await registry.registerVersion(newVersion(tenantId, modelName), bytes)).version,
    promote: async (version, tenantId = T, modelName = M) => {
      await registry.promote(tenantId, modelName, version, { reason: 'test' });
    },
  };
}

async function probabilities(p: Predictor): Promise<number[]> {
  return (await predictRows(p, rows, history)).map((r) => r.probability!);
}

const nsError = (code: string, pattern: RegExp) => (error: unknown) => {
  assert.ok(isNsError(error), String(error));
  assert.equal(error.code, code, error.message);
  assert.match(error.message, pattern);
  return true;
};

/** Flips one byte of a version's artifact file on disk. */
async function corrupt(registry: ModelRegistry, version: number): Promise<void> {
  const v = await registry.getVersion(T, M, version);
  const file = filesOf(registry).pathOf(T, v!.artifact.sha256);
  const bytes = readFileSync(file);
  bytes[100] = bytes[100]! ^ 0x01;
  writeFileSync(file, bytes);
}

describe('model cache', () => {
  test('loads the champion lazily, on the first get, and then answers from memory', async () => {
    const h = await harness();
    await h.promote(await h.register(v1Bytes));
    assert.deepEqual(h.cache.stats(), { maxBytes: 256 * 1024 * 1024, entries: 0, bytes: 0, hits: 0, misses: 0, loads: 0, evictions: 0, loadErrors: 0, retiring: 0 });
    const served = await h.cache.get(T, M);
    assert.equal(served.version.version, 1);
    assert.equal(served.version.name, 'failure_tenant_1_v1');
    assert.equal(served.predictor.kind, 'gbdt');
    assert.ok(maxAbsDiff(await probabilities(served.predictor), v1Expected) <= 1e-9);
    const again = await h.cache.get(T, M);
    assert.equal(again, served, 'the same object, no reload');
    assert.deepEqual(h.cache.stats(), { maxBytes: 256 * 1024 * 1024, entries: 1, bytes: v1Bytes.length, hits: 1, misses: 1, loads: 1, evictions: 0, loadErrors: 0, retiring: 0 });
    assert.equal(h.cache.lastError(T, M), null);
  });

  test('concurrent gets of a model not yet loaded share one load', async () => {
    const h = await harness();
    await h.promote(await h.register(v1Bytes));
    await h.promote(await h.register(v1Bytes, T, 'other'), T, 'other');
    const checks: unknown[] = [];
    h.cache.events.on('model:unchanged', (e) => checks.push(e));
    const all = await Promise.all([...Array.from({ length: 20 }, () => h.cache.get(T, M)), ...Array.from({ length: 5 }, () => h.cache.get(T, 'other'))]);
    assert.equal(h.cache.stats().loads, 2, 'one load per model');
    assert.deepEqual(checks, [], 'the other gets joined the load instead of queueing checks of their own');
    assert.equal(h.cache.stats().misses, 25);
    assert.ok(all.slice(0, 20).every((m) => m.predictor === all[0]!.predictor));
    assert.ok(all.slice(20).every((m) => m.predictor === all[20]!.predictor));
    assert.notEqual(all[0]!.predictor, all[20]!.predictor);
  });

  test('a model without a champion is NS_NOT_FOUND, remembered for recheckMs; refresh or the recheck lets it load', async () => {
    const h = await harness();
    await assert.rejects(h.cache.get(T, M), nsError('NS_NOT_FOUND', /model "failure" of tenant "tenant_1" has no champion: promote a version before serving it/));
    assert.match(String(h.cache.lastError(T, M)), /has no champion/);
    await h.promote(await h.register(v1Bytes));
    await assert.rejects(h.cache.get(T, M), nsError('NS_NOT_FOUND', /no champion/), 'the failure is remembered (no store read per request)');
    h.clock.advance(5_000);
    assert.equal((await h.cache.get(T, M)).version.version, 1, 'retried after recheckMs');
    assert.equal(h.cache.lastError(T, M), null);
    assert.equal(h.cache.stats().loadErrors, 0, '"no champion" is not a load error');

    await assert.rejects(h.cache.get(T, 'later'), nsError('NS_NOT_FOUND', /model "later"/));
    await h.promote(await h.register(v2Bytes, T, 'later'), T, 'later');
    await h.cache.refresh(T, 'later'); // what the engine calls after a promotion
    assert.equal((await h.cache.get(T, 'later')).version.version, 1);
    await assert.rejects(h.cache.get(T, 'Bad Name'), nsError('NS_VALIDATION', /modelName/));
  });

  test('hot swap: refresh after a promotion serves the new champion; a caller holding the old one still predicts with it', async () => {
    const h = await harness();
    await h.promote(await h.register(v1Bytes));
    const old = await h.cache.get(T, M);
    await h.promote(await h.register(v2Bytes));
    assert.equal((await h.cache.get(T, M)).version.version, 1, 'no recheck yet: still v1');
    const loaded = h.cache.events.waitFor('model:loaded', (e) => e.version === 2);
    await h.cache.refresh(T, M);
    assert.deepEqual(await loaded.then((e) => [e.version, e.previousVersion]), [2, 1]);
    const fresh = await h.cache.get(T, M);
    assert.equal(fresh.version.version, 2);
    assert.ok(maxAbsDiff(await probabilities(fresh.predictor), v2Expected) <= 1e-9);
    assert.ok(maxAbsDiff(await probabilities(old.predictor), v1Expected) <= 1e-9, 'the old predictor still gives v1 predictions');
    assert.equal(h.cache.stats().bytes, v2Bytes.length);

    // A refresh that finds the same champion loads nothing.
    const unchanged = h.cache.events.waitFor('model:unchanged');
    await h.cache.refresh(T, M);
    assert.equal((await unchanged).version, 2);
    assert.equal(h.cache.stats().loads, 2);

    // Rollback is a change of champion like any other.
    await h.registry.rollback(T, M, 1, { reason: 'test' });
    await h.cache.refresh(T, M);
    assert.equal((await h.cache.get(T, M)).version.version, 1);
  });

  test('hot swap of an ONNX model: in-flight predictions finish on the old session, which is released only afterwards', async () => {
    const h = await harness();
    await h.promote(await h.register(onnxV1Bytes));
    const old = await h.cache.get(T, M);
    assert.equal(old.predictor.kind, 'onnx');
    const released: number[] = [];
    h.cache.events.on('model:released', (e) => released.push(e.version));

    // (a) A prediction running while the swap happens.
    const releasedV1 = h.cache.events.waitFor('model:released', (e) => e.version === 1);
    const inFlight = probabilities(old.predictor);
    await h.promote(await h.register(v2Bytes));
    await h.cache.refresh(T, M);
    assert.ok(maxAbsDiff(await inFlight, v1Expected) <= 1e-5, 'finished on v1');
    await releasedV1;
    assert.deepEqual(released, [1]);
    await assert.rejects(probabilities(old.predictor), nsError('NS_CONFLICT', /unloaded/), 'released for real: its session is gone');

    // (b) A caller holding the model across its own awaits with use().
    await h.promote(await h.register(onnxV1Bytes)); // the same bytes, registered as version 3
    await h.cache.refresh(T, M);
    const releasedV3 = h.cache.events.waitFor('model:released', (e) => e.version === 3);
    const result = await h.cache.use(T, M, async (served) => {
      assert.equal(served.version.version, 3);
      await h.promote(await h.register(v2Bytes));
      await h.cache.refresh(T, M);
      await new Promise<void>((resolve) => setImmediate(resolve)); // a turn of the event loop: a release would have run
      assert.equal(h.cache.stats().retiring, 1, 'replaced but still held');
      assert.ok(!released.includes(3));
      return probabilities(served.predictor);
    });
    assert.ok(maxAbsDiff(result, v1Expected) <= 1e-5);
    await releasedV3;
    assert.equal(h.cache.stats().retiring, 0);
    assert.equal((await h.cache.get(T, M)).version.version, 4);
  });

  test('recheck: after recheckMs a get still answers at once and checks the store; a promotion made elsewhere is picked up', async () => {
    const h = await harness();
    await h.promote(await h.register(v1Bytes));
    await h.cache.get(T, M);
    // Another node promotes; this cache is not told.
    await h.promote(await h.register(v2Bytes));
    h.clock.advance(4_999);
    assert.equal((await h.cache.get(T, M)).version.version, 1, 'fresh enough: not checked');
    assert.equal(h.cache.stats().loads, 1);

    h.clock.advance(1);
    const loaded = h.cache.events.waitFor('model:loaded', (e) => e.version === 2);
    const stale = await h.cache.get(T, M);
    assert.equal(stale.version.version, 1, 'stale-while-revalidate: the get did not wait for the store');
    await loaded;
    assert.equal((await h.cache.get(T, M)).version.version, 2);

    // Unchanged champion: the check costs one query, no load.
    h.clock.advance(5_000);
    const unchanged = h.cache.events.waitFor('model:unchanged');
    await h.cache.get(T, M);
    await unchanged;
    assert.equal(h.cache.stats().loads, 2);

    // The clock going back counts as stale too (no entry is trusted "from the future").
    const checked = h.cache.events.waitFor('model:unchanged');
    h.clock.advance(-3_600_000);
    await h.cache.get(T, M);
    await checked;
  });

  test('LRU eviction by bytes across tenants', async () => {
    const h = await harness({ maxBytes: Math.floor(v1Bytes.length * 2.5) });
    const tenants = ['tenant_a', 'tenant_b', 'tenant_c'];
    for (const t of tenants) await h.promote(await h.register(v1Bytes, t), t);
    await h.cache.get('tenant_a', M);
    await h.cache.get('tenant_b', M);
    await h.cache.get('tenant_a', M); // a is now more recent than b
    const evicted = h.cache.events.waitFor('model:evicted');
    await h.cache.get('tenant_c', M);
    assert.equal((await evicted).tenantId, 'tenant_b', 'the least recently used goes');
    assert.deepEqual(
      (({ entries, bytes, evictions, loads }) => ({ entries, bytes, evictions, loads }))(h.cache.stats()),
      { entries: 2, bytes: 2 * v1Bytes.length, evictions: 1, loads: 3 },
    );
    await h.cache.get('tenant_a', M);
    assert.equal(h.cache.stats().loads, 3, 'a stayed');
    await h.cache.get('tenant_b', M);
    assert.equal(h.cache.stats().loads, 4, 'b is loaded again');
    assert.equal(h.cache.stats().evictions, 2, 'and c (now least recently used) made room');

    // One model larger than maxBytes is still served.
    const tiny = await harness({ maxBytes: 10 });
    await tiny.promote(await tiny.register(v1Bytes));
    assert.equal((await tiny.cache.get(T, M)).version.version, 1);
    assert.equal(tiny.cache.stats().entries, 1);
  });

  test('a corrupted artifact of a new champion: refresh fails with the registry\'s error, kept and logged, and the old champion keeps serving', async () => {
    const h = await harness();
    await h.promote(await h.register(v1Bytes));
    await h.cache.get(T, M);
    const v2 = await h.register(v2Bytes);
    await corrupt(h.registry, v2);
    await h.promote(v2);
    // Encrypted at rest (AES-GCM): a flipped byte fails authentication before any hash is computed.
    const corrupted = /artifact of champion model "failure" version 2 \(failure_tenant_1_v2\) is corrupted: .* cannot be decoded \(segment 0 fails authentication: the bytes were modified, truncated or reordered.*\); refusing to load it/;
    const failed = h.cache.events.waitFor('model:load-failed');
    await assert.rejects(h.cache.refresh(T, M), nsError('NS_STORE', corrupted));
    assert.equal((await failed).servingVersion, 1);
    assert.match(String(h.cache.lastError(T, M)), corrupted);
    const served = await h.cache.get(T, M);
    assert.equal(served.version.version, 1, 'v1 keeps serving');
    assert.ok(maxAbsDiff(await probabilities(served.predictor), v1Expected) <= 1e-9);
    assert.equal(h.cache.stats().loadErrors, 1);

    // The periodic recheck fails the same way, once per recheckMs, and v1 still serves.
    h.clock.advance(5_000);
    const again = h.cache.events.waitFor('model:load-failed');
    assert.equal((await h.cache.get(T, M)).version.version, 1);
    await again;
    assert.equal(h.cache.stats().loadErrors, 2);
    assert.equal((await h.cache.get(T, M)).version.version, 1);
    assert.equal(h.cache.stats().loadErrors, 2, 'not re-checked before recheckMs');

    // A fresh cache (a restarted node) has nothing to fall back to: get rejects with the same clear error.
    const cold = new ModelCache({ registry: h.registry, clock: h.clock });
    try {
      await assert.rejects(cold.get(T, M), nsError('NS_STORE', corrupted));
      await assert.rejects(cold.get(T, M), nsError('NS_STORE', corrupted));
      assert.equal(cold.stats().loads, 1, 'the failure is remembered, not re-read per request');
    } finally {
      await cold.close();
    }

    // Fixed by rolling back: the error is cleared.
    await h.registry.rollback(T, M, 1, { reason: 'artifact of v2 corrupted' });
    await h.cache.refresh(T, M);
    assert.equal(h.cache.lastError(T, M), null);
  });

  test('an artifact that is intact but cannot be served fails with a clear error; the old champion keeps serving', async () => {
    const h = await harness();
    await h.promote(await h.register(v1Bytes));
    await h.cache.get(T, M);
    await h.promote(await h.register(Buffer.from('#!/bin/sh\necho my-own-format\n')));
    await assert.rejects(
      h.cache.refresh(T, M),
      nsError('NS_CONFLICT', /champion model "failure" version 2 \(failure_tenant_1_v2\) cannot be served: artifact: is not a nightshift-model artifact/),
    );
    assert.equal((await h.cache.get(T, M)).version.version, 1);
  });

  test('sync predictors from the cache keep the sync fast path', async () => {
    const h = await harness();
    await h.promote(await h.register(v1Bytes));
    const { predictor } = await h.cache.get(T, M);
    assert.ok(isSyncPredictor(predictor));
    assert.deepEqual(predictRowsSync(predictor, rows, history), await predictRows(predictor, rows, history));
  });

  test('close releases every model, waits for in-flight predictions, and refuses new gets', async () => {
    const h = await harness();
    await h.promote(await h.register(onnxV1Bytes));
    await h.promote(await h.register(v1Bytes, T, 'gbdt'), T, 'gbdt');
    const onnx = await h.cache.get(T, M);
    await h.cache.get(T, 'gbdt');
    const released: number[] = [];
    h.cache.events.on('model:released', (e) => released.push(e.version));
    const inFlight = probabilities(onnx.predictor);
    await h.cache.close();
    assert.ok(maxAbsDiff(await inFlight, v1Expected) <= 1e-5, 'the in-flight prediction finished');
    assert.deepEqual(released.sort(), [1, 1]);
    assert.deepEqual((({ entries, bytes, retiring }) => ({ entries, bytes, retiring }))(h.cache.stats()), { entries: 0, bytes: 0, retiring: 0 });
    await assert.rejects(h.cache.get(T, M), nsError('NS_SHUTTING_DOWN', /closed/));
    await assert.rejects(h.cache.refresh(T, M), nsError('NS_SHUTTING_DOWN', /closed/));
    await h.cache.close(); // idempotent
  });

  test('options are validated', async () => {
    const { registry } = await harness();
    assert.throws(() => new ModelCache({ registry, maxBytes: 0 }), nsError('NS_VALIDATION', /maxBytes: 0 is not a number of bytes/));
    assert.throws(() => new ModelCache({ registry, recheckMs: -1 }), nsError('NS_VALIDATION', /recheckMs/));
  });
});
