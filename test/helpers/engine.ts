import { ManualClock, type Clock } from '../../src/clock.ts';
import type { Settings } from '../../src/config/types.ts';
import { Engine } from '../../src/engine.ts';
import type { StoreTarget } from './dialects.ts';
import { makeSettings } from './settings.ts';

export interface TestEngine {
  engine: Engine;
  clock: ManualClock;
  close(): Promise<void>;
}

/** An engine over a fresh store with loops NOT started: tests drive tick()/claimAndStart() themselves. */
export async function openTestEngine(target: StoreTarget, o: Partial<Settings> & { start?: string | number; clock?: Clock } = {}): Promise<TestEngine> {
  const { start, clock: given, ...rest } = o;
  const clock = (given as ManualClock | undefined) ?? new ManualClock(start ?? '2026-03-01T00:00:00Z');
  const settings = makeSettings({ ...rest, dataDir: target.dataDir, databaseUrl: target.databaseUrl });
  const engine = await Engine.open({ settings, clock });
  return { engine, clock, close: () => engine.close(1_000) };
}

export const HOUR = 3_600_000;
export const MINUTE = 60_000;
