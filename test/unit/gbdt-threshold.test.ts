/**
 * Split thresholds route every value the same way in double precision (our model: x <= T) and in
 * float32 (an ONNX tree ensemble: fround(x) <= fround(T)), whenever a float32 threshold can
 * separate the two values the split is between.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { threshold } from '../../src/trainers/gbdt/binning.ts';

const f = Math.fround;
const separates = (t: number, a: number, b: number) => a <= t && b > t && f(a) <= f(t) && f(b) > f(t);

test('values between the two sampled ones route the same way in double and in float32', () => {
  // Two-decimal sensor data: 82.88 and 82.90 were sampled for the edges, 82.89 was not. A midpoint
  // threshold (fround(82.89) = 82.8899994) would send 82.89 right in double and left in float32.
  const a = 82.88;
  const b = 82.9;
  const t = threshold(a, b);
  assert.ok(separates(t, a, b));
  assert.equal(f(t), f(82.89), 'the float32 midpoint');
  for (const v of [82.881, 82.885, 82.89, 82.8900001, 82.895, 82.899, t]) assert.equal(v <= t, f(v) <= f(t), `${v} goes the same way in both precisions`);
});

test('random pairs: whenever some float32 separates them, the threshold does, and every value between routes alike', () => {
  let x = 12345;
  const rand = () => ((x = (x * 1103515245 + 12345) >>> 0) / 2 ** 32);
  let possible = 0;
  for (let i = 0; i < 20_000; i++) {
    const a = (rand() - 0.5) * 10 ** Math.floor(rand() * 8 - 2);
    const b = a + Math.abs(a) * rand() * 1e-6 + Number.MIN_VALUE;
    if (!(b > a)) continue;
    const t = threshold(a, b);
    assert.ok(a <= t && t < b, `a <= t < b for ${a}, ${b}`);
    // Some float32 separates them iff f(a) < f(b) and a float32 lies in [a, b).
    const candidates = [f(a), f(b)].flatMap((v) => [v, v + (v === 0 ? 1e-45 : Math.abs(v) * 2 ** -24)]).map(f);
    if (candidates.some((c) => separates(c, a, b))) {
      possible++;
      assert.ok(separates(t, a, b), `threshold(${a}, ${b}) = ${t} should separate them in float32 too`);
      for (let k = 0; k < 4; k++) {
        const v = a + (b - a) * rand();
        assert.equal(v <= t, f(v) <= f(t), `${v} between ${a} and ${b} routes alike around ${t}`);
      }
    }
  }
  assert.ok(possible > 1000, `enough separable pairs were tried (${possible})`);
});
