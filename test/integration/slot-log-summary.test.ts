/**
 * After downtime the scheduler decides many slots at once. Each keeps its slot:decided event and
 * its stored fate, but the slots that ended without a run (coalesced into a later one, skipped by
 * the catch-up policy, missed beyond the grace) are logged as one summary line, not one line each;
 * the slots that queued a run keep their own line.
 */
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import pino from 'pino';
import { ManualClock } from '../../src/clock.ts';
import { Engine } from '../../src/engine.ts';
import type { EngineEventMap } from '../../src/events.ts';
import { emptyJob, makeSettings, schedule } from '../helpers/settings.ts';

type Line = Record<string, unknown> & { msg: string; level: number };

test('20 minutes down: one line per slot that queued a run, one summary line for the rest; every slot keeps its event', async () => {
  const lines: Line[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString().split('\n')) if (text) lines.push(JSON.parse(text) as Line);
      done();
    },
  });
  const settings = makeSettings({
    logLevel: 'info',
    jobs: [emptyJob('noop')],
    schedules: [
      schedule('a-every-minute', 'noop', { cron: '* * * * *' }),
      schedule('b-every-minute', 'noop', { cron: '* * * * *', tenantId: 'globex' }),
      schedule('c-short-grace', 'noop', { cron: '* * * * *', misfireGraceMs: 5 * 60_000 }),
    ],
  });
  const clock = new ManualClock('2026-03-01T00:00:30Z');
  const engine = await Engine.open({ settings, clock, logger: pino({ level: 'info' }, sink) });
  try {
    const decided: Array<EngineEventMap['slot:decided']> = [];
    engine.events.on('slot:decided', (e) => decided.push(e));
    clock.set('2026-03-01T00:21:30Z');
    const from = lines.length;
    await engine.scheduler.tick();
    const slotLines = lines.slice(from).filter((l) => /^slot/.test(l.msg));

    assert.equal(decided.length, 63, 'every slot from 00:01 to 00:21 of each schedule has its event');
    const withRun = decided.filter((e) => e.runId !== null);
    const quiet = decided.filter((e) => e.runId === null);
    assert.equal(withRun.length, 3, 'each schedule fires its latest slot (c\'s run is skipped: a\'s run of the same job and tenant is queued)');
    const missed = quiet.filter((e) => e.fate === 'missed').length;
    assert.ok(missed > 0 && missed < quiet.length, `missed ${missed} of ${quiet.length}`);

    const perSlot = slotLines.filter((l) => l.msg !== 'slots coalesced or missed');
    assert.deepEqual(perSlot.map((l) => [l.msg, l.fate, l.scheduleId]).sort(), withRun.map((e) => [e.fate === 'skipped' ? 'slot skipped' : 'slot fired', e.fate, e.scheduleId]).sort(), 'the slots that queued a run keep their line');
    const summaries = slotLines.filter((l) => l.msg === 'slots coalesced or missed');
    assert.equal(summaries.length, 1, `one summary line, not ${quiet.length}: ${JSON.stringify(slotLines.map((l) => l.msg))}`);
    const summary = summaries[0]!;
    assert.equal(summary.level, 40, 'at warn: some slots were missed');
    assert.equal(summary.slots, quiet.length);
    assert.equal(summary.missed, missed);
    assert.equal(summary.skipped, quiet.length - missed);
    assert.equal(summary.schedules, 3);
    assert.equal(summary.from, '2026-03-01T00:01:00.000Z');
    assert.equal(summary.to, '2026-03-01T00:20:00.000Z');
    const bySchedule = summary.bySchedule as Array<{ scheduleId: string; missed: number; skipped: number }>;
    assert.deepEqual(bySchedule.map((s) => s.scheduleId).sort(), ['a-every-minute', 'b-every-minute', 'c-short-grace']);
    assert.deepEqual(bySchedule.find((s) => s.scheduleId === 'a-every-minute'), { scheduleId: 'a-every-minute', tenantId: 'acme', missed: 0, skipped: 20, from: '2026-03-01T00:01:00.000Z', to: '2026-03-01T00:20:00.000Z' });
    assert.ok(slotLines.length <= 4, `${slotLines.length} lines`);
  } finally {
    await engine.close(1_000);
  }
});
