/**
 * transformForServing's fast paths (a spec without history features; rows of one entity; one row,
 * whose lags and windows are computed for that row alone) give bit for bit what the general path
 * gives. The general path runs when the rows belong to several entities, so each case is compared
 * with the same rows plus a row of another entity. Random data with the awkward cases: missing
 * values, equal times, 0 and −0, constant windows (the re-anchoring branch), history out of order,
 * history after the row, history of other entities.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildTrainingSet, parseFeatureSpec, transformForServing, type FeatureSpec } from '../../src/data/features/index.ts';
import { Rng } from '../../src/data/synthetic/index.ts';
import type { DatasetSchema, RawSample } from '../../src/data/types.ts';
import type { Matrix } from '../../src/trainers/types.ts';

const schema: DatasetSchema = {
  id: 'fast',
  tenantId: 'acme',
  entityKey: 'device',
  timestamp: 'ts',
  features: [
    { name: 'raw_a', type: 'numeric', nullable: true },
    { name: 'b', type: 'numeric', nullable: true },
    { name: 'c', type: 'categorical', nullable: true },
  ],
  label: { name: 'y', type: 'binary', nullable: true },
};

const withHistory = parseFeatureSpec({
  columnMapping: { raw_a: 'a' },
  continuous: ['a', 'b'],
  categorical: ['c'],
  lags: [{ column: 'a', lagSeconds: 30 }, { column: 'b', lagSeconds: 90 }],
  rolling: [
    { column: 'a', windowSeconds: 60, stats: ['max', 'mean'] },
    { column: 'b', windowSeconds: 200 },
    { column: 'a', windowSeconds: 45, stats: ['std', 'min'] },
  ],
});
const plain = parseFeatureSpec({ columnMapping: { raw_a: 'a' }, continuous: ['a', 'b'], categorical: ['c'] });

/** Bit-exact, NaN = NaN (a NaN's payload is not compared), 0 ≠ −0. */
const same = (a: number, b: number) => Object.is(a, b);

function assertRowsEqual(a: Matrix, ai: number, b: Matrix, bi: number, what: string): void {
  assert.equal(a.columns.length, b.columns.length);
  a.columns.forEach((c, f) => assert.ok(same(c[ai]!, b.columns[f]![bi]!), `${what}: feature ${f}: ${c[ai]} vs ${b.columns[f]![bi]}`));
}

function randomSamples(rng: Rng, constantish: boolean): RawSample[] {
  const value = (): number | string | null => {
    const r = rng.next();
    if (constantish && r < 0.7) return [5, 5, 5, -0, 0, 1e6 + 0.1, null][Math.floor(rng.next() * 7)]!;
    if (r < 0.08) return null;
    if (r < 0.11) return 5;
    if (r < 0.13) return -0;
    if (r < 0.15) return '7.5';
    return Math.round((rng.next() * 200 - 100) * 1000) / 1000;
  };
  const entities = ['A', 'B', 'C'].slice(0, 1 + Math.floor(rng.next() * 3));
  const out: RawSample[] = [];
  let t = 1_000_000;
  const n = 1 + Math.floor(rng.next() * 60);
  for (let i = 0; i < n; i++) {
    t += [0, 1000, 5000, 10_000, 30_000, 61_000][Math.floor(rng.next() * 6)]!;
    out.push({
      entity: entities[Math.floor(rng.next() * entities.length)]!,
      ts: rng.next() < 0.1 ? t - 20_000 : t,
      values: { raw_a: value(), b: value(), c: ['x', 'y', 'z', null][Math.floor(rng.next() * 4)]! },
      label: rng.next() < 0.5 ? 0 : 1,
    });
  }
  return out;
}

describe('serving fast paths = the general path, bit for bit', () => {
  for (const constantish of [false, true]) {
    test(`random histories${constantish ? ' with constant stretches' : ''}`, () => {
      const rng = new Rng(7, `fast-path-${constantish}`);
      let compared = 0;
      for (let iter = 0; iter < 400; iter++) {
        const samples = randomSamples(rng, constantish);
        const spec: FeatureSpec = buildTrainingSet(samples, rng.next() < 0.2 ? plain : withHistory, schema).spec;
        const other: RawSample = { entity: 'other', ts: 1_000_000, values: { raw_a: 1, b: 2, c: 'x' }, label: null };
        for (let k = 0; k < 4; k++) {
          const row = { ...samples[Math.floor(rng.next() * samples.length)]!, label: null };
          let history = samples.filter((s) => s !== row && (k === 3 || s.ts <= row.ts));
          if (k === 1) history = [...history].reverse();
          const rows = k === 2 ? samples.filter((s) => s.entity === row.entity).slice(-3).map((s) => ({ ...s, label: null })) : [row];

          const fast = transformForServing(spec, rows, history).X;
          const general = transformForServing(spec, [...rows, other], history).X;
          rows.forEach((_, i) => assertRowsEqual(fast, i, general, i, `iteration ${iter}, case ${k}, row ${i}`));
          const bare = transformForServing(spec, rows).X;
          const bareGeneral = transformForServing(spec, [...rows, other]).X;
          rows.forEach((_, i) => assertRowsEqual(bare, i, bareGeneral, i, `iteration ${iter}, case ${k}, row ${i}, no history`));
          compared += rows.length;
        }
      }
      assert.ok(compared > 1600);
    });
  }

  test('features are cached per spec and frozen; a spec without history features ignores history', () => {
    const spec = buildTrainingSet([{ entity: 'A', ts: 1, values: { raw_a: 1, b: 2, c: 'x' }, label: 1 }], plain, schema).spec;
    const row: RawSample = { entity: 'A', ts: 5, values: { raw_a: 3, b: null, c: 'x' }, label: null };
    const a = transformForServing(spec, [row]);
    const b = transformForServing(spec, [row], [{ entity: 'A', ts: Number.NaN, values: {}, label: null }]);
    assert.equal(a.features, b.features, 'one FeatureInfo array per spec');
    assert.ok(Object.isFrozen(a.features) && Object.isFrozen(a.features[2]) && Object.isFrozen(a.features[2]!.categories));
    assert.ok(!Object.isFrozen(spec.vocabulary!.c), "the spec's own vocabulary is not frozen");
    assert.deepEqual(a.X.columns.map((c) => c[0]), [3, Number.NaN, 0]);
    assertRowsEqual(a.X, 0, b.X, 0, 'history is not read');
  });

  test('a row without a valid time is refused when the spec needs history, as before', () => {
    const spec = buildTrainingSet([{ entity: 'A', ts: 1, values: { raw_a: 1, b: 2, c: 'x' }, label: 1 }], withHistory, schema).spec;
    assert.throws(() => transformForServing(spec, [{ entity: 'A', ts: Number.NaN, values: {}, label: null }]), (e: Error & { field?: string }) => e.field === 'ts');
  });
});
