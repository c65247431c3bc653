/**
 * End to end through the API, the real training process and the monitor: the concept behind a
 * model's labels turns (labels of the later samples are flipped); the labels arrive for predictions
 * the champion served, its live accuracy falls batch after batch → LOW_ACCURACY and
 * MODEL_DEGRADATION open; the model's policy (minLiveMetric on accuracy) retrains it on the recent
 * data → the new champion serves the next samples, their labels arrive, its live accuracy is good →
 * both alerts resolve by themselves. A webhook channel (a loopback receiver that checks every
 * signature) and an MQTT channel (the machine's Mosquitto) get the alerts opening, the promotion and
 * the alerts resolving, in that order.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { connectAsync, type MqttClient } from 'mqtt';
import { after, before, describe, test } from 'node:test';
import type { DeclaredModel, TrainJob } from '../../src/config/types.ts';
import type { RawSample } from '../../src/data/types.ts';
import type { AlertEventPayload } from '../../src/events.ts';
import { ALL_TENANTS } from '../../src/store/tenant-scope.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { body, openTestApi, waitForRunEnd, type TestApi } from '../helpers/api.ts';
import { FAILURE_MODEL, fillFleet, fleetCsv, fleetSamples } from '../fixtures/training/fleet.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const URL = '/api/tenants/acme/models/failure';
const MACHINES = 20;
const SECRET = 'e2e-webhook-signing-secret-0123456789';
const EVENTS = ['alert.opened', 'alert.resolved', 'version.promoted'];

const flip = (s: RawSample): RawSample => ({ ...s, label: s.label === null ? null : 1 - Number(s.label) });

describe('live accuracy falls, alerts open, the policy retrains, alerts resolve', { timeout: 600_000 }, () => {
  let t: TestApi;
  const now = Date.now();
  const events: Array<{ event: string; alert: AlertEventPayload }> = [];
  const definition = parseModelDefinition({ ...FAILURE_MODEL, mode: 'full', retrain: { minLiveMetric: { metric: 'accuracy', min: 0.75, minRows: 30 } } });
  const model: DeclaredModel = { tenants: ['acme'], jobId: 'train-failure', definition };
  const job: TrainJob = { id: 'train-failure', kind: 'train', model: 'failure', description: '', role: null, tenants: ['acme'], after: [], env: {}, timeoutMs: 180_000, retry: { retries: 0, backoffMs: [1000], jitterRatio: 0 } };

  /**
   * The last day (of a 10-day simulation, so machines wear and some fail) up to endMs. The generator's
   * failures take days to develop: a shorter simulation would hold no positive label.
   */
  const day = (endMs: number, seed: number, machines = MACHINES) => fleetSamples({ machines, days: 10, endMs, seed }).filter((r) => r.ts > endMs - DAY);
  const ingest = async (rows: readonly RawSample[]) => {
    const res = await t.app.inject({ method: 'POST', url: '/api/tenants/acme/datasets/machines/samples', headers: { 'content-type': 'text/csv' }, payload: fleetCsv(rows) });
    assert.equal(res.statusCode, 200, res.body);
    await t.engine.monitor.idle();
  };
  /** The champion serves the rows (logged), then their labels arrive. */
  const serveThenLabel = async (rows: readonly RawSample[]) => {
    const served = await t.app.inject({
      method: 'POST',
      url: `${URL}/predict`,
      payload: { rows: rows.map((s) => ({ entity: s.entity, ts: s.ts, values: { temperature: s.values.temperature, vibration: s.values.vibration, pressure: s.values.pressure, rpm: s.values.rpm, model: s.values.model } })) },
    });
    assert.equal(served.statusCode, 200, served.body);
    await t.engine.models.flushPredictionLog();
    await ingest(rows);
  };
  const train = async (force: boolean) => {
    const res = await t.app.inject({ method: 'POST', url: `${URL}/train`, payload: { force } });
    assert.equal(res.statusCode, 202, res.body);
    const runId = body<{ id: string }>(res).id;
    await t.engine.workers.claimAndStart();
    return waitForRunEnd(t.engine, runId, 180_000);
  };
  const active = async () => (await t.engine.monitor.list(ALL_TENANTS, { status: 'active' }, { limit: 50 })).map((a) => a.type).sort();
  const series = async () => t.engine.series.model('acme', 'failure');

  before(async () => {
    t = await openTestApi({ models: [model], jobs: [job], clock: { now: () => Date.now() } });
    for (const e of ['alert:opened', 'alert:resolved'] as const) t.engine.events.on(e, ({ alert }) => events.push({ event: e, alert }));
    // The original concept: ten days, up to four days ago.
    await fillFleet(t.engine.db, 'acme', { machines: MACHINES, days: 10, endMs: now - 4 * DAY, seed: 1 });
    t.engine.workers.lifecycle.to('running');
    const first = await train(true);
    assert.equal(first.outcome, 'promoted', first.log_tail ?? '');
    t.engine.monitor.start();
    await t.engine.monitor.idle();
  });
  after(async () => {
    await mqttClient?.endAsync();
    await receiver?.stop();
    await t?.close();
  });

  let receiver: WebhookReceiver;
  let mqttClient: MqttClient;
  const mqttMessages: Array<{ topic: string; event: string; type: string | null }> = [];
  /** Writes what the events put in the outbox, delivers what is due, and waits for MQTT to have `n` messages. */
  const deliver = async (mqttCount: number) => {
    await t.engine.notifications.settled();
    await t.engine.notifications.worker.deliverDue();
    for (const deadline = Date.now() + 15_000; mqttMessages.length < mqttCount; ) {
      if (Date.now() > deadline) throw new Error(`MQTT: ${mqttMessages.length} of ${mqttCount} messages`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };
  const webhookSeen = () => receiver.accepted.map((r) => `${String(r.headers['x-nightshift-event'])} ${String((r.json.alert as { type?: string } | undefined)?.type ?? (r.json.version as { version?: number } | undefined)?.version ?? '')}`);
  const mqttSeen = () => mqttMessages.map((m) => `${m.event} ${m.type ?? ''}`);

  test('the whole cycle', async () => {
    receiver = await new WebhookReceiver(SECRET).start();
    await t.engine.notifications.createChannel('acme', { id: 'ops', type: 'webhook', url: receiver.url, secret: SECRET, events: EVENTS });
    // A topic prefix of its own: no other test publishes there.
    const prefix = `e2e-${randomBytes(4).toString('hex')}`;
    await t.engine.notifications.createChannel('acme', { id: 'hub', type: 'mqtt', url: 'mqtt://127.0.0.1:1883', topic: `${prefix}/{tenant}/{event}`, statusTopic: null, events: EVENTS });
    mqttClient = await connectAsync('mqtt://127.0.0.1:1883', { clientId: `${prefix}-sub`, reconnectPeriod: 0 });
    mqttClient.on('message', (topic, payload) => {
      const json = JSON.parse(payload.toString()) as { event: string; alert?: { type: string }; version?: { version: number } };
      mqttMessages.push({ topic, event: json.event, type: json.alert?.type ?? (json.version ? String(json.version.version) : null) });
    });
    await mqttClient.subscribeAsync(`${prefix}/#`, { qos: 1 });

    // Day −4…−3: labels as the champion learned them. Then two days whose labels turned.
    await serveThenLabel(day(now - 3 * DAY, 2));
    assert.deepEqual(await active(), [], 'accurate at first');
    await serveThenLabel(day(now - 2 * DAY, 3).map(flip));
    await serveThenLabel(day(now - 1 * DAY, 4).map(flip));
    let s = await series();
    assert.equal(s.live.points.length, 3, 'a live point per batch of labels');
    assert.ok(s.live.points[0]!.accuracy! > 0.75, `accurate at first: ${JSON.stringify(s.live.points[0])}`);
    assert.equal(s.live.trend.trend, 'declining', JSON.stringify(s.live));
    const lastV1 = s.live.points.at(-1)!;
    assert.ok(lastV1.accuracy !== null && lastV1.accuracy < 0.75, `live accuracy ${lastV1.accuracy}`);
    assert.deepEqual(await active(), ['LOW_ACCURACY', 'MODEL_DEGRADATION']);
    await deliver(2);
    assert.deepEqual(webhookSeen().sort(), ['alert.opened LOW_ACCURACY', 'alert.opened MODEL_DEGRADATION']);
    assert.deepEqual(mqttSeen().sort(), ['alert.opened LOW_ACCURACY', 'alert.opened MODEL_DEGRADATION']);

    // More data of the new concept arrives, from a larger fleet (no predictions served for it), so the
    // new concept outweighs the old in the training window; the policy retrains.
    await ingest(day(now - 3 * HOUR, 5, 1800).map(flip));
    const retrain = await train(false);
    assert.equal(retrain.status, 'succeeded', retrain.log_tail ?? '');
    const decision = (JSON.parse(retrain.result!) as { assessment: { reason: string; rules: Array<{ rule: string; verdict: string }> } }).assessment;
    assert.equal(decision.reason, 'policy');
    assert.equal(decision.rules.find((r) => r.rule === 'minLiveMetric')?.verdict, 'retrain');
    assert.equal(retrain.outcome, 'promoted', retrain.log_tail ?? '');
    await t.engine.monitor.idle();
    assert.deepEqual(await active(), ['LOW_ACCURACY', 'MODEL_DEGRADATION'], 'still open: nothing is known yet of the new champion live');
    await deliver(3);
    assert.equal(webhookSeen()[2], 'version.promoted 2');
    assert.equal(mqttSeen()[2], 'version.promoted 2');

    // The new champion serves the next hours; their labels (of the new concept) arrive.
    const next = day(now + 30 * 60_000, 6, 40).filter((r) => r.ts > now - 2 * HOUR).map(flip);
    await serveThenLabel(next);
    s = await series();
    const v2 = s.live.points.at(-1)!;
    assert.equal(v2.version, s.championVersion);
    assert.ok(v2.accuracy !== null && v2.accuracy >= 0.75, `the new champion's live accuracy ${v2.accuracy}`);
    assert.deepEqual(await active(), [], 'both resolved by themselves');
    await deliver(5);
    assert.deepEqual(webhookSeen().slice(3).sort(), ['alert.resolved LOW_ACCURACY', 'alert.resolved MODEL_DEGRADATION']);
    assert.deepEqual(mqttSeen().slice(3).sort(), ['alert.resolved LOW_ACCURACY', 'alert.resolved MODEL_DEGRADATION']);
    assert.equal(receiver.accepted.length, 5, 'each notification once');
    assert.ok(receiver.accepted.every((r) => r.signatureOk), 'every webhook signed');
    assert.deepEqual(mqttMessages.map((m) => m.topic.split('/').slice(1).join('/')), [...mqttSeen().map((e) => `acme/${e.split(' ')[0]!.replace('.', '/')}`)]);
    assert.deepEqual(
      events.map((e) => `${e.event} ${e.alert.type}`).sort(),
      ['alert:opened LOW_ACCURACY', 'alert:opened MODEL_DEGRADATION', 'alert:resolved LOW_ACCURACY', 'alert:resolved MODEL_DEGRADATION'],
    );
  });
});
