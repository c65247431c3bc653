/** Two processes on one store register and promote concurrently: versions 1..N once each, one consistent champion history. */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { storeTargets } from '../helpers/dialects.ts';
import { raceProcesses } from '../helpers/race-start.ts';
import { openRegistry } from '../fixtures/registry/registry-store.ts';

const RACER = join(import.meta.dirname, '..', 'fixtures', 'registry', 'race-registry.ts');
const PROCESSES = 2;
const REGISTRATIONS = 15;
const ROUNDS = 60;

for (const target of await storeTargets()) {
  describe(`model registry across ${PROCESSES} processes (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test(`${PROCESSES}×${REGISTRATIONS} registrations and ${PROCESSES}×${ROUNDS} conditional promotions race`, { timeout: 60_000 }, async () => {
      const t = await target.make();
      const setup = await openRegistry(t); // migrates once, before the race
      try {
        const outputs = await raceProcesses(RACER, [t.dataDir, t.databaseUrl ?? '-', String(REGISTRATIONS), String(ROUNDS)], PROCESSES);
        const results = outputs.map((line) => JSON.parse(line) as { versions: number[]; wins: number; conflicts: number });
        const all = results.flatMap((r) => r.versions).sort((a, b) => a - b);
        assert.deepEqual(all, Array.from({ length: PROCESSES * REGISTRATIONS }, (_, i) => i + 1), 'each number handed out once, no gap');
        const page = await setup.registry.listVersions('tenant_1', 'failure', { limit: 500 });
        assert.equal(page.items.length, PROCESSES * REGISTRATIONS);

        const history = [...(await setup.registry.aliasHistory('tenant_1', 'failure', { limit: 500 }))].reverse();
        const wins = results.reduce((n, r) => n + r.wins, 0);
        assert.equal(history.length, wins, 'one history row per successful promotion');
        history.forEach((h, i) => {
          assert.equal(h.revision, i + 1);
          assert.equal(h.previousVersion, i === 0 ? null : history[i - 1]!.version);
        });
        assert.equal((await setup.registry.champion('tenant_1', 'failure'))?.version, history.at(-1)?.version);
        assert.ok(results.every((r) => r.wins > 0), `both processes promoted: ${JSON.stringify(results.map(({ wins: w, conflicts: c }) => ({ w, c })))}`);
      } finally {
        await setup.close();
      }
    });
  });
}
