/** The pure parts of notifications: signature, backoff, config section, preferences, topics, text. */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { parseConfig } from '../../src/config/config-file.ts';
import { NOTIFICATION_DEFAULTS } from '../../src/config/notification-entries.ts';
import { renderTopic } from '../../src/monitor/notify/mqtt-sender.ts';
import { wanted } from '../../src/monitor/notify/notification-source.ts';
import { retryDelayMs, OUTBOX_RETRY_DEFAULTS } from '../../src/monitor/notify/retry.ts';
import { signatureHeader, verifySignature } from '../../src/monitor/notify/signature.ts';
import { notificationText } from '../../src/monitor/notify/text-format.ts';

describe('webhook signature', () => {
  const secret = 'whsec-0123456789abcdef';
  const body = '{"event":"run.succeeded"}';
  test('HMAC-SHA256 over `${t}.${body}`, verified within the tolerance only', () => {
    const header = signatureHeader(secret, 1_700_000_000, body);
    assert.equal(header, `t=1700000000,v1=${createHmac('sha256', secret).update(`1700000000.${body}`).digest('hex')}`);
    assert.equal(verifySignature(secret, header, body, 1_700_000_100), true);
    assert.equal(verifySignature(secret, header, `${body} `, 1_700_000_100), false, 'a changed body');
    assert.equal(verifySignature('another-secret-0123', header, body, 1_700_000_100), false, 'another secret');
    assert.equal(verifySignature(secret, header, body, 1_700_000_301), false, 'replayed after 5 minutes');
    assert.equal(verifySignature(secret, undefined, body, 1_700_000_000), false);
    assert.equal(verifySignature(secret, 't=x,v1=00', body, 1_700_000_000), false);
  });
});

describe('outbox backoff', () => {
  test('doubles from 1 s, capped at 1 h, with up to 20% jitter on top', () => {
    const p = OUTBOX_RETRY_DEFAULTS;
    assert.deepEqual([1, 2, 3, 4].map((k) => retryDelayMs(k, p, () => 0)), [1_000, 2_000, 4_000, 8_000]);
    assert.equal(retryDelayMs(1, p, () => 0.999999), 1_200);
    assert.equal(retryDelayMs(20, p, () => 0), 3_600_000);
    assert.equal(retryDelayMs(2_000, p, () => 0.5), 3_960_000, 'no overflow for a large count');
  });
});

describe('config file: notifications', () => {
  test('channels per tenant and notifyOnSuccess / notifyOnFailure per model and schedule', () => {
    const c = parseConfig(
      {
        notifications: {
          notifyOnSuccess: false,
          maxAttempts: 5,
          channels: [
            { id: 'ha', type: 'mqtt', url: 'mqtt://127.0.0.1:1883', topic: 'ha-ai/status/analysis_complete', tenants: ['acme'] },
            { id: 'ops', type: 'webhook', url: 'https://hooks.example.com/x', secret: '0123456789abcdef', events: ['run.failed'] },
          ],
          models: { churn: { notifyOnSuccess: true } },
          schedules: { 'nightly-acme': { notifyOnFailure: false } },
        },
      },
      'n.yaml',
    );
    const n = c.notifications;
    assert.deepEqual(n.channels.map((x) => [x.channel.id, x.tenants, x.channel.spec.type]), [['ha', ['acme'], 'mqtt'], ['ops', null, 'webhook']]);
    assert.equal(n.channels[0]!.channel.spec.type === 'mqtt' && n.channels[0]!.channel.spec.qos, 1);
    assert.equal(n.maxAttempts, 5);
    assert.equal(wanted(n, 'success', 'churn', null), true, 'the model says yes');
    assert.equal(wanted(n, 'success', 'other', null), false, 'the global no');
    assert.equal(wanted(n, 'failure', 'churn', 'nightly-acme'), false, "the schedule's no wins");
    assert.equal(wanted(n, 'failure', 'churn', 'other'), true);
    assert.deepEqual(parseConfig({}, 'x.yaml').notifications, NOTIFICATION_DEFAULTS);
  });

  test('a bad entry names its place in the file and the fix', () => {
    const bad: Array<[unknown, RegExp]> = [
      [{ channels: [{ id: 'a', type: 'webhook' }] }, /n\.yaml: notifications\.channels\[0\]\.url: is required/],
      [{ channels: [{ id: 'a', type: 'log', topic: 'x' }] }, /notifications\.channels\[0\]\.topic: is not a setting of a log channel/],
      [{ channels: [{ id: 'a', type: 'log' }, { id: 'a', type: 'log' }] }, /notifications\.channels\[1\]\.id: "a" is declared twice/],
      [{ models: { churn: { notifyOnSucess: true } } }, /notifications\.models\.churn/],
      [{ retries: 3 }, /notifications/],
    ];
    for (const [notifications, message] of bad) assert.throws(() => parseConfig({ notifications }, 'n.yaml'), message);
  });
});

describe('MQTT topics and the text format', () => {
  const n = { tenant: 'acme', event: 'run.succeeded' as const, model: 'churn' };
  test('placeholders, with the event as topic levels', () => {
    assert.equal(renderTopic('nightshift/{tenant}/{event}', n), 'nightshift/acme/run/succeeded');
    assert.equal(renderTopic('nightshift/{tenant}/models/{model}/status', n), 'nightshift/acme/models/churn/status');
    assert.equal(renderTopic('ha-ai/status/analysis_complete', n), 'ha-ai/status/analysis_complete');
  });
  test("Slack/Teams text: where, what, and the run's metrics", () => {
    const text = notificationText({ ...n, id: 'x', idempotencyKey: 'k', at: '', summary: 'job analysis succeeded in 2.0 s', metrics: { patterns: 28, suggestions: 10, cost: 0.0025, auc: null }, run: null, version: null, alert: null });
    assert.equal(text, '[nightshift] acme/churn: job analysis succeeded in 2.0 s (patterns=28, suggestions=10, cost=0.0025)');
  });
});
