/**
 * Drift that does not cry wolf: a shift in one feature is flagged on that feature (and only it);
 * a million rows drawn from the training distribution are not flagged, and neither are 200 samples
 * of 20,000 (the false-alarm rate stated in docs: 0 of 200 here, where KS alone at α = 0.05 flags
 * about 5 %); a category the training window never saw is flagged; the dataset drifts when half its
 * columns do.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Rng } from '../../src/data/synthetic/prng.ts';
import { parseFeatureSpec } from '../../src/data/features/index.ts';
import type { RawSample, SampleColumns } from '../../src/data/types.ts';
import { compareCategorical, compareNumeric, datasetDrift, DRIFT_DEFAULTS, kolmogorovPValue, profileCategorical, profileNumeric, psiOf, type DriftThresholds } from '../../src/policy/drift.ts';
import { driftAgainstColumns, profileSamples } from '../../src/policy/profile.ts';

const rng = new Rng(7, 'drift-test');
const normal = () => {
  const u = Math.max(rng.next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.next());
};
const sample = (n: number, f: () => number) => Float64Array.from({ length: n }, f);

describe('drift', () => {
  const reference = sample(200_000, normal);
  const profile = profileNumeric(reference);

  test('a shifted feature is flagged, by PSI and by KS; an unshifted one is not', () => {
    const shifted = compareNumeric('temperature', profile, sample(50_000, () => normal() + 0.5), DRIFT_DEFAULTS);
    assert.equal(shifted.drifted, true);
    assert.deepEqual(shifted.by, ['psi', 'ks']);
    assert.ok(shifted.psi > 0.2, `psi ${shifted.psi}`);
    assert.ok(shifted.ks!.d > 0.15 && shifted.ks!.pValue < 1e-6, JSON.stringify(shifted.ks));
    const same = compareNumeric('pressure', profile, sample(50_000, normal), DRIFT_DEFAULTS);
    assert.equal(same.drifted, false, JSON.stringify(same));
    const dataset = datasetDrift([shifted, same], DRIFT_DEFAULTS);
    assert.equal(dataset.driftedShare, 0.5);
    assert.equal(dataset.drifted, true, 'half the columns drifted: the dataset drifts');
    assert.equal(datasetDrift([shifted, same, compareNumeric('rpm', profile, sample(50_000, normal), DRIFT_DEFAULTS)], DRIFT_DEFAULTS).drifted, false, 'a third is not enough');
  });

  test("a column's thresholds: its PSI just below, at and just above `psi`; its KS effect just below, at and just above `ksMinEffect`", () => {
    const recent = sample(20_000, () => normal() + 0.25);
    const c = compareNumeric('x', profile, recent, DRIFT_DEFAULTS);
    const by = (t: Partial<DriftThresholds>) => compareNumeric('x', profile, recent, { ...DRIFT_DEFAULTS, ...t }).by;
    const { psi } = c;
    const d = c.ks!.d;
    assert.ok(c.ks!.pValue < 1e-6, 'significant: only the effect size decides');
    // A threshold just above the value is the value just below it.
    assert.deepEqual([by({ psi: psi * 1.001, ksMinEffect: 1 }), by({ psi, ksMinEffect: 1 }), by({ psi: psi * 0.999, ksMinEffect: 1 })], [[], ['psi'], ['psi']]);
    assert.deepEqual([by({ psi: 100, ksMinEffect: d * 1.001 }), by({ psi: 100, ksMinEffect: d }), by({ psi: 100, ksMinEffect: d * 0.999 })], [[], ['ks'], ['ks']]);
    assert.deepEqual(by({ psi: 100, ksMinEffect: d, ksAlpha: c.ks!.pValue }), [], 'and p must be below ksAlpha');
  });

  test('a million rows of the training distribution are not flagged, though KS alone would call them significant at small effects', () => {
    const million = compareNumeric('x', profile, sample(1_000_000, normal), DRIFT_DEFAULTS);
    assert.equal(million.drifted, false, JSON.stringify(million));
    assert.ok(million.psi < 0.01, `psi ${million.psi}`);
    assert.ok(million.ks!.d < 0.01, `D ${million.ks!.d}`);
    // A tiny real difference at large n: significant for KS, too small to matter; not drift.
    const tiny = compareNumeric('x', profile, sample(1_000_000, () => normal() + 0.03), DRIFT_DEFAULTS);
    assert.ok(tiny.ks!.pValue < 0.05, `p ${tiny.ks!.pValue}: KS alone would flag it`);
    assert.equal(tiny.drifted, false, 'the effect size is below ksMinEffect and PSI below 0.2');
  });

  test('false alarms: 0 of 200 samples of 20,000 rows from the training distribution', () => {
    let alarms = 0;
    let ksOnly = 0;
    for (let trial = 0; trial < 200; trial++) {
      const c = compareNumeric('x', profile, sample(20_000, normal), DRIFT_DEFAULTS);
      if (c.drifted) alarms++;
      if (c.ks!.pValue < 0.05) ksOnly++;
    }
    assert.equal(alarms, 0);
    assert.ok(ksOnly > 0 && ksOnly < 30, `KS p < 0.05 alone: ${ksOnly} of 200 (about 5 % expected)`);
  });

  test('a category the training window never saw is flagged, naming it', () => {
    const values = (n: number, pick: () => string | null) => Array.from({ length: n }, pick);
    const ref = profileCategorical(values(10_000, () => (rng.next() < 0.5 ? 'A' : 'B')));
    const withNew = compareCategorical('model', ref, values(5_000, () => (rng.next() < 0.3 ? 'C' : rng.next() < 0.5 ? 'A' : 'B')), DRIFT_DEFAULTS);
    assert.equal(withNew.drifted, true, `psi ${withNew.psi}`);
    assert.equal(withNew.newCategories?.[0]?.value, 'C');
    assert.ok(Math.abs(withNew.newCategories![0]!.share - 0.3) < 0.03);
    const same = compareCategorical('model', ref, values(5_000, () => (rng.next() < 0.5 ? 'A' : 'B')), DRIFT_DEFAULTS);
    assert.equal(same.drifted, false);
    assert.deepEqual(same.newCategories, []);
  });

  test('missing values count in PSI (their own bin), not in KS', () => {
    const withGaps = sample(50_000, () => (rng.next() < 0.4 ? Number.NaN : normal()));
    const c = compareNumeric('x', profile, withGaps, DRIFT_DEFAULTS);
    assert.ok(c.psi > 0.2, `40 % missing where the reference had none: psi ${c.psi}`);
    assert.ok(c.ks!.d < 0.02, 'the present values have the same distribution');
  });

  test("PSI's bins: a value's bin read from its KS grid cell is the bin counting the edges below it gives", () => {
    const values = sample(30_000, () => (rng.next() < 0.05 ? Number.NaN : normal() * 1.3 + 0.2));
    const bins = new Array<number>(profile.edges.length + 1).fill(0);
    let present = 0;
    for (const v of values) {
      if (!Number.isFinite(v)) continue;
      present++;
      bins[profile.edges.filter((e) => e < v).length]!++;
    }
    const missing = (values.length - present) / values.length;
    const expected = psiOf([...profile.shares.map((s) => s * (1 - profile.missing)), profile.missing], [...bins.map((b) => (b / present) * (1 - missing)), missing]);
    const got = compareNumeric('x', profile, values, DRIFT_DEFAULTS).psi;
    assert.ok(Math.abs(got - expected) < 1e-9, `psi ${got} vs counted ${expected}`);
  });

  test('a window in columns (what the assessor reads) drifts as its rows do: numeric, categorical codes, a new category, an absent column, the newest rows only', () => {
    const spec = parseFeatureSpec({ continuous: ['temperature', 'pressure', 'absent'], categorical: ['model'] });
    const reference: RawSample[] = Array.from({ length: 20_000 }, (_, i) => ({ entity: `m${i % 10}`, ts: i, values: { temperature: normal(), pressure: normal(), model: rng.next() < 0.5 ? 'A' : 'B' }, label: null }));
    const profile = profileSamples(reference, spec, { since: 0, until: 20_000 });
    // Old rows first (unshifted), then the recent ones: only these should be read.
    const categories = ['A', 'B', 'C'];
    const rows = 30_000;
    const from = 10_000;
    const temperature = new Float64Array(rows);
    const pressure = new Float64Array(rows);
    const model = new Float64Array(rows);
    for (let i = 0; i < rows; i++) {
      const recent = i >= from;
      temperature[i] = normal() + (recent ? 0.6 : 0);
      pressure[i] = rng.next() < 0.01 ? Number.NaN : normal();
      model[i] = recent && rng.next() < 0.3 ? 2 : rng.next() < 0.5 ? 0 : 1;
    }
    const window: SampleColumns = {
      rows,
      features: [{ name: 'temperature', type: 'numeric' }, { name: 'model', type: 'categorical', categories }, { name: 'pressure', type: 'numeric' }],
      columns: [temperature, model, pressure],
      ts: Float64Array.from({ length: rows }, (_, i) => i),
      label: new Float64Array(rows).fill(Number.NaN),
      entityIndex: Int32Array.from({ length: rows }, (_, i) => i % 10),
      entities: Array.from({ length: 10 }, (_, e) => `m${e}`),
    };
    const drift = driftAgainstColumns(profile, window, DRIFT_DEFAULTS, from);
    assert.equal(drift.rows, rows - from);
    const byName = new Map(drift.columns.map((c) => [c.column, c]));
    // The same statistics on the recent rows' values as rows would give them.
    const tail = (c: Float64Array) => c.slice(from);
    assert.deepEqual(byName.get('temperature'), compareNumeric('temperature', profile.columns.temperature as never, tail(temperature), DRIFT_DEFAULTS));
    assert.deepEqual(byName.get('pressure'), compareNumeric('pressure', profile.columns.pressure as never, tail(pressure), DRIFT_DEFAULTS));
    assert.deepEqual(byName.get('absent'), compareNumeric('absent', profile.columns.absent as never, new Float64Array(rows - from).fill(Number.NaN), DRIFT_DEFAULTS));
    const modelRef = profile.columns.model as Parameters<typeof compareCategorical>[1];
    const modelDrift = byName.get('model')!;
    const expected = compareCategorical('model', modelRef, Array.from(tail(model), (c) => categories[c]!), DRIFT_DEFAULTS);
    assert.equal(modelDrift.psi, expected.psi);
    assert.deepEqual(modelDrift.newCategories, expected.newCategories);
    assert.equal(modelDrift.newCategories?.[0]?.value, 'C');
    // `absent` was missing in the reference too: no drift there.
    assert.deepEqual(drift.columns.filter((c) => c.drifted).map((c) => c.column).sort(), ['model', 'temperature']);
  });

  test('PSI and the Kolmogorov p-value on hand-checked values', () => {
    assert.equal(psiOf([0.5, 0.5], [0.5, 0.5]), 0);
    assert.ok(Math.abs(psiOf([0.5, 0.5], [0.25, 0.75]) - (-0.25 * Math.log(0.5) + 0.25 * Math.log(1.5))) < 1e-12);
    assert.ok(Math.abs(kolmogorovPValue(1.36 / Math.sqrt(10_000), 10_000) - 0.05) < 0.005, 'λ = 1.36 is the 5 % point');
    assert.equal(kolmogorovPValue(0, 100), 1);
  });
});
