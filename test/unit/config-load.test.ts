import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { checkConfig, DEFAULTS, loadSettings, type Settings } from '../../src/config/index.ts';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const load = (configPath: string, env: Record<string, string> = {}) => loadSettings({ env, cwd: fixtures, configPath });

/** What both the YAML and the JSON fixture describe. */
function assertFixture(s: Settings, file: string): void {
  assert.equal(s.configPath, path.join(fixtures, file));
  assert.equal(s.timezone, 'Europe/London');
  assert.equal(s.concurrency, 2);
  assert.equal(s.leaseMs, 45_000);
  assert.equal(s.heartbeatMs, 15_000);
  assert.deepEqual(s.http, { host: '127.0.0.1', port: 9090 });
  assert.deepEqual(s.training, { ...DEFAULTS.training, mode: 'full', timeoutMs: 5_400_000 });
  assert.deepEqual(s.tenants, [
    { id: 'acme', name: 'Acme', timezone: 'America/New_York' },
    { id: 'beta', name: 'beta', timezone: 'Europe/London' },
  ]);
  assert.deepEqual(s.jobs, [
    {
      id: 'nightly-analysis', description: '', role: 'analysis', tenants: ['acme'], after: ['etl'], env: { K: 'V' },
      kind: 'command', command: 'node', args: ['scripts/analyse.js', '--days', '7'], cwd: '.',
      timeoutMs: 7_200_000, retry: { retries: 4, backoffMs: [300_000, 900_000, 2_700_000], jitterRatio: 0.1 },
    },
    {
      id: 'etl', description: '', role: null, tenants: null, after: [], env: {}, kind: 'pipeline',
      steps: [
        { name: 'fetch', command: 'node', args: ['fetch.js'], outcomes: { '3': 'no_data' } },
        { name: 'load', command: 'node', args: ['load.js'] },
      ],
      timeoutMs: 5_400_000, retry: { retries: 3, backoffMs: [300_000, 900_000, 2_700_000], jitterRatio: 0.1 },
    },
    {
      id: 'train', description: '', role: 'training', tenants: null, after: [], env: {}, kind: 'command', command: 'node',
      args: ['train.js'], timeoutMs: 5_400_000, retry: { retries: 3, backoffMs: [300_000, 900_000, 2_700_000], jitterRatio: 0.1 },
    },
  ]);
  const policy = { jitterMs: 0, misfireGraceMs: 3_600_000, catchUp: 'latest', catchUpMax: 10, overlap: 'skip', enabled: true };
  assert.deepEqual(s.schedules, [
    { ...policy, id: 'acme-nightly', tenantId: 'acme', jobId: 'nightly-analysis', cron: '0 2 * * *', everyMs: null, timezone: 'America/New_York', jitterMs: 300_000 },
    { ...policy, id: 'acme-etl', tenantId: 'acme', jobId: 'etl', cron: null, everyMs: 21_600_000, timezone: 'America/New_York' },
    { ...policy, id: 'beta-train', tenantId: 'beta', jobId: 'train', cron: '30 4 * * 1', everyMs: null, timezone: 'Europe/London', catchUp: 'all', catchUpMax: 3, overlap: 'queue_one', enabled: false },
    // Implicit: "train" has role training and no explicit schedule for acme.
    { ...policy, id: 'acme.train', tenantId: 'acme', jobId: 'train', cron: '0 2 * * *', everyMs: null, timezone: 'America/New_York' },
  ]);
}

