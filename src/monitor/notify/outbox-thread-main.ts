/**
 * The outbox's delivery thread (started by outbox-thread.ts): its own store connection, its own
 * senders, the OutboxWorker loop. Everything the process must see goes back as messages: log lines,
 * channel changes, delivery counts. On `stop` it records what it sent, gives back what it took but
 * had not sent, closes its connection and lets the thread end.
 */
import { getPriority, setPriority } from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import pino from 'pino';
import { systemClock } from '../../clock.ts';
import { sealerFor } from '../../crypto/keyring-for.ts';
import { EngineEvents } from '../../events.ts';
import { openDb, type Db } from '../../store/db.ts';
import { PLAIN_CHANNEL_CONFIG, sealedChannelConfig } from './channel-config-codec.ts';
import { apiLoadOf, DeliveryPace } from './delivery-pace.ts';
import { LogSender } from './log-sender.ts';
import { MqttSender } from './mqtt-sender.ts';
import type { FromThread, OutboxThreadData, ToThread } from './outbox-thread.ts';
import { OutboxWorker } from './outbox-worker.ts';
import { WebhookSender } from './webhook-sender.ts';

/** Connections of the thread's PostgreSQL pool: one round's claim and the previous round's outcomes at once. */
const POOL_SIZE = 3;

/**
 * How much lower than the API's thread delivery runs (the nice value jobs get too): on a machine whose
 * cores the API keeps busy, delivery takes the time the API leaves instead of the API's own (the
 * monitor benchmark's outbox.api.busy.p99). Delivery still has every idle cycle.
 */
const DELIVERY_NICENESS = 10;

/**
 * On Linux a nice value belongs to a thread, and setpriority(PRIO_PROCESS, 0) names the calling
 * thread: this lowers the delivery thread alone. Elsewhere it would lower the whole process, so it
 * is not done there.
 */
function lowerThisThreadsPriority(): void {
  if (process.platform !== 'linux') return;
  try {
    setPriority(0, Math.min(19, getPriority(0) + DELIVERY_NICENESS));
  } catch {
    // Not permitted here: delivery runs at the process's priority, as it did on the main loop.
  }
}

lowerThisThreadsPriority();

const port = parentPort!;
const data = workerData as OutboxThreadData;
const post = (m: FromThread) => port.postMessage(m);

const logger = pino({ level: data.logLevel, base: null, timestamp: false }, { write: (line: string) => post({ type: 'log', line }) }).child({ component: 'notifications' });
const events = new EngineEvents();
events.on('notification:failing', (payload) => post({ type: 'event', event: 'notification:failing', payload }));
events.on('notification:recovered', (payload) => post({ type: 'event', event: 'notification:recovered', payload }));

let db: Db | null = null;
let worker: OutboxWorker | null = null;
let stopping: Promise<void> | null = null;

/** Opens the store and starts delivering; a failure is reported and ends the thread. */
async function open(): Promise<void> {
  try {
    db = await openDb({ dataDir: data.store.dataDir, databaseUrl: data.store.databaseUrl, poolSize: POOL_SIZE, create: false });
    worker = new OutboxWorker({
      db,
      clock: systemClock,
      events,
      logger,
      nodeId: data.nodeId,
      configCodec: data.sealed ? sealedChannelConfig(sealerFor({ dataDir: data.store.dataDir })) : PLAIN_CHANNEL_CONFIG,
      senders: { webhook: new WebhookSender(), mqtt: new MqttSender(), log: new LogSender(logger) },
      ...data.worker,
      ...(data.apiLoad ? { pace: new DeliveryPace({ load: apiLoadOf(data.apiLoad) }) } : {}),
      onCounts: (counts) => post({ type: 'counts', counts: [...counts] }),
    });
    worker.start();
    post({ type: 'ready' });
  } catch (error) {
    post({ type: 'failed', error: (error as Error).message });
    stopping ??= stop();
  }
}

async function stop(): Promise<void> {
  await opening;
  try {
    await worker?.close();
  } catch (error) {
    logger.warn({ err: error }, 'notification delivery did not stop cleanly; its rows are taken again after their lease');
  }
  await db?.close();
  port.close();
}

const opening = open();
port.on('message', (m: ToThread) => {
  if (m.type === 'wake') worker?.wake();
  else stopping ??= stop();
});
