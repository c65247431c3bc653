/**
 * `nightshift keys rotate-master` re-seals the notification channels' secrets as well as re-encrypting
 * the artifacts: after a rotation (and the retired key dropped from the key file) a webhook still
 * delivers, signed with its real HMAC secret, to a real loopback receiver, from a new process that has
 * only the new key; the stored settings no longer open with the old key; the model keeps serving
 * throughout. The channels are re-sealed in one transaction: a rotation that fails on one row changes
 * none of them (and everything still opens); a row that does not open is reported, the others are
 * re-sealed, and the retired key is kept.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { keyringFor } from '../../src/crypto/keyring-for.ts';
import { MasterKeyring } from '../../src/crypto/master-key.ts';
import { SecretSealer } from '../../src/crypto/sealer.ts';
import { sealedChannelConfig } from '../../src/monitor/notify/channel-config-codec.ts';
import type { Engine } from '../../src/engine.ts';
import { body, openTestApi, type TestApi } from '../helpers/api.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';
import { serveChampion, SERVING_START } from '../fixtures/serving/champion.ts';

const SECRET = 'rotation-signing-secret-0123456789';
const VALUES = { model: 'M200', temperature: 80, vibration: 3, pressure: 120, rpm: 1800, load: 0.8, voltage: 230 };

async function configs(engine: Engine): Promise<Record<string, string>> {
  const rows = await engine.db.k.selectFrom('notification_channels').select(['id', 'config']).where('tenant_id', '=', 'acme').orderBy('id').execute();
  return Object.fromEntries(rows.map((r) => [r.id, r.config]));
}

async function predictVersion(t: TestApi): Promise<number> {
  const res = await t.app.inject({ method: 'POST', url: '/api/tenants/acme/models/failure/predict', payload: { values: VALUES } });
  assert.equal(res.statusCode, 200, res.body);
  return body<{ version: number }>(res).version;
}

/** Emits an alert and delivers what is due: the webhook's receiver verifies the signature. */
async function deliverAlert(engine: Engine, id: string): Promise<void> {
  engine.events.emit('alert:opened', {
    alert: { id, tenantId: 'acme', model: 'failure', type: 'LOW_ACCURACY', severity: 'warning', status: 'open', message: 'live accuracy 0.6 < 0.75', value: 0.6, threshold: 0.75, openedAt: engine.clock.now(), resolvedAt: null },
  });
  await engine.notifications.settled();
  const round = await engine.notifications.worker.deliverDue();
  assert.ok(round.delivered >= 1, JSON.stringify(round));
}

