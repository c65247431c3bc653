/**
 * The started service delivers the outbox in a worker thread of its own: a webhook is sent and its
 * outcome recorded while the main event loop is blocked, and a stop gives back the rows the thread
 * had taken but not sent. A thread that cannot start leaves delivery to the main loop.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import pino from 'pino';
import { systemClock } from '../../src/clock.ts';
import { NotificationService } from '../../src/monitor/notify/notification-service.ts';
import type { SourcedNotification } from '../../src/monitor/notify/notification-source.ts';
import { openDb, sqliteFileIn } from '../../src/store/db.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { openTestEngine } from '../helpers/engine.ts';
import { tempDir } from '../helpers/settings.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const SECRET = 'thread-test-secret-0123456789';

/**
 * A loopback receiver in a process of its own (this one's loop is blocked): each request's answer
 * time and headers. It answers a POST only once the gate file (argv[1]) exists, which the test
 * creates as its block begins: the delivery cannot be recorded before the block, however the
 * machine schedules this thread and the delivery thread between the enqueue and the block.
 */
const RECEIVER = `
const http = require('node:http');
const fs = require('node:fs');
const gate = process.argv[1];
const got = [];
const server = http.createServer((req, res) => {
  if (req.method === 'GET') return res.end(JSON.stringify(got));
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const answer = () => {
      got.push({ at: Date.now(), key: req.headers['idempotency-key'], signature: req.headers['x-nightshift-signature'] ?? null });
      res.end('ok');
    };
    if (fs.existsSync(gate)) return answer();
    const poll = setInterval(() => fs.existsSync(gate) && (clearInterval(poll), answer()), 2);
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));`;

interface Received {
  at: number;
  key: string;
  signature: string | null;
}

const notification = (i: number): SourcedNotification => ({
  key: `alert.opened:alr_thread_${i}`,
  body: { event: 'alert.opened', tenant: 'acme', model: null, at: new Date().toISOString(), summary: `alert ${i}`, metrics: {}, run: null, version: null, alert: null },
});

/** A thread's nice value, from /proc (field 19 of its stat, counted after the parenthesised name). */
function niceOf(tid: number): number {
  const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
}

const threadNices = () => readdirSync(`/proc/${process.pid}/task`).map((tid) => niceOf(Number(tid)));

const targets = await storeTargets();