describe('config: loading', () => {
  it('loads the YAML fixture', () => assertFixture(load('nightshift.yaml'), 'nightshift.yaml'));
  it('loads the equivalent JSON fixture', () => assertFixture(load('nightshift.json'), 'nightshift.json'));

  it('finds the file through NIGHTSHIFT_CONFIG', () => {
    const s = loadSettings({ env: { NIGHTSHIFT_CONFIG: 'nightshift.yaml' }, cwd: fixtures });
    assert.equal(s.configPath, path.join(fixtures, 'nightshift.yaml'));
  });

  it('lets env win over the file for scalars', () => {
    const s = load('nightshift.yaml', {
      NIGHTSHIFT_CONCURRENCY: '8',
      ML_TRAINING_MODE: 'incremental',
      TRAINING_TIMEOUT_HOURS: '3',
      TRAINING_RETRY_ATTEMPTS: '5',
      NIGHTSHIFT_TIMEZONE: 'Asia/Tokyo',
    });
    assert.equal(s.concurrency, 8);
    assert.equal(s.training.mode, 'incremental');
    assert.equal(s.timezone, 'Asia/Tokyo');
    assert.equal(s.leaseMs, 45_000, 'file value kept where env is silent');
    assert.equal(s.tenants.find((t) => t.id === 'beta')?.timezone, 'Asia/Tokyo');
    const byId = new Map(s.jobs.map((j) => [j.id, j]));
    assert.equal(byId.get('train')?.timeoutMs, 10_800_000, 'no explicit timeout: TRAINING_TIMEOUT_HOURS');
    assert.equal(byId.get('train')?.retry.retries, 5, 'no explicit retry: TRAINING_RETRY_ATTEMPTS (retries)');
    assert.equal(byId.get('nightly-analysis')?.timeoutMs, 7_200_000, 'explicit timeout kept');
    assert.equal(byId.get('nightly-analysis')?.retry.retries, 4, 'explicit retries kept');
  });

  it('checks heartbeat against a lease that came from the file', () => {
    assert.throws(() => load('nightshift.yaml', { NIGHTSHIFT_HEARTBEAT: '1m' }), {
      message: 'NIGHTSHIFT_HEARTBEAT="1m": must be shorter than the lease (45000 ms); example "15s"',
    });
  });

  it('builds implicit schedules from ML_TRAINING_* for the default tenant', () => {
    const s = load('minimal.yaml', { ML_TRAINING_SCHEDULE: '0 1 * * 0', ML_TRAINING_ENABLED: 'false', NIGHTSHIFT_TIMEZONE: 'Europe/Berlin' });
    assert.deepEqual(s.tenants, [{ id: 'default', name: 'Default', timezone: 'Europe/Berlin' }]);
    assert.deepEqual(s.schedules, [
      {
        id: 'default.train', tenantId: 'default', jobId: 'train', cron: '0 1 * * 0', everyMs: null, timezone: 'Europe/Berlin',
        enabled: false, jitterMs: 0, misfireGraceMs: 3_600_000, catchUp: 'latest', catchUpMax: 10, overlap: 'skip',
      },
    ]);
  });

  it('uses ANALYSIS_SCHEDULE for analysis jobs without an explicit schedule', () => {
    const s = load('nightshift.yaml', { ANALYSIS_SCHEDULE: '15 5 * * *', ML_TRAINING_SCHEDULE: '0 4 * * *' });
    const implicit = s.schedules.filter((x) => x.id.includes('.'));
    assert.deepEqual(implicit.map((x) => [x.id, x.cron]), [['acme.train', '0 4 * * *']], 'acme already has acme-nightly');
  });

  it('returns a deep-frozen object', () => {
    const s = load('nightshift.yaml') as unknown as Record<string, any>;
    assert.ok(Object.isFrozen(s));
    assert.throws(() => { s.concurrency = 99; }, TypeError);
    assert.throws(() => { s.training.mode = 'full'; }, TypeError);
    assert.throws(() => { s.jobs.push({}); }, TypeError);
    assert.throws(() => { s.jobs[0].retry.backoffMs[0] = 1; }, TypeError);
    assert.throws(() => { s.schedules[0].enabled = false; }, TypeError);
    assert.throws(() => { s.jobs[1].steps[0].outcomes['4'] = 'x'; }, TypeError);
  });

  it('summarises the config for `nightshift config check`', () => {
    const text = checkConfig({ env: { NIGHTSHIFT_NODE_ID: 'worker-1' }, cwd: fixtures, configPath: 'nightshift.yaml' });
    const lines = text.split('\n');
    assert.equal(lines[0], `config file: ${path.join(fixtures, 'nightshift.yaml')}`);
    assert.ok(lines.includes('tenants (2): acme (America/New_York), beta (Europe/London)'), text);
    assert.ok(lines.includes('  etl: pipeline fetch → load (all tenants; timeout 1h 30m; 3 retries)'), text);
    assert.ok(lines.some((l) => l === '  acme.train: acme / train, at 02:00 every day (America/New_York), cron "0 2 * * *" (implicit)'), text);
    assert.ok(lines.some((l) => l.startsWith('  beta-train: ') && l.includes('disabled')), text);
  });

  it('summarises an empty config', () => {
    const text = checkConfig({ env: { DATABASE_URL: 'postgres://app:pw@db:5432/ns' }, cwd: fixtures });
    assert.match(text, /^config file: none/);
    assert.match(text, /store: PostgreSQL at postgres:\/\/app:\*\*\*@db:5432\/ns/);
    assert.match(text, /jobs \(0\): none/);
  });
});
