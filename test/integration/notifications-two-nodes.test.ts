/**
 * Two nodes on one PostgreSQL store deliver the same outbox at once: FOR UPDATE SKIP LOCKED and
 * the lease give every row to one node, so a receiver gets each notification exactly once. On
 * SQLite two engines on one file do the same through its write lock.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ManualClock } from '../../src/clock.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'two-nodes-secret-0123456789';
const N = 400;

for (const target of await storeTargets()) {
  describe(`two nodes deliver one outbox (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('every notification is delivered once, by one node or the other', { timeout: 120_000 }, async () => {
      const t = await target.make();
      const clock = new ManualClock('2026-03-01T00:00:00Z');
      const a = await openTestEngine(t, { clock, nodeId: 'node-a' });
      const b = await openTestEngine(t, { clock, nodeId: 'node-b' });
      const receiver = await new WebhookReceiver(SECRET, () => Math.floor(clock.now() / 1000)).start();
      try {
        await a.engine.notifications.createChannel('acme', { id: 'hook', type: 'webhook', url: receiver.url, secret: SECRET });
        const list = Array.from({ length: N }, (_, i) => ({
          key: `alert.opened:alr_${i}`,
          body: { event: 'alert.opened' as const, tenant: 'acme', model: null, at: new Date(clock.now()).toISOString(), summary: `alert ${i}`, metrics: {}, run: null, version: null, alert: null },
        }));
        assert.equal(await a.engine.notifications.enqueue(list), N);
        assert.equal(await b.engine.notifications.enqueue(list.slice(0, 50)), 0, 'the same keys written again from the other node: nothing new');
        const drain = async (worker: typeof a.engine.notifications.worker) => {
          let delivered = 0;
          for (;;) {
            const r = await worker.deliverDue();
            delivered += r.delivered;
            if (r.claimed === 0) return delivered;
          }
        };
        const [byA, byB] = await Promise.all([drain(a.engine.notifications.worker), drain(b.engine.notifications.worker)]);
        assert.equal(byA + byB, N);
        assert.ok(byA > 0 && byB > 0, `both nodes took rows (a ${byA}, b ${byB})`);
        assert.equal(receiver.accepted.length, N);
        assert.equal(receiver.duplicates.length, 0, 'no notification delivered twice');
        const attempts = await a.engine.db.k.selectFrom('notification_attempts').select(['notification_id', 'node']).execute();
        assert.equal(attempts.length, N, 'one attempt per notification');
        assert.deepEqual(new Set(attempts.map((x) => x.node)), new Set(['node-a', 'node-b']));
      } finally {
        await receiver.stop();
        await a.close();
        await b.close();
      }
    });
  });
}
