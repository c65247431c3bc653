/**
 * A champion whose artifact fails its integrity check raises ARTIFACT_INTEGRITY: a critical alert
 * (opened once, however often the cache retries), an `artifact.refused` audit entry (once per
 * version and reason), a notification through the outbox, while the previous champion keeps
 * serving; the alert resolves once the model's champion serves again (here: a rollback). A load
 * failure that is not about integrity (no champion at all) raises nothing.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { FileArtifactStorage } from '../../src/registry/index.ts';
import { body, openTestApi, type TestApi } from '../helpers/api.ts';
import { serveChampion, SERVING_START } from '../fixtures/serving/champion.ts';
import { newVersion } from '../fixtures/registry/registry-store.ts';
import { artifactBytesOf, trainedGbdt } from '../unit/serving-fixtures.ts';

const VALUES = { model: 'M200', temperature: 80, vibration: 3, pressure: 120, rpm: 1800, load: 0.8, voltage: 230 };
const URL = '/api/tenants/acme/models/failure';

describe('ARTIFACT_INTEGRITY: an artifact refused on load', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: SERVING_START });
    await serveChampion(t.engine);
    const channel = await t.app.inject({ method: 'POST', url: '/api/tenants/acme/notification-channels', payload: { id: 'ops', type: 'log', events: ['alert.opened', 'alert.resolved'] } });
    assert.equal(channel.statusCode, 201, channel.body);
    t.engine.monitor.start();
  });
  after(() => t.close());

  const predictVersion = async () => {
    const res = await t.app.inject({ method: 'POST', url: `${URL}/predict`, payload: { values: VALUES } });
    assert.equal(res.statusCode, 200, res.body);
    return body<{ version: number }>(res).version;
  };
  const alerts = async () => (await t.engine.monitor.list('acme', { type: 'ARTIFACT_INTEGRITY' }, { limit: 10 })).map((a) => ({ status: a.status, model: a.model, severity: a.severity, message: a.message }));
  const refusals = async () => (await t.engine.audit.list({ tenants: ['acme'], action: 'artifact.refused', limit: 10 })).entries;

  test('a model with nothing to load raises no integrity alert', async () => {
    await t.engine.models.cache.refresh('acme', 'no-such-model').catch(() => undefined);
    await t.engine.monitor.idle();
    assert.deepEqual(await alerts(), []);
    assert.deepEqual(await refusals(), []);
  });

  test('a flipped byte: one critical alert, one audit entry, one notification; the previous champion serves; a rollback resolves it', async () => {
    assert.equal(await predictVersion(), 1);
    const artifact = Buffer.concat([artifactBytesOf(await trainedGbdt('binary', 10, 2)), Buffer.from(' ')]);
    const v2 = await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), artifact);
    const path = (t.engine.models.registry.artifacts as FileArtifactStorage).pathOf('acme', v2.artifact.sha256);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0x01;
    writeFileSync(path, bytes);

    const opened = t.engine.events.waitFor('alert:opened', (p) => p.alert.type === 'ARTIFACT_INTEGRITY', 20_000);
    const promoted = await t.app.inject({ method: 'POST', url: `${URL}/promote`, payload: { version: v2.version } });
    assert.equal(promoted.statusCode, 200, promoted.body);
    const { alert } = await opened;
    assert.equal(alert.severity, 'critical');
    assert.equal(alert.model, 'failure');
    assert.equal(alert.value, v2.version);
    assert.match(alert.message, /champion version 2 of model "failure" was refused: its bytes fail authentication .*; version 1 keeps serving/);
    assert.equal(await predictVersion(), 1, 'the previous champion keeps answering');

    // The cache retries (a recheck, another refresh): the same refusal neither reopens nor re-audits.
    await t.engine.models.cache.refresh('acme', 'failure').catch(() => undefined);
    await t.engine.models.cache.refresh('acme', 'failure').catch(() => undefined);
    await t.engine.monitor.idle();
    assert.deepEqual(await alerts(), [{ status: 'open', model: 'failure', severity: 'critical', message: alert.message }]);
    const entries = await refusals();
    assert.equal(entries.length, 1, JSON.stringify(entries));
    assert.deepEqual([entries[0]!.subject, entries[0]!.target], ['system', 'model/acme/failure']);
    assert.deepEqual(
      (({ version, reason, servingVersion }) => ({ version, reason, servingVersion }))(entries[0]!.after as { version: number; reason: string; servingVersion: number }),
      { version: 2, reason: 'tampered', servingVersion: 1 },
    );

    await t.engine.notifications.settled();
    const outbox = await t.engine.db.k.selectFrom('notification_outbox').select(['event', 'payload', 'channel_id']).where('event', '=', 'alert.opened').execute();
    assert.equal(outbox.length, 1, JSON.stringify(outbox));
    assert.equal(outbox[0]!.channel_id, 'ops');
    assert.equal((JSON.parse(outbox[0]!.payload) as { alert: { type: string } }).alert.type, 'ARTIFACT_INTEGRITY');

    const resolved = t.engine.events.waitFor('alert:resolved', (p) => p.alert.type === 'ARTIFACT_INTEGRITY', 20_000);
    const rolledBack = await t.app.inject({ method: 'POST', url: `${URL}/rollback`, payload: { targetVersion: 1 } });
    assert.equal(rolledBack.statusCode, 200, rolledBack.body);
    assert.equal((await resolved).alert.id, alert.id);
    assert.equal(await predictVersion(), 1);
  });
});
