/**
 * Time zones are stored and shown in their canonical IANA spelling wherever one is accepted: the
 * tenant routes, the schedule routes (cron and interval), the seeds' schedule route, the config
 * file's tenants, schedules and default zone, and NIGHTSHIFT_TIMEZONE. Names are matched without
 * regard to case; a link keeps the name its user chose (Asia/Kolkata is not turned into ICU's
 * Asia/Calcutta).
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { assertTimeZone } from '../../src/schedule/index.ts';
import { getScheduleRow } from '../../src/store/schedules.ts';
import { getTenant } from '../../src/store/tenants.ts';
import { body, openTestApi, type TestApi } from '../helpers/api.ts';
import { commandJob, schedule, tempDir } from '../helpers/settings.ts';

const node = process.execPath;

test('assertTimeZone answers the canonical spelling, keeping links as chosen', () => {
  const cases: Array<[string, string]> = [
    ['america/new_york', 'America/New_York'],
    ['AMERICA/NEW_YORK', 'America/New_York'],
    ['America/New_York', 'America/New_York'],
    ['utc', 'UTC'],
    ['etc/utc', 'Etc/UTC'],
    ['etc/gmt+5', 'Etc/GMT+5'],
    ['Asia/Kolkata', 'Asia/Kolkata'],
    ['asia/kolkata', 'Asia/Kolkata'],
    ['Asia/Calcutta', 'Asia/Calcutta'],
    ['europe/kyiv', 'Europe/Kyiv'],
    ['us/eastern', 'US/Eastern'],
    ['america/argentina/buenos_aires', 'America/Argentina/Buenos_Aires'],
  ];
  assert.deepEqual(
    cases.map(([given]) => [given, assertTimeZone(given, 'timezone')]),
    cases,
  );
});

describe('over the API', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ jobs: [commandJob('quick', node, ['-e', '0']), commandJob('train', node, ['-e', '0'], { role: 'training' })], schedules: [schedule('acme.train', 'train')] });
  });
  after(async () => {
    await t.close();
  });

  test('a tenant created or changed with a lower-case zone stores and shows the IANA name', async () => {
    const created = await t.app.inject({ method: 'POST', url: '/api/tenants', payload: { id: 'initech', timezone: 'america/new_york' } });
    assert.equal(created.statusCode, 201, created.body);
    assert.equal(body(created).timezone, 'America/New_York');
    assert.equal((await getTenant(t.engine.db.k, 'initech'))?.timezone, 'America/New_York');
    const listed = body<{ tenants: Array<{ id: string; timezone: string }> }>(await t.app.inject({ url: '/api/tenants' })).tenants;
    assert.equal(listed.find((x) => x.id === 'initech')?.timezone, 'America/New_York');

    const changed = await t.app.inject({ method: 'PUT', url: '/api/tenants/initech', payload: { timezone: 'asia/kolkata' } });
    assert.equal(changed.statusCode, 200, changed.body);
    assert.equal(body(changed).timezone, 'Asia/Kolkata');
    assert.equal((await getTenant(t.engine.db.k, 'initech'))?.timezone, 'Asia/Kolkata');
  });

  test('schedules (cron and interval) store and show the IANA name; a schedule without one takes its tenant’s', async () => {
    const cron = await t.app.inject({ method: 'PUT', url: '/api/schedules/by-cron', payload: { tenantId: 'acme', jobId: 'quick', cron: '0 8 * * *', timezone: 'europe/berlin' } });
    assert.equal(cron.statusCode, 201, cron.body);
    assert.equal(body(cron).timezone, 'Europe/Berlin');
    assert.match(body<{ nextRunsLocal: string[] }>(cron).nextRunsLocal[0]!, /T08:00:00\+01:00$/);
    const every = await t.app.inject({ method: 'PUT', url: '/api/schedules/by-interval', payload: { tenantId: 'acme', jobId: 'quick', every: '6h', timezone: 'us/eastern' } });
    assert.equal(every.statusCode, 201, every.body);
    assert.equal(body(every).timezone, 'US/Eastern');
    assert.equal((await getScheduleRow(t.engine.db.k, 'acme', 'by-interval'))?.timezone, 'US/Eastern');
    assert.equal((await getScheduleRow(t.engine.db.k, 'acme', 'by-cron'))?.timezone, 'Europe/Berlin');
  });

  test('the seeds’ schedule route stores the IANA name', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/training/schedule', payload: { organizationId: 'acme', pattern: '0 2 * * *', timezone: 'australia/sydney' } });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(body<{ schedule: { timezone: string } }>(res).schedule.timezone, 'Australia/Sydney');
    assert.equal((await getScheduleRow(t.engine.db.k, 'acme', 'acme.train'))?.timezone, 'Australia/Sydney');
  });
});

test('the config file and NIGHTSHIFT_TIMEZONE: tenants, schedules and the default zone in the IANA spelling', () => {
  const dir = tempDir('ns-tz-');
  writeFileSync(
    join(dir, 'nightshift.yaml'),
    [
      'timezone: europe/london',
      'tenants:',
      '  - { id: acme, timezone: america/chicago }',
      '  - { id: beta }',
      'jobs:',
      '  - { id: quick, kind: command, command: node }',
      'schedules:',
      '  - { id: s1, tenant: acme, job: quick, cron: "0 1 * * *", timezone: asia/tokyo }',
      '  - { id: s2, tenant: beta, job: quick, every: 6h }',
      '',
    ].join('\n'),
  );
  const s = loadSettings({ env: {}, cwd: dir, configPath: 'nightshift.yaml' });
  assert.equal(s.timezone, 'Europe/London');
  assert.deepEqual(s.tenants.map((x) => [x.id, x.timezone]), [['acme', 'America/Chicago'], ['beta', 'Europe/London']]);
  assert.deepEqual(s.schedules.map((x) => [x.id, x.timezone]), [['s1', 'Asia/Tokyo'], ['s2', 'Europe/London']]);

  const fromEnv = loadSettings({ env: { NIGHTSHIFT_TIMEZONE: 'pacific/auckland' }, cwd: dir });
  assert.equal(fromEnv.timezone, 'Pacific/Auckland');
  assert.deepEqual(fromEnv.tenants.map((x) => x.timezone), ['Pacific/Auckland'], 'the default tenant too');
});
