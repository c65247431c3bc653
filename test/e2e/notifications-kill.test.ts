/**
 * The outbox under kill -9 of the real `nightshift serve` process: a notification whose receiver
 * is down stays in the store across the crash, and the restarted service delivers it once the
 * receiver is back — once, with its idempotency key and a valid signature.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { promisify } from 'node:util';
import { openDb } from '../../src/store/db.ts';
import { BIN, ServeProcess } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';
import { WebhookReceiver } from '../helpers/webhook-receiver.ts';

const exec = promisify(execFile);
const SECRET = 'kill-test-secret-0123456789';

test('a pending notification survives kill -9 and is delivered once after the restart', { timeout: 120_000 }, async () => {
  const receiver = await new WebhookReceiver(SECRET).start();
  const url = receiver.url;
  await receiver.stop();
  const dir = tempDir();
  const config = join(dir, 'nightshift.json');
  writeFileSync(
    config,
    JSON.stringify({
      tenants: [{ id: 'acme', name: 'Acme', timezone: 'UTC' }],
      jobs: [{ id: 'analysis', kind: 'command', command: process.execPath, args: ['-e', "console.log('::metric patterns=28'); console.log('::metric suggestions=10')"] }],
      notifications: { failingAfter: 1, channels: [{ id: 'hook', type: 'webhook', url, secret: SECRET }] },
    }),
  );
  const env = {
    NIGHTSHIFT_CONFIG: config,
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_POLL: '200ms',
    NIGHTSHIFT_LOG_LEVEL: 'info',
    NIGHTSHIFT_PORT: '0',
  };
  const outbox = async () => {
    const db = await openDb({ dataDir: env.NIGHTSHIFT_DATA_DIR, databaseUrl: null });
    try {
      return {
        rows: await db.k.selectFrom('notification_outbox').selectAll().execute(),
        attempts: await db.k.selectFrom('notification_attempts').selectAll().orderBy('attempt').execute(),
      };
    } finally {
      await db.close();
    }
  };

  const first = new ServeProcess(env);
  let second: ServeProcess | null = null;
  try {
    await first.waitForLog((l) => l.msg === 'HTTP API listening');
    const { stdout } = await exec(process.execPath, [BIN, 'trigger', 'analysis', '--tenant', 'acme', '--json'], { env: { ...process.env, ...env } });
    const runId = (JSON.parse(stdout) as { id: string }).id;
    // The first attempt failed (receiver down) and was recorded: the channel is failing.
    await first.waitForLog((l) => l.msg === 'notification channel is failing');
    const { signal } = await first.stop('SIGKILL');
    assert.equal(signal, 'SIGKILL');

    // The run's notification, and perhaps already the NOTIFICATION_FAILING alert's (enqueued as the
    // channel turned failing, before or after the log line reached this test).
    const crashed = await outbox();
    const pending = crashed.rows.find((r) => r.idem_key === `run.succeeded:${runId}`);
    assert.ok(pending, `the run's notification is in the outbox (rows: ${crashed.rows.map((r) => r.idem_key).join(', ')})`);
    assert.ok(crashed.rows.every((r) => r === pending || /^alert\.opened:/.test(r.idem_key)), `nothing else but the channel's alert (rows: ${crashed.rows.map((r) => r.idem_key).join(', ')})`);
    assert.equal(pending.status, 'pending', 'kept across the crash');
    assert.ok(Number(pending.attempts) >= 1);
    assert.match(pending.last_error ?? '', /fetch failed|ECONNREFUSED/);

    await receiver.start();
    second = new ServeProcess(env);
    await receiver.waitForAccepted(1, 60_000);
    await second.waitForLog((l) => l.msg === 'notification channel delivers again');
    await second.stop('SIGTERM');

    // The channel's failing and recovering also open and resolve a NOTIFICATION_FAILING alert, whose
    // notifications go to the same channel (the delivery thread may send them before the stop).
    const runKey = `run.succeeded:${runId}`;
    const keys = receiver.accepted.map((r) => String(r.headers['idempotency-key']));
    const runs = receiver.accepted.filter((r) => r.headers['idempotency-key'] === runKey);
    assert.equal(runs.length, 1, `the run's notification is delivered once (received: ${keys.join(', ')})`);
    assert.ok(keys.every((k) => k === runKey || /^alert\.(opened|resolved):/.test(k)), `nothing else but the channel's alert (received: ${keys.join(', ')})`);
    assert.equal(receiver.duplicates.length, 0);
    assert.equal(receiver.rejected.length, 0);
    const got = runs[0]!;
    assert.equal(got.signatureOk, true);
    assert.deepEqual(got.json.metrics, { patterns: 28, suggestions: 10 });

    const after = await outbox();
    const row = after.rows.find((r) => r.idem_key === runKey)!;
    assert.equal(row.status, 'delivered');
    assert.equal(row.last_status_code, 200);
    const history = after.attempts.filter((a) => a.notification_id === row.id).map((a) => Number(a.ok));
    assert.equal(history.at(-1), 1, 'the last attempt delivered');
    assert.ok(history.slice(0, -1).every((ok) => ok === 0), 'every earlier attempt failed');
    assert.equal(history.length, Number(row.attempts));
  } finally {
    await first.stop('SIGKILL');
    await second?.stop('SIGKILL');
    await receiver.stop();
  }
});
