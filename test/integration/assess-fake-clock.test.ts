/**
 * The retrain rules through assessModel (what the train job's `decide` stage calls) on a real
 * SQLite store with a fake clock: the champion registered and promoted at a fixed time, samples
 * written after its training window, the clock moved around each threshold. Each rule just below,
 * at and just above it, and `any` / `all` over the same stored evidence; drift on the stored
 * profile: one shifted column flagged on that column, a new category flagged, an unchanged window
 * not flagged.
 */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { defineDataset } from '../../src/data/ingest/dataset-service.ts';
import { syntheticSchema } from '../../src/data/synthetic/index.ts';
import type { RawSample } from '../../src/data/types.ts';
import { parseFeatureSpec } from '../../src/data/features/index.ts';
import { assessModel } from '../../src/policy/assessor.ts';
import { profileSamples } from '../../src/policy/profile.ts';
import { inTransaction } from '../../src/store/db.ts';
import { writeSamples } from '../../src/store/samples.ts';
import { insertTenant } from '../../src/store/tenants.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { artifactBytes, newVersion, openRegistry, type RegistryStore } from '../fixtures/registry/registry-store.ts';
import { fleetSamples } from '../fixtures/training/fleet.ts';
import { tempDir } from '../helpers/settings.ts';

const DAY = 86_400_000;
const MINUTE = 60_000;
const T = 'acme';
/** The champion's training window ends here, and it is registered (trained) right after. */
const TRAINED = Date.parse('2026-05-01T02:00:00Z');
const FEATURES = { continuous: ['temperature', 'vibration', 'pressure', 'rpm'], categorical: ['model'] };

const definition = (name: string, retrain: Record<string, unknown>) =>
  parseModelDefinition({ name, task: 'binary', dataset: 'machines', features: FEATURES, trainer: { kind: 'gbdt', params: { numTrees: 5 } }, retrain });

