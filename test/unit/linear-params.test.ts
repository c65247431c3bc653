import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { NsError } from '../../src/errors.ts';
import { LINEAR_DEFAULTS, resolveLinearParams } from '../../src/trainers/linear/index.ts';
import { learningRateAt } from '../../src/trainers/linear/params.ts';

describe('resolveLinearParams', () => {
  it('fills defaults and freezes the result', () => {
    const p = resolveLinearParams({ task: 'binary' });
    assert.deepEqual(p, { ...LINEAR_DEFAULTS, task: 'binary' });
    assert.ok(Object.isFrozen(p));
    assert.equal(resolveLinearParams({ task: 'regression', epochs: 3, seed: undefined }).epochs, 3);
  });

  it('names the parameter and gives an example in every error', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{}, 'task', 'task=undefined: must be "binary" or "regression"; example "binary"'],
      [{ task: 'binary', learningRate: 0 }, 'learningRate', 'learningRate=0: must be a number > 0 and ≤ 10; example 0.05'],
      [{ task: 'binary', learningRateSchedule: 'cosine' }, 'learningRateSchedule', 'learningRateSchedule="cosine": must be one of constant, inverse-sqrt, inverse; example "inverse-sqrt"'],
      [{ task: 'binary', epochs: 2.5 }, 'epochs', 'epochs=2.5: must be a whole number from 1 to 100000; example 30'],
      [{ task: 'binary', batchSize: 0 }, 'batchSize', 'batchSize=0: must be a whole number from 1 to 1000000; example 32'],
      [{ task: 'binary', l2: -1 }, 'l2', 'l2=-1: must be a number ≥ 0; example 0.0001'],
      [{ task: 'binary', seed: 'x' }, 'seed', 'seed="x": must be a whole number (32-bit); example 42'],
      [{ task: 'binary', epoch: 5 }, 'epoch', 'epoch: unknown linear parameter (known: task, learningRate, learningRateSchedule, epochs, batchSize, l2, seed); example "epochs": 30'],
    ];
    for (const [input, field, message] of cases) {
      assert.throws(
        () => resolveLinearParams(input),
        (e) => e instanceof NsError && e.code === 'NS_VALIDATION' && e.field === field && e.message === message,
        field,
      );
    }
  });

  it('computes the learning-rate schedules', () => {
    const at = (learningRateSchedule: string, epoch: number) =>
      learningRateAt(resolveLinearParams({ task: 'binary', learningRate: 0.1, learningRateSchedule }), epoch);
    assert.equal(at('constant', 8), 0.1);
    assert.equal(at('inverse-sqrt', 3), 0.05);
    assert.equal(at('inverse', 4), 0.02);
  });
});
