/** What every CLI command that reads or writes the store shares: an engine for one call, and its tenant. */
import { userInfo } from 'node:os';
import type { Command } from 'commander';
import { cliActor, withActor } from '../audit/actor.ts';
import pino from 'pino';
import { loadSettings } from '../config/index.ts';
import type { Settings } from '../config/types.ts';
import { Engine } from '../engine.ts';
import { NsError } from '../errors.ts';
import type { Services } from '../services/services.ts';
import { ALL_TENANTS } from '../store/tenant-scope.ts';
import type { CliIo } from './io.ts';

/** Settings from the environment and the global --config option. */
export function settingsFrom(cmd: Command, io: CliIo): Settings {
  const { config } = cmd.optsWithGlobals<{ config?: string }>();
  return loadSettings({ env: io.env, cwd: io.cwd, ...(config ? { configPath: config } : {}) });
}

/**
 * How a command uses the store. `declare`: it may create the store, and writes the config file's
 * declarations first (trigger, train, ingest, dataset define, import-onnx). `existing`: it reads,
 * or only changes what is there (a run, an alias); the store must exist, a mistyped
 * NIGHTSHIFT_DATA_DIR is refused instead of created, and nothing is written on open.
 */
export type StoreUse = 'declare' | 'existing';

/** Opens the engine (loops not started) for one command and closes it afterwards. */
export async function withEngine<T>(cmd: Command, io: CliIo, use: StoreUse, fn: (services: Services) => Promise<T>): Promise<T> {
  const settings = settingsFrom(cmd, io);
  const engine = await Engine.open({ settings, logger: pino({ level: 'warn' }, pino.destination(2)), store: use === 'existing' ? 'existing' : 'create' });
  try {
    // What the command changes is audited as this user's (cli:<user>).
    return await withActor(cliActor(localUser(io)), () => fn(engine));
  } finally {
    await engine.close(0);
  }
}

/**
 * --tenant; else the only declared tenant; else the one tenant that has the model (a model several
 * tenants have needs --tenant, and the message names them).
 */
export async function tenantOfModel(services: Pick<Services, 'settings' | 'models'>, given: string | undefined, model: string): Promise<string> {
  if (given || services.settings.tenants.length === 1) return tenantOf(services, given);
  const models = await services.models.list(ALL_TENANTS);
  const owners = models.filter((m) => m.definition.name === model).map((m) => m.tenantId);
  if (owners.length === 1) return owners[0]!;
  if (owners.length > 1) throw new NsError('NS_VALIDATION', `model "${model}" is declared for tenants ${owners.join(', ')}; name one with --tenant`, { field: 'tenant' });
  const known = [...new Set(models.map((m) => m.definition.name))].sort();
  throw new NsError('NS_NOT_FOUND', `no tenant has a model "${model}" (models: ${known.join(', ') || 'none'})`, { field: 'model', details: { model } });
}

/** --tenant, or the only declared tenant. */
export function tenantOf({ settings }: Pick<Services, 'settings'>, given: string | undefined): string {
  if (given) return given;
  if (settings.tenants.length === 1) return settings.tenants[0]!.id;
  throw new NsError('NS_VALIDATION', `name the tenant with --tenant (declared: ${settings.tenants.map((t) => t.id).join(', ') || 'none'})`, { field: 'tenant' });
}

/** The OS user running the CLI, for the audit log (USER when the account has no name). */
export function localUser(io: Pick<CliIo, 'env'>): string {
  try {
    return userInfo().username;
  } catch {
    return io.env.USER ?? 'unknown';
  }
}