describe('retrain rules through assessModel, real SQLite store, fake clock', () => {
  const dir = tempDir('ns-assess-clock-');
  const clock = new ManualClock(TRAINED);
  let store: RegistryStore;
  const schema = syntheticSchema(T, 'fails_within_24h', 'machines');
  // The training window: 10 days of 12 machines; what comes after is drawn from it (same distribution).
  const window = fleetSamples({ machines: 12, days: 10, seed: 3, endMs: TRAINED - MINUTE });
  /** n labelled samples after the window, drawn from it, `map` applied (a shift, a new category). */
  const later = (n: number, startMs: number, map: (s: RawSample) => RawSample = (s) => s): RawSample[] =>
    Array.from({ length: n }, (_, i) => map({ ...window[(i * 7919) % window.length]!, entity: `late_${i % 12}`, ts: startMs + i * MINUTE }));
  const deps = () => ({ x: store.db.k, registry: store.registry, now: () => clock.now() });
  const assessNow = (def: ReturnType<typeof definition>) => assessModel(deps(), { tenantId: T, definition: def, force: false });
  const write = (rows: RawSample[]) => inTransaction(store.db, (x) => writeSamples(x, schema, rows));

  before(async () => {
    store = await openRegistry({ dataDir: dir, databaseUrl: null }, { clock });
    await inTransaction(store.db, (x) => insertTenant(x, { id: T, name: 'Acme', timezone: 'UTC' }, TRAINED));
    await defineDataset(store.db, schema, TRAINED);
    await write(window);
    const profile = profileSamples(window, parseFeatureSpec(FEATURES), { since: window[0]!.ts, until: TRAINED });
    for (const name of ['counts', 'stale', 'combined', 'drifting']) {
      const v = await store.registry.registerVersion(newVersion(T, name, { dataWindow: { since: window[0]!.ts, until: TRAINED }, profile }), artifactBytes(name));
      await store.registry.promote(T, name, v.version, { reason: 'test champion' });
    }
  });
  after(async () => {
    await store?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('minNewSamples 50: 49 stored samples since the window no, 50 yes, 51 yes', async () => {
    const def = definition('counts', { minNewSamples: 50 });
    clock.set(TRAINED + DAY);
    const rows = later(51, TRAINED + MINUTE);
    const seen: Array<[number | null, boolean]> = [];
    for (const [from, to] of [[0, 49], [49, 50], [50, 51]] as const) {
      await write(rows.slice(from, to));
      const a = await assessNow(def);
      seen.push([a.counts.newSamples, a.train]);
    }
    assert.deepEqual(seen, [[49, false], [50, true], [51, true]]);
    // A sample before the window's end is not new.
    await write([{ ...rows[0]!, entity: 'early', ts: TRAINED - 2 * MINUTE }]);
    assert.equal((await assessNow(def)).counts.newSamples, 51);
  });

  test('maxDaysSinceTraining 7: the clock 7 days minus a minute after the training no, exactly 7 no, 7 days and a minute yes', async () => {
    const def = definition('stale', { maxDaysSinceTraining: 7 });
    const verdicts = [];
    for (const at of [7 * DAY - MINUTE, 7 * DAY, 7 * DAY + MINUTE]) {
      clock.set(TRAINED + at);
      const a = await assessNow(def);
      verdicts.push([a.rules[0]!.verdict, a.reason]);
    }
    assert.deepEqual(verdicts, [['ok', 'no_training_needed'], ['ok', 'no_training_needed'], ['retrain', 'policy']]);
  });

  test('any trains when one rule holds, all only when both do, on the same stored evidence', async () => {
    // 51 new samples (from the first test): minNewSamples 50 holds; staleness holds after 30 days.
    const rules = { minNewSamples: 50, maxDaysSinceTraining: 30 };
    const any = definition('combined', { ...rules, combine: 'any' });
    const all = definition('combined', { ...rules, combine: 'all' });
    clock.set(TRAINED + 30 * DAY);
    assert.deepEqual([(await assessNow(any)).train, (await assessNow(all)).train], [true, false], 'new samples only: any yes, all no');
    clock.set(TRAINED + 30 * DAY + MINUTE);
    assert.deepEqual([(await assessNow(any)).train, (await assessNow(all)).train], [true, true], 'both: any and all yes');
    const fewer = definition('combined', { minNewSamples: 52, maxDaysSinceTraining: 30, combine: 'any' });
    clock.set(TRAINED + 30 * DAY);
    assert.equal((await assessNow(fewer)).train, false, 'neither: any no');
  });

  test('drift on the stored profile: nothing changed is quiet; a shifted column is flagged on that column alone; a new category is flagged', async () => {
    const def = definition('drifting', { drift: { share: 0.2 } });
    // The recent rows read for drift are those since the window (the counts test's 51 and what follows).
    const start = TRAINED + 2 * DAY;
    clock.set(start + 2 * DAY);
    await write(later(1_000, start));
    const quiet = await assessNow(def);
    assert.equal(quiet.train, false, JSON.stringify(quiet.drift?.columns.map((c) => [c.column, c.psi, c.ks?.d])));
    assert.deepEqual(quiet.drift?.columns.filter((c) => c.drifted), []);

    await write(later(1_000, start, (s) => ({ ...s, values: { ...s.values, temperature: (s.values.temperature as number) + 8 } })));
    const shifted = await assessNow(def);
    assert.equal(shifted.train, true);
    assert.deepEqual(shifted.drift?.columns.filter((c) => c.drifted).map((c) => c.column), ['temperature']);
    assert.match(shifted.rules[0]!.detail, /temperature \(psi\+ks\)/);

    await write(later(1_000, start, (s) => ({ ...s, values: { ...s.values, model: 'ZX-9000' } })));
    const novel = await assessNow(def);
    const model = novel.drift?.columns.find((c) => c.column === 'model');
    assert.equal(model?.drifted, true, JSON.stringify(model));
    assert.deepEqual(model?.newCategories?.map((c) => c.value), ['ZX-9000']);
    assert.ok(model!.newCategories![0]!.share > 0.9, 'all but the 51 rows of the counts test');
    assert.deepEqual(novel.drift?.columns.filter((c) => c.drifted).map((c) => c.column), ['model'], 'temperature is back to normal in these rows');
  });
});
