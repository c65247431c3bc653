/**
 * Library entry: mount nightshift inside your own Fastify/Node service.
 *
 *   const ns = await createNightshift({ config: 'nightshift.yaml' });
 *   await app.register(ns.plugin, ns.pluginOptions);   // routes inside your server
 *   await ns.start();                                 // scheduler + workers
 *   …
 *   await ns.stop();                                  // in your own shutdown hook
 */
import type { Logger } from 'pino';
import type { NightshiftPluginOptions } from './api/plugin.ts';
import { nightshiftPlugin } from './api/plugin.ts';
import type { DrainState } from './api/routes/health.ts';
import type { Clock } from './clock.ts';
import { loadSettings } from './config/load-settings.ts';
import type { Settings } from './config/types.ts';
import { Engine } from './engine.ts';
import { BackgroundBootstrap } from './models/bootstrap.ts';

export interface CreateNightshiftOptions {
  /** Complete settings; when absent they are loaded from env (and `config`, a file path). */
  settings?: Settings;
  config?: string;
  env?: NodeJS.ProcessEnv;
  logger?: Logger;
  clock?: Clock;
}

export interface Nightshift {
  engine: Engine;
  plugin: typeof nightshiftPlugin;
  pluginOptions: NightshiftPluginOptions;
  start(): void;
  stop(graceMs?: number): Promise<void>;
}

/** No signal handlers are installed: the host application owns its process lifecycle. */
export async function createNightshift(options: CreateNightshiftOptions = {}): Promise<Nightshift> {
  const settings = options.settings ?? loadSettings({ env: options.env ?? process.env, ...(options.config ? { configPath: options.config } : {}) });
  const engine = await Engine.open({ settings, ...(options.logger ? { logger: options.logger } : {}), ...(options.clock ? { clock: options.clock } : {}) });
  const drain: DrainState = { draining: false };
  const bootstrap = new BackgroundBootstrap();
  return {
    engine,
    plugin: nightshiftPlugin,
    pluginOptions: { services: engine, drain },
    // The same start as `serve`: loops, then the declared datasets and first trainings in the background.
    start: () => {
      engine.start();
      bootstrap.start(engine);
    },
    stop: async (graceMs?: number) => {
      drain.draining = true;
      await bootstrap.stop();
      await engine.close(graceMs);
    },
  };
}

export { nightshiftPlugin, Engine };
export type { Settings };
export { loadSettings } from './config/load-settings.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
export { NsError, ERROR_CODES } from './errors.ts';
// A host's own global views (every tenant's runs, schedules, models) pass ALL_TENANTS; tenant code passes its tenant.
export { ALL_TENANTS, type TenantScope } from './store/tenant-scope.ts';
