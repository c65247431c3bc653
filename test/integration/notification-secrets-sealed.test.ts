/**
 * Notification channels' secrets are stored sealed with the master key (issue 17): the stored row
 * holds neither the webhook's signing key nor the MQTT password, a sealed value moved to another
 * channel does not open, and the channel still delivers (signed with the real key) and lists.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'sealed-signing-secret-0123456789';
const PASSWORD = 'mqtt-password-never-stored-plain';

for (const target of await storeTargets()) {
  describe(`notification secrets sealed at rest (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('stored sealed, delivered signed, refused when moved', { timeout: 60_000 }, async () => {
      const t = await openTestEngine(await target.make());
      const receiver = await new WebhookReceiver(SECRET, () => Math.floor(t.clock.now() / 1000)).start();
      try {
        const n = t.engine.notifications;
        await n.createChannel('acme', { id: 'ops', type: 'webhook', url: receiver.url, secret: SECRET });
        await n.createChannel('acme', { id: 'hub', type: 'mqtt', url: 'mqtt://127.0.0.1:1883', username: 'ns', password: PASSWORD });
        const rows = await t.engine.db.k.selectFrom('notification_channels').selectAll().where('tenant_id', '=', 'acme').orderBy('id').execute();
        assert.equal(rows.length, 2);
        for (const row of rows) {
          assert.match(row.config, /^ns1\./, `${row.id}: sealed`);
          assert.ok(!row.config.includes(SECRET) && !row.config.includes(PASSWORD) && !row.config.includes(receiver.url), `${row.id}: no secret or URL in clear`);
        }
        assert.deepEqual((await n.listChannels('acme')).map((c) => c.id).sort(), ['hub', 'ops'], 'listed as before');

        t.engine.events.emit('alert:opened', {
          alert: { id: 'alr_sealed', tenantId: 'acme', model: 'failure', type: 'LOW_ACCURACY', severity: 'warning', status: 'open', message: 'live accuracy 0.6 < 0.75', value: 0.6, threshold: 0.75, openedAt: t.clock.now(), resolvedAt: null },
        });
        await n.settled();
        const round = await n.worker.deliverDue();
        assert.ok(round.delivered >= 1, JSON.stringify(round));
        assert.equal(receiver.accepted.length, 1);
        assert.equal(receiver.accepted[0]!.signatureOk, true, 'signed with the key that was sealed');

        // The webhook's sealed settings copied onto the MQTT channel's row: it does not open there.
        const ops = rows.find((r) => r.id === 'ops')!;
        await t.engine.db.k.updateTable('notification_channels').set({ config: ops.config }).where('tenant_id', '=', 'acme').where('id', '=', 'hub').execute();
        await assert.rejects(n.listChannels('acme'), (e: Error & { code?: string }) => e.code === 'NS_STORE' && /modified, or sealed for another tenant or context/.test(e.message));
      } finally {
        await receiver.stop();
        await t.close();
      }
    });
  });
}
