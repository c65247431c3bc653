/** Several scheduler processes on one store create exactly one run per slot. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { openDb } from '../../src/store/db.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { raceProcesses } from '../helpers/race-start.ts';

const RACER = join(import.meta.dirname, '..', 'helpers', 'race-scheduler.ts');
const SCHEDULES = 4;
const SLOTS = 300; // 4 schedules × 300 minutes = 1,200 slots

for (const target of await storeTargets()) {
  const processes = target.name === 'sqlite' ? 2 : 3;
  describe(`exactly once per slot (${target.name}, ${processes} processes)`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test(`${SCHEDULES * SLOTS} slots → ${SCHEDULES * SLOTS} runs, none twice`, { timeout: 240_000 }, async () => {
      const t = await target.make();
      // Create the schema first so the racers only race on slots, not on migrations.
      const { migrate } = await import('../../src/store/migrate.ts');
      const setup = await openDb({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
      await migrate(setup);
      await setup.close();
      const args = [t.dataDir, t.databaseUrl ?? '-', '2026-03-01T00:00:00Z', String(SLOTS), String(SCHEDULES)];
      const outputs = await raceProcesses(RACER, args, processes);
      const decided = outputs.map((line) => JSON.parse(line) as { decided: number });
      const db = await openDb({ dataDir: t.dataDir, databaseUrl: t.databaseUrl });
      try {
        const slots = await db.k.selectFrom('slots').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
        const runs = await db.k.selectFrom('runs').select(['schedule_id', 'slot_at']).execute();
        const distinct = new Set(runs.map((r) => `${r.schedule_id}@${r.slot_at}`));
        assert.equal(Number(slots.n), SCHEDULES * SLOTS, 'every slot decided');
        assert.equal(runs.length, SCHEDULES * SLOTS, 'one run row per slot');
        assert.equal(distinct.size, runs.length, 'no slot has two runs');
        assert.equal(decided.reduce((a, d) => a + d.decided, 0), SCHEDULES * SLOTS, 'each slot decided by exactly one process');
        assert.ok(decided.filter((d) => d.decided > 0).length >= 2, `the work was actually shared: ${JSON.stringify(decided)}`);
      } finally {
        await db.close();
      }
    });
  });
}
