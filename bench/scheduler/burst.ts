/**
 * Child process. Burst create: 10,000 schedules whose slot is the same minute (`0 * * * *`), loaded with the loops
 * not started; the clock is then set 1 ms past the slot and `scheduler.tick()` is timed until every
 * run exists. Loading the schedules is setup and is not timed. Prints one JSON line.
 * argv: <sqlite|postgres>
 */
import { performance } from 'node:perf_hooks';
import { ManualClock } from '../../src/clock.ts';
import { Engine } from '../../src/engine.ts';
import { freshPostgresUrl } from '../../test/helpers/dialects.ts';
import { dropSchema } from '../lib/seed-models.ts';
import { benchLogger, fleetSettings, progress, SCHEDULES, tempDataDir } from './fleet.ts';

const LOADED_AT = Date.parse('2026-03-01T00:00:30Z');
const SLOT_AT = Date.parse('2026-03-01T01:00:00Z');

interface BurstMeasurement {
  dialect: 'sqlite' | 'postgres';
  seconds: number;
  runs: number;
  loadSeconds: number;
}

async function measureBurst(dialect: 'sqlite' | 'postgres'): Promise<BurstMeasurement> {
  const data = tempDataDir();
  const databaseUrl = dialect === 'postgres' ? await freshPostgresUrl() : null;
  try {
    const clock = new ManualClock(LOADED_AT);
    const settings = fleetSettings({ cronFor: () => '0 * * * *', dataDir: data.dir, databaseUrl });
    progress(`burst/${dialect}: loading ${SCHEDULES} schedules (setup, not timed)`);
    const loadStart = performance.now();
    const engine = await Engine.open({ settings, clock, logger: benchLogger() });
    const loadSeconds = (performance.now() - loadStart) / 1000;
    try {
      if (engine.sync.schedules.created !== SCHEDULES) throw new Error(`expected ${SCHEDULES} schedules created, got ${JSON.stringify(engine.sync.schedules)}`);
      clock.set(SLOT_AT + 1);
      progress(`burst/${dialect}: loaded in ${loadSeconds.toFixed(1)} s; ticking at slot + 1 ms`);
      const start = performance.now();
      let fired = 0;
      for (let ticks = 0; fired < SCHEDULES; ticks++) {
        if (ticks === 10) throw new Error(`only ${fired} of ${SCHEDULES} runs after 10 ticks`);
        fired += (await engine.scheduler.tick()).fired;
      }
      const seconds = (performance.now() - start) / 1000;
      const runs = await engine.db.k
        .selectFrom('runs')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .where('status', '=', 'queued')
        .where('slot_at', '=', SLOT_AT)
        .executeTakeFirstOrThrow();
      if (Number(runs.n) !== SCHEDULES) throw new Error(`expected ${SCHEDULES} queued runs for the slot, found ${runs.n}`);
      progress(`burst/${dialect}: ${SCHEDULES} runs created in ${seconds.toFixed(3)} s`);
      return { dialect, seconds, runs: Number(runs.n), loadSeconds };
    } finally {
      await engine.close(1_000);
    }
  } finally {
    data.remove();
    if (databaseUrl) await dropSchema(databaseUrl);
  }
}

const dialect = process.argv[2];
if (dialect !== 'sqlite' && dialect !== 'postgres') throw new Error(`expected "sqlite" or "postgres", got "${dialect}"`);
process.stdout.write(`${JSON.stringify(await measureBurst(dialect))}\n`);
