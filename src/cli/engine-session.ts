/** What every CLI command that reads or writes the store shares: an engine for one call, and its tenant. */
import type { Command } from 'commander';
import pino from 'pino';
import { loadSettings } from '../config/index.ts';
import type { Settings } from '../config/types.ts';
import { Engine } from '../engine.ts';
import { NsError } from '../errors.ts';
import type { Services } from '../services/services.ts';
import type { CliIo } from './io.ts';

/** Settings from the environment and the global --config option. */
export function settingsFrom(cmd: Command, io: CliIo): Settings {
  const { config } = cmd.optsWithGlobals<{ config?: string }>();
  return loadSettings({ env: io.env, cwd: io.cwd, ...(config ? { configPath: config } : {}) });
}

/**
 * Opens the engine (loops not started) for one command and closes it afterwards. `sync`: write the
 * config file's declarations first; commands that only read (or only move an alias) say false, so
 * they never rewrite what the service declared.
 */
export async function withEngine<T>(cmd: Command, io: CliIo, sync: boolean, fn: (services: Services) => Promise<T>): Promise<T> {
  const settings = settingsFrom(cmd, io);
  const engine = await Engine.open({ settings, logger: pino({ level: 'warn' }, pino.destination(2)), syncDefinitions: sync });
  try {
    return await fn(engine);
  } finally {
    await engine.close(0);
  }
}

/** --tenant, or the only declared tenant. */
export function tenantOf({ settings }: Pick<Services, 'settings'>, given: string | undefined): string {
  if (given) return given;
  if (settings.tenants.length === 1) return settings.tenants[0]!.id;
  throw new NsError('NS_VALIDATION', `name the tenant with --tenant (declared: ${settings.tenants.map((t) => t.id).join(', ') || 'none'})`, { field: 'tenant' });
}