describe('rotate-master re-seals notification channel secrets', () => {
  let t: TestApi;
  let receiver: WebhookReceiver;
  /** The key the channels were sealed under at creation. */
  let originalKey: MasterKeyring['current'];
  before(async () => {
    t = await openTestApi({ start: SERVING_START });
    await serveChampion(t.engine);
    receiver = await new WebhookReceiver(SECRET, () => Math.floor(t.clock.now() / 1000)).start();
    const n = t.engine.notifications;
    await n.createChannel('acme', { id: 'ops', type: 'webhook', url: receiver.url, secret: SECRET, events: ['alert.opened'] });
    await n.createChannel('acme', { id: 'hub', type: 'mqtt', url: 'mqtt://127.0.0.1:1883', username: 'ns', password: 'mqtt-password-0123456789', events: ['run.failed'] });
    await n.createChannel('acme', { id: 'zz', type: 'log', events: ['run.failed'] });
    originalKey = keyringFor({ dataDir: t.engine.settings.dataDir }).current;
  });
  after(async () => {
    await receiver.stop();
    await t.close();
  });

  test('a rotation that fails on one channel changes none of them; every channel still opens and delivers', async () => {
    const before = await configs(t.engine);
    // A store that refuses the last row's update, inside the rotation's transaction.
    await sql`CREATE TRIGGER refuse_zz BEFORE UPDATE OF config ON notification_channels WHEN NEW.id = 'zz' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END`.execute(t.engine.db.k);
    try {
      await assert.rejects(t.engine.masterKey.rotate(), /refused by the test/);
    } finally {
      await sql`DROP TRIGGER refuse_zz`.execute(t.engine.db.k);
    }
    assert.deepEqual(await configs(t.engine), before, 'hub and ops were updated before zz failed: rolled back with it');
    await deliverAlert(t.engine, 'alr_after_failed_rotation');
    assert.equal(receiver.accepted.at(-1)?.signatureOk, true);
    assert.equal(await predictVersion(t), 1);
  });

  test('after a rotation the channels deliver from a process with only the new key; the old key opens none of them', { timeout: 60_000 }, async () => {
    for (const [id, config] of Object.entries(await configs(t.engine))) assert.ok(config.startsWith(`ns1.${originalKey.id}.`), `${id} still under the original key`);
    const first = await t.engine.masterKey.rotate();
    assert.deepEqual(first.secrets, { resealed: 3, alreadyCurrent: 0, problems: [] });
    assert.equal(await predictVersion(t), 1, 'serving throughout');
    const second = await t.engine.masterKey.rotate({ forgetPrevious: true });
    assert.deepEqual([second.secrets.resealed, second.secrets.problems, second.problems], [3, [], []]);
    assert.ok(second.forgotten >= 1, JSON.stringify(second));
    assert.deepEqual(keyringFor({ dataDir: t.engine.settings.dataDir }).ids, [second.keyId], 'only the new key is left in the key file');

    const stored = await configs(t.engine);
    for (const [id, config] of Object.entries(stored)) assert.ok(config.startsWith(`ns1.${second.keyId}.`), `${id} sealed under the new key: ${config.slice(0, 30)}`);
    const withOldKey = sealedChannelConfig(new SecretSealer(new MasterKeyring(originalKey, [], 'env', null)));
    for (const id of Object.keys(stored)) {
      assert.throws(() => withOldKey.decode('acme', id, stored[id]!), (e: Error & { code?: string }) => e.code === 'NS_STORE' && /which this process does not have/.test(e.message), id);
    }

    // A new process on the same data dir: its key file holds only the new key.
    const other = await openTestApi({ start: SERVING_START, target: { dialect: 'sqlite', dataDir: t.engine.settings.dataDir, databaseUrl: null } });
    try {
      const received = receiver.accepted.length;
      await deliverAlert(other.engine, 'alr_after_rotation');
      assert.equal(receiver.accepted.length, received + 1);
      const last = receiver.accepted.at(-1)!;
      assert.equal(last.signatureOk, true, 'signed with the HMAC secret re-sealed under the new key');
      assert.equal((last.json.alert as { id: string }).id, 'alr_after_rotation');
      assert.equal(await predictVersion(other), 1, 'the new process serves the re-encrypted champion');
    } finally {
      await other.close();
    }
  });

  test('a channel whose settings do not open is reported; the others are re-sealed; the retired key is kept', async () => {
    const stored = await configs(t.engine);
    // The webhook's sealed settings copied onto the log channel: they do not open there.
    await t.engine.db.k.updateTable('notification_channels').set({ config: stored.ops! }).where('tenant_id', '=', 'acme').where('id', '=', 'zz').execute();
    const result = await t.engine.masterKey.rotate({ forgetPrevious: true });
    assert.deepEqual([result.secrets.resealed, result.secrets.problems.length, result.forgotten], [2, 1, 0]);
    assert.match(result.secrets.problems[0]!.message, /notification channel "zz" \(tenant "acme"\): .*fails authentication/);
    assert.equal(keyringFor({ dataDir: t.engine.settings.dataDir }).ids.length, 2, 'the retired key stays while a secret needs it');
    const [entry] = (await t.engine.audit.list({ tenants: null, action: 'key.rotate-master', limit: 1 })).entries;
    assert.deepEqual((({ secretsResealed, secretProblems }) => ({ secretsResealed, secretProblems }))(entry!.after as { secretsResealed: number; secretProblems: number }), { secretsResealed: 2, secretProblems: 1 });
  });
});