describe('outbox delivery thread', () => {
  test('a webhook is delivered and recorded while the main event loop is blocked', { timeout: 120_000 }, async () => {
    const target = await targets[0]!.make();
    const gate = join(tempDir(), 'blocked');
    const child = spawn(process.execPath, ['-e', RECEIVER, gate], { stdio: ['ignore', 'pipe', 'inherit'] });
    const t = await openTestEngine(target, { clock: systemClock });
    const reader = new BetterSqlite3(sqliteFileIn(target.dataDir), { readonly: true });
    try {
      const port = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', () => reject(new Error('the receiver exited before listening')));
      });
      const base = `http://127.0.0.1:${port}`;
      const n = t.engine.notifications;
      await n.createChannel('acme', { id: 'hook', type: 'webhook', url: `${base}/hook`, secret: SECRET });
      n.start();
      await n.ready();
      if (process.platform === 'linux') {
        // The delivery thread runs 10 nice steps below this (the API's) thread, which keeps its own.
        const mine = niceOf(process.pid);
        assert.ok(threadNices().includes(Math.min(19, mine + 10)), `a thread at nice ${mine + 10} (threads: ${threadNices().join(', ')})`);
      }

      assert.equal(await n.enqueue([notification(1)]), 1);
      // From here until the row is delivered this thread runs no callback at all: no timer, no
      // socket, no message. Only another thread can send the webhook and record it.
      const delivered = reader.prepare("select status, delivered_at from notification_outbox where idem_key = 'alert.opened:alr_thread_1'");
      const blockedAt = Date.now();
      writeFileSync(gate, '');
      let row: { status: string; delivered_at: number | null } | undefined;
      while (Date.now() - blockedAt < 500 || (row?.status !== 'delivered' && Date.now() - blockedAt < 60_000)) {
        if (row?.status !== 'delivered') row = delivered.get() as typeof row;
      }
      const unblockedAt = Date.now();
      assert.equal(row?.status, 'delivered', 'delivered and recorded while this thread was blocked');
      assert.ok(Number(row.delivered_at) >= blockedAt && Number(row.delivered_at) <= unblockedAt);

      const got = (await (await fetch(`${base}/log`)).json()) as Received[];
      assert.equal(got.length, 1);
      assert.equal(got[0]!.key, 'alert.opened:alr_thread_1');
      assert.match(got[0]!.signature ?? '', /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.ok(got[0]!.at >= blockedAt && got[0]!.at <= unblockedAt, 'the receiver answered it during the block');

      // The thread's counts reach this thread's /metrics (every message it sent arrives before it exits).
      await t.close();
      assert.equal(n.counts.get('webhook|delivered'), 1);
    } finally {
      reader.close();
      child.kill('SIGKILL');
      await t.close();
    }
  });

  for (const target of targets) {
    test(`a stop gives back the rows the thread took but had not sent (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable', timeout: 120_000 }, async () => {
      // A receiver that never answers: each delivery hangs until its timeout (5 s: longer than the
      // stop takes to reach the thread, so no lane starts a second row meanwhile).
      const hanging: ServerResponse[] = [];
      let first: () => void = () => undefined;
      const requested = new Promise<void>((resolve) => (first = resolve));
      const server = createServer((_req: IncomingMessage, res: ServerResponse) => {
        hanging.push(res);
        first();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const store = await target.make();
      const t = await openTestEngine(store, { clock: systemClock });
      try {
        const n = t.engine.notifications;
        await n.createChannel('acme', { id: 'hook', type: 'webhook', url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, timeoutMs: 5_000 });
        n.start();
        await n.ready();
        const total = 64;
        assert.equal(await n.enqueue(Array.from({ length: total }, (_, i) => notification(i))), total);
        await requested;
        await t.close();

        const db = await openDb({ dataDir: store.dataDir, databaseUrl: store.databaseUrl });
        const rows = await db.k.selectFrom('notification_outbox').select(['status', 'attempts', 'lease_owner', 'next_attempt_at']).execute();
        await db.close();
        assert.equal(rows.length, total);
        assert.ok(rows.every((r) => r.status === 'pending'), 'nothing delivered, nothing given up');
        assert.ok(rows.every((r) => r.lease_owner === null), 'no row is left leased by the stopped node');
        const unsent = rows.filter((r) => Number(r.attempts) === 0);
        const attempted = rows.filter((r) => Number(r.attempts) === 1);
        assert.equal(unsent.length + attempted.length, total);
        assert.ok(attempted.length >= 1 && attempted.length <= 16, `the sends under way were recorded (${attempted.length})`);
        assert.ok(unsent.length >= total - 16, `the rows not yet sent are left (${unsent.length})`);
        assert.ok(unsent.every((r) => Number(r.next_attempt_at) <= Date.now()), 'and due again at once, not after their lease');
      } finally {
        for (const res of hanging) res.destroy();
        server.close();
        await t.close();
      }
    });
  }

  test('a thread that cannot start (its store does not open) leaves delivery to the main loop', { timeout: 120_000 }, async () => {
    const t = await openTestEngine(await targets[0]!.make(), { clock: systemClock });
    const receiver = await new WebhookReceiver(SECRET).start();
    const lines: Array<{ msg: string; reason?: string }> = [];
    const logger = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg: string }) });
    const n = new NotificationService({
      db: t.engine.db,
      clock: systemClock,
      events: t.engine.events,
      logger,
      nodeId: 'fallback-node',
      settings: t.engine.settings.notifications,
      requireTenant: async () => undefined,
      thread: { store: { dataDir: join(tempDir(), 'no-store-here'), databaseUrl: null }, sealed: false },
    });
    try {
      await n.createChannel('acme', { id: 'hook', type: 'webhook', url: receiver.url, secret: SECRET });
      n.start();
      await n.ready();
      const fallback = lines.find((l) => l.msg.includes('delivering on the main event loop instead'));
      assert.ok(fallback, 'the fallback is logged');
      assert.match(fallback.reason ?? '', /no-store-here|unable to open|SQLite/i);
      assert.equal(await n.enqueue([notification(7)]), 1);
      await receiver.waitForAccepted(1, 30_000);
      assert.equal(receiver.accepted[0]!.headers['idempotency-key'], 'alert.opened:alr_thread_7');
      assert.equal(receiver.accepted[0]!.signatureOk, true);
    } finally {
      await n.close();
      await receiver.stop();
      await t.close();
    }
  });

  test('a channel and rows written by another process are found by the poll: the thread starts and delivers them', { timeout: 120_000 }, async () => {
    const store = await targets[0]!.make();
    const serving = await openTestEngine(store, { clock: systemClock, nodeId: 'serving' });
    const cli = await openTestEngine(store, { clock: systemClock, nodeId: 'cli' });
    const receiver = await new WebhookReceiver(SECRET).start();
    try {
      // Started with no channel and nothing to deliver: no thread yet, and nothing here wakes it.
      serving.engine.notifications.start();
      await cli.engine.notifications.createChannel('acme', { id: 'hook', type: 'webhook', url: receiver.url, secret: SECRET });
      assert.equal(await cli.engine.notifications.enqueue([notification(9)]), 1);
      await receiver.waitForAccepted(1, 60_000);
      assert.equal(receiver.accepted[0]!.headers['idempotency-key'], 'alert.opened:alr_thread_9');
      await serving.close();
      assert.equal(serving.engine.notifications.counts.get('webhook|delivered'), 1, 'delivered by the serving engine');
    } finally {
      await receiver.stop();
      await serving.close();
      await cli.close();
    }
  });
});
