/**
 * ALL_TENANTS lets a query see every tenant's rows, so only code whose job is cross-tenant may name
 * it. It is a plain Symbol (not Symbol.for), so naming it is the only way to get it.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { test } from 'node:test';

const ROOT = join(import.meta.dirname, '..', '..');

/** Files (or folders, ending in /) that may use ALL_TENANTS, each for a stated reason. */
const ALLOWED: Record<string, string> = {
  'src/store/': 'defines the scope and applies it to queries',
  'src/index.ts': 'exports it to library hosts for their own global views',
  'src/scheduler/scheduler.ts': "the due scan, the next wake-up and retention cover every tenant's schedules",
  'src/scheduler/decide-slots.ts': 'advances the batch of due schedules, whatever their tenants',
  'src/scheduler/schedule-sync.ts': 'schedule ids are global: an id held by another tenant must be seen to be refused',
  'src/runs/worker-pool.ts': 'the claim queue and lease recovery serve every tenant',
  'src/services/health-service.ts': 'the health report and the queue depth gauge cover every job of every tenant',
  'src/services/job-service.ts': "a job's view without a tenant is the operator's view across tenants",
  'src/api/routes/models.ts': "the operator's /api/models, unless narrowed by ?tenantId",
  'src/api/routes/runs.ts': "the operator's /api/runs, unless narrowed by ?tenantId",
  'src/api/routes/schedules.ts': "the operator's /api/schedules, unless narrowed by ?tenantId",
  'src/api/routes/alerts.ts': 'GET /api/alerts and ack without tenantId are a super admin looking at every tenant (the access table fills the tenant for everyone else)',
  'src/cli/alert-commands.ts': 'alerts without --tenant lists every tenant, as runs does',
  'src/services/monitor-service.ts': 'a monitor pass evaluates every tenant\'s models; the system view counts every tenant',
  'src/services/series-service.ts': 'GET /api/training/system-metrics is the every-tenant view (super admin only)',
  'src/cli/commands.ts': 'jobs, runs, run and cancel without --tenant are the operator looking at everything',
  'src/cli/model-commands.ts': 'models without --tenant lists every tenant',
  'src/monitor/notify/reseal-channels.ts': "rotate-master re-seals every tenant's channel settings: the master key is the service's, not a tenant's",
  'src/cli/engine-session.ts': 'a model named without --tenant is looked for across tenants, to find the one tenant that has it',
};

/** Code with comments removed, so a comment naming ALL_TENANTS is not a use of it. */
function code(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|[^:'"`])\/\/.*$/gm, '$1');
}

/** Whether the source names ALL_TENANTS in code: an import, a re-export, a dynamic import, a use. */
function usesAllTenants(source: string): boolean {
  return /\bALL_TENANTS\b/.test(code(source));
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') ? [relative(ROOT, path).split(sep).join('/')] : [];
  });
}

const allowed = (file: string) => Object.keys(ALLOWED).some((entry) => (entry.endsWith('/') ? file.startsWith(entry) : file === entry));

test('the scanner sees every way of naming ALL_TENANTS, and not its mentions in comments', () => {
  const uses = [
    "import { ALL_TENANTS } from '../store/tenant-scope.ts';",
    "import {\n  inScope,\n  ALL_TENANTS,\n  type TenantScope,\n} from '../store/tenant-scope.ts';",
    "import type { ALL_TENANTS } from './tenant-scope.ts';",
    "export { ALL_TENANTS } from './store/tenant-scope.ts';",
    "const { ALL_TENANTS: all } = await import('../store/tenant-scope.ts');",
    "import * as scope from '../store/tenant-scope.ts';\nlistRuns(x, scope.ALL_TENANTS);",
  ];
  for (const source of uses) assert.equal(usesAllTenants(source), true, source);
  const notUses = [
    "import { inScope, type TenantScope } from '../store/tenant-scope.ts';",
    '// a global view would pass ALL_TENANTS here\nlistRuns(x, tenantId);',
    '/** ALL_TENANTS is for the operator. */\nexport function list(scope: TenantScope) {}',
    'const ALL_TENANTS_SEEN = 3;',
  ];
  for (const source of notUses) assert.equal(usesAllTenants(source), false, source);
});

test('only code whose job is cross-tenant names ALL_TENANTS', () => {
  const files = sourceFiles(join(ROOT, 'src'));
  assert.ok(files.length > 100, `scanned ${files.length} files under src/`);
  const users = files.filter((f) => usesAllTenants(readFileSync(join(ROOT, f), 'utf8')));
  const outside = users.filter((f) => !allowed(f));
  assert.deepEqual(outside, [], 'these files reach every tenant; pass the tenant instead, or add the file to ALLOWED with the reason');
  // Entries that no file needs any more are dropped, so the list stays the real minimal set.
  const stale = Object.keys(ALLOWED).filter((entry) => !users.some((f) => (entry.endsWith('/') ? f.startsWith(entry) : f === entry)));
  assert.deepEqual(stale, [], 'these ALLOWED entries no longer use ALL_TENANTS; remove them');
});
