/** WAL checkpoints at quiet moments: a short quiet moment only once enough COMMITs wait to be copied. */
import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { IdleCheckpoint } from '../../src/store/idle-checkpoint.ts';

describe('idle checkpoint', () => {
  test('a short quiet moment checkpoints once minCommits COMMITs wait; fewer wait for the long quiet', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let checkpoints = 0;
      const idle = new IdleCheckpoint(async () => void checkpoints++, 20, 3, 1_000);
      idle.committed();
      idle.idle();
      mock.timers.tick(20);
      await Promise.resolve();
      assert.equal(checkpoints, 0, 'one COMMIT waits: not at a short quiet moment');
      idle.busy();
      idle.committed();
      idle.committed();
      idle.idle();
      mock.timers.tick(20);
      await Promise.resolve();
      assert.equal(checkpoints, 1, 'three COMMITs wait: checkpointed after the short quiet');

      idle.committed();
      idle.idle();
      mock.timers.tick(999);
      await Promise.resolve();
      assert.equal(checkpoints, 1);
      mock.timers.tick(1);
      await Promise.resolve();
      assert.equal(checkpoints, 2, 'a lone COMMIT is checkpointed after the long quiet');

      idle.idle();
      mock.timers.tick(5_000);
      await Promise.resolve();
      assert.equal(checkpoints, 2, 'nothing committed since: no checkpoint');
      await idle.stop();
    } finally {
      mock.timers.reset();
    }
  });
});
