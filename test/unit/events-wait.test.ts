/** events.waitFor: a wait ends with its event or with a named timeout, never with the process quietly exiting. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { EngineEvents } from '../../src/events.ts';

test('waitFor resolves with the first matching payload and ignores the others', async () => {
  const events = new EngineEvents();
  const wait = events.waitFor('run:requeued', (p) => p.runId === 'b');
  events.emit('run:requeued', { runId: 'a', reason: 'shutdown' });
  events.emit('run:requeued', { runId: 'b', reason: 'shutdown' });
  assert.equal((await wait).runId, 'b');
});

test('a pending wait keeps the process alive until it times out with the event named', () => {
  // With nothing else to do, the process must report the wait that never ended, not exit 0 in silence.
  const script = `
    import { EngineEvents } from ${JSON.stringify(new URL('../../src/events.ts', import.meta.url).pathname)};
    await new EngineEvents().waitFor('run:finished', () => true, 300);`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { encoding: 'utf8' });
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /timed out after 300 ms waiting for run:finished/);
});
