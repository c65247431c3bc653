/**
 * `nightshift keys create|list|revoke`: API keys from the machine that runs nightshift (whoever can
 * read its store may manage its keys). A key's text is printed once, by `create`.
 */
import type { Command } from 'commander';
import { ROLES, type Role } from '../auth/principal.ts';
import { NsError } from '../errors.ts';
import type { ApiKeyView } from '../services/key-service.ts';
import { withEngine } from './engine-session.ts';
import { iso, table } from './format.ts';
import type { CliIo } from './io.ts';

const row = (k: ApiKeyView) => ({ id: k.id, tenant: k.tenant, role: k.role, name: k.name, created: iso(k.createdAt), revoked: k.revokedAt === null ? '' : iso(k.revokedAt) });

/** The `keys` command group (API keys here, the master key in master-key-commands.ts), created once whoever adds to it first. */
export function keysCommand(program: Command): Command {
  return program.commands.find((c) => c.name() === 'keys') ?? program.command('keys').description('API keys (create, shown once; list; revoke) and the master key (rotate-master)');
}

export function addKeyCommands(program: Command, io: CliIo): void {
  const keys = keysCommand(program);

  keys
    .command('create')
    .description('create an API key for one tenant and one role (super_admin: --tenant "*"); prints its text once')
    .requiredOption('--role <role>', `one of ${ROLES.join(', ')}`)
    .option('--tenant <id>', 'the tenant it acts for ("*" for a super_admin key)')
    .option('--name <text>', 'what the key is for')
    .option('--json', 'machine-readable output')
    .action(async (opts: { role: string; tenant?: string; name?: string; json?: boolean }, cmd: Command) => {
      if (!(ROLES as readonly string[]).includes(opts.role)) throw new NsError('NS_VALIDATION', `--role: must be one of ${ROLES.join(', ')}`, { field: 'role' });
      const tenant = opts.tenant ?? (opts.role === 'super_admin' ? '*' : undefined);
      if (tenant === undefined) throw new NsError('NS_VALIDATION', `--tenant: a ${opts.role} key acts for one tenant; name it`, { field: 'tenant' });
      const created = await withEngine(cmd, io, 'declare', (s) => s.keys.create({ tenant, role: opts.role as Role, name: opts.name, createdBy: 'cli' }));
      if (opts.json) io.out(`${JSON.stringify({ key: created.key, token: created.token }, null, 2)}\n`);
      else io.out(`${created.token}\n`);
      if (!opts.json) io.err(`created ${created.key.id} (${created.key.role}, tenant ${created.key.tenant}); the key above is not shown again: send it as Authorization: Bearer <key>\n`);
    });

  keys
    .command('list')
    .description('list API keys (never their secrets)')
    .option('--tenant <id>', "only this tenant's keys")
    .option('--json', 'machine-readable output')
    .action(async (opts: { tenant?: string; json?: boolean }, cmd: Command) => {
      const list = await withEngine(cmd, io, 'existing', (s) => s.keys.list(opts.tenant ?? null));
      io.out(opts.json ? `${JSON.stringify({ keys: list }, null, 2)}\n` : `${table(list.map(row), ['id', 'tenant', 'role', 'name', 'created', 'revoked'])}\n`);
    });

  keys
    .command('revoke <id>')
    .description('revoke an API key: it stops working on the next request, on every node')
    .option('--json', 'machine-readable output')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const key = await withEngine(cmd, io, 'existing', (s) => s.keys.revoke(null, id));
      io.out(opts.json ? `${JSON.stringify(key, null, 2)}\n` : `revoked ${key.id} (${key.role}, tenant ${key.tenant})\n`);
    });
}
