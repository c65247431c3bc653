/** Jitter is bounded: it must stay below the gap between consecutive slots (API and config file). */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { listSchedules } from '../../src/store/schedules.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { openTestApi } from '../helpers/api.ts';
import { commandJob, tempDir } from '../helpers/settings.ts';

test('PUT /api/schedules refuses a jitter as long as the interval, naming the field; a shorter one is stored', async () => {
  const t = await openTestApi({ jobs: [commandJob('quick', process.execPath, ['-e', '0'])] });
  try {
    const tooLong = await t.app.inject({ method: 'PUT', url: '/api/schedules/minutely', payload: { tenantId: 'acme', jobId: 'quick', every: '1m', jitter: '5m' } });
    assert.equal(tooLong.statusCode, 400, tooLong.body);
    assert.equal(tooLong.json().error.code, 'NS_SCHEDULE_INVALID');
    assert.equal(tooLong.json().error.field, 'jitter');
    assert.match(tooLong.json().error.message, /must be shorter than the 1m between slots/);
    assert.equal((await listSchedules(t.engine.db.k, ALL_TENANTS)).length, 0, 'nothing stored');

    const hourly = await t.app.inject({ method: 'PUT', url: '/api/schedules/hourly', payload: { tenantId: 'acme', jobId: 'quick', cron: '0 * * * *', jitter: '10m' } });
    assert.equal(hourly.statusCode, 201, hourly.body);
    assert.equal(hourly.json().jitterMs, 600_000);
  } finally {
    await t.close();
  }
});

test('the config file refuses an unbounded jitter with the schedule path', () => {
  const dir = tempDir();
  const file = join(dir, 'nightshift.json');
  writeFileSync(
    file,
    JSON.stringify({
      tenants: [{ id: 'acme' }],
      jobs: [{ id: 'quick', kind: 'command', command: 'true' }],
      schedules: [{ id: 'fast', tenant: 'acme', job: 'quick', every: '1m', jitter: '1h' }],
    }),
  );
  assert.throws(() => loadSettings({ env: {}, cwd: dir, configPath: file }), (e: { code: string; message: string }) => {
    assert.equal(e.code, 'NS_CONFIG_INVALID');
    assert.match(e.message, /schedules\[0\]\.jitter="1h": must be shorter than the 1m between slots/);
    return true;
  });
});

test('GET /api/schedules/:id shows the next fire times in the schedule zone, across a DST change', async () => {
  const t = await openTestApi({ jobs: [commandJob('quick', process.execPath, ['-e', '0'])], start: '2026-03-06T12:00:00Z' });
  try {
    await t.app.inject({ method: 'PUT', url: '/api/schedules/ny', payload: { tenantId: 'acme', jobId: 'quick', cron: '30 2 * * *', timezone: 'America/New_York' } });
    const res = await t.app.inject({ method: 'GET', url: '/api/schedules/ny' });
    assert.equal(res.statusCode, 200, res.body);
    // 2026-03-08 is spring-forward in New York: 02:30 does not exist and runs at 03:00 EDT.
    assert.deepEqual(res.json().nextRunsLocal, [
      '2026-03-07T02:30:00-05:00',
      '2026-03-08T03:00:00-04:00',
      '2026-03-09T02:30:00-04:00',
      '2026-03-10T02:30:00-04:00',
      '2026-03-11T02:30:00-04:00',
    ]);
    assert.deepEqual(res.json().nextRuns.map((s: string) => Date.parse(s)), res.json().nextRunsLocal.map((s: string) => Date.parse(s)), 'the same instants');
  } finally {
    await t.close();
  }
});
