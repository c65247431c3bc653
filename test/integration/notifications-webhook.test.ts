/**
 * Webhooks through the durable outbox, on both stores, with a fake clock for the backoff: a real
 * loopback receiver verifies every signature; while it is down the outbox retries with backoff
 * and the channel turns failing; once it is back every notification arrives, each idempotency key
 * once; the delivery history keeps each attempt's status code and error.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { AlertEventPayload } from '../../src/events.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { commandJob } from '../helpers/settings.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'a-long-shared-secret-for-tests';

const alert = (id: string, o: Partial<AlertEventPayload> = {}): AlertEventPayload => ({
  id,
  tenantId: 'acme',
  model: 'churn',
  type: 'LOW_ACCURACY',
  severity: 'warning',
  status: 'open',
  message: 'live accuracy 0.71 below 0.75',
  value: 0.71,
  threshold: 0.75,
  openedAt: Date.parse('2026-03-01T00:00:00Z'),
  resolvedAt: null,
  ...o,
});

for (const target of await storeTargets()) {
  describe(`webhook notifications through the outbox (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('signed deliveries; a receiver down for a while gets every notification once it is back, each key once', { timeout: 60_000 }, async () => {
      const job = commandJob('analysis', process.execPath, ['-e', "console.log('::metric patterns=28'); console.log('::metric suggestions=10'); console.log('::metric cost=0.0025')"]);
      const t = await openTestEngine(await target.make(), { jobs: [job], notifications: { ...(await import('../../src/config/notification-entries.ts')).NOTIFICATION_DEFAULTS, failingAfter: 3 } });
      const receiver = await new WebhookReceiver(SECRET, () => Math.floor(t.clock.now() / 1000)).start();
      const n = t.engine.notifications;
      const worker = n.worker;
      try {
        const channel = await n.createChannel('acme', { id: 'ops', type: 'webhook', url: receiver.url, secret: SECRET });
        assert.equal(JSON.stringify(channel).includes(SECRET), false, 'the secret is never shown');
        assert.deepEqual(channel.target, { url: `${new URL(receiver.url).origin}/…`, format: 'json', signed: true, headers: [], timeoutMs: 10_000 });

        // A real run: its metrics (seed 001's patterns, suggestions, cost) are in the payload.
        t.engine.workers.lifecycle.to('running');
        const queued = await t.engine.runs.trigger('analysis', 'acme');
        const finished = t.engine.events.waitFor('run:finished', (p) => p.run.id === queued.id);
        await t.engine.workers.claimAndStart();
        assert.equal((await finished).run.status, 'succeeded');
        await n.settled();
        assert.deepEqual(await worker.deliverDue(), { claimed: 1, delivered: 1, failed: 0, dead: 0 });
        const first = receiver.accepted[0]!;
        assert.equal(first.signatureOk, true);
        assert.equal(first.headers['x-nightshift-event'], 'run.succeeded');
        assert.equal(first.headers['idempotency-key'], `run.succeeded:${queued.id}`);
        assert.match(String(first.headers['x-nightshift-signature']), /^t=\d+,v1=[0-9a-f]{64}$/);
        assert.deepEqual(first.json.metrics, { patterns: 28, suggestions: 10, cost: 0.0025 });
        assert.equal((first.json.run as { id: string }).id, queued.id);
        assert.equal(first.json.tenant, 'acme');

        // The receiver goes away: attempts fail and are retried later, with backoff.
        await receiver.stop();
        const failing = t.engine.events.waitFor('notification:failing', (p) => p.channel === 'ops');
        for (let i = 1; i <= 5; i++) t.engine.events.emit('alert:opened', { alert: alert(`alr_${i}`) });
        await n.settled();
        let round = await worker.deliverDue();
        assert.deepEqual(round, { claimed: 5, delivered: 0, failed: 5, dead: 0 });
        const [pending] = await n.list({ tenants: '*', status: 'pending' }, { limit: 1 });
        assert.ok(pending && pending.attempts === 1 && pending.lastStatusCode === null && /fetch failed|ECONNREFUSED/.test(pending.lastError ?? ''), JSON.stringify(pending));
        const delay = pending.nextAttemptAt! - t.clock.now();
        assert.ok(delay >= 1_000 && delay <= 1_200, `first retry after 1 s plus up to 20% jitter (${delay} ms)`);
        assert.equal((await worker.deliverDue()).claimed, 0, 'nothing is due before its backoff');
        for (const step of [1_200, 2_400, 4_800]) {
          t.clock.advance(step);
          round = await worker.deliverDue();
          assert.equal(round.failed, 5);
        }
        const failed = await failing;
        assert.equal(failed.failures, 3);
        assert.match(failed.lastError, /fetch failed|ECONNREFUSED/);
        const views = await n.listChannels('acme');
        assert.equal(views[0]!.failing, true);

        // Back: every pending notification arrives, each idempotency key once.
        await receiver.start();
        const recovered = t.engine.events.waitFor('notification:recovered', (p) => p.channel === 'ops');
        t.clock.advance(10_000);
        round = await worker.deliverDue();
        assert.deepEqual(round, { claimed: 5, delivered: 5, failed: 0, dead: 0 });
        await recovered;
        // The same alert seen again is not written twice (its idempotency key).
        t.engine.events.emit('alert:opened', { alert: alert('alr_3') });
        await n.settled();
        assert.equal((await worker.deliverDue()).claimed, 0);
        assert.equal(receiver.accepted.length, 6);
        assert.equal(receiver.duplicates.length, 0);
        assert.equal(receiver.rejected.length, 0);
        assert.deepEqual(receiver.accepted.slice(1).map((r) => r.headers['idempotency-key']).sort(), [1, 2, 3, 4, 5].map((i) => `alert.opened:alr_${i}`));
        assert.ok(receiver.accepted.every((r) => r.signatureOk));

        const [latest] = await n.list({ tenants: ['acme'], event: 'alert.opened' }, { limit: 1 });
        const detail = await n.get(latest!.id, ['acme']);
        assert.equal(detail.status, 'delivered');
        assert.equal(detail.attempts, 5);
        assert.deepEqual(detail.history.map((a) => [a.ok, a.statusCode]), [[false, null], [false, null], [false, null], [false, null], [true, 200]]);
        await assert.rejects(n.get(latest!.id, ['globex']), /does not exist/, "another tenant's caller does not see it");
        assert.deepEqual(await n.list({ tenants: ['globex'] }, { limit: 10 }), []);
      } finally {
        await receiver.stop();
        await t.close();
      }
    });

    test('a receiver that never comes back: the notification is given up (status dead) after maxAttempts', { timeout: 30_000 }, async () => {
      const t = await openTestEngine(await target.make(), { notifications: { ...(await import('../../src/config/notification-entries.ts')).NOTIFICATION_DEFAULTS, maxAttempts: 3 } });
      try {
        const n = t.engine.notifications;
        await n.createChannel('acme', { id: 'gone', type: 'webhook', url: 'http://127.0.0.1:9/hook', timeoutMs: 1000 });
        t.engine.events.emit('alert:resolved', { alert: alert('alr_x', { status: 'resolved', resolvedAt: Date.parse('2026-03-01T01:00:00Z') }) });
        await n.settled();
        const results = [];
        for (let i = 0; i < 3; i++) {
          results.push(await n.worker.deliverDue());
          t.clock.advance(3_600_000);
        }
        assert.deepEqual(results.map((r) => [r.failed, r.dead]), [[1, 0], [1, 0], [0, 1]]);
        const [row] = await n.list({ tenants: '*' }, { limit: 5 });
        assert.equal(row!.status, 'dead');
        assert.equal(row!.event, 'alert.resolved');
        assert.equal((await n.worker.deliverDue()).claimed, 0);
      } finally {
        await t.close();
      }
    });
  });
}
