/**
 * The outbox measurement's writer (outbox-measure.ts), a process of its own as a CLI would be: opens
 * the service's store (a second engine on the same SQLite file), says "ready", and on "go" (stdin)
 * writes N notifications to the outbox in chunks of 500, then says "done <seconds>" and exits. Its
 * CPU stays out of the process that runs the load generator, whose event loop it would stall.
 * Arguments: the data dir, N.
 */
import { createInterface } from 'node:readline';
import { loadSettings } from '../../src/config/index.ts';
import { Engine } from '../../src/engine.ts';
import type { SourcedNotification } from '../../src/monitor/notify/notification-source.ts';

const [dataDir, count = '20000'] = process.argv.slice(2);
const n = Number(count);
const writer = await Engine.open({ settings: loadSettings({ env: { NIGHTSHIFT_DATA_DIR: dataDir!, NIGHTSHIFT_LOG_LEVEL: 'silent' } }), store: 'existing' });
const at = new Date().toISOString();
const list: SourcedNotification[] = Array.from({ length: n }, (_, i) => ({
  key: `bench:${i}`,
  body: { event: 'run.succeeded', tenant: 'acme', model: 'churn', at, summary: `bench notification ${i}`, metrics: { patterns: 28, suggestions: 10, cost: 0.0025 }, run: null, version: null, alert: null },
}));
const lines = createInterface({ input: process.stdin });
process.stdout.write('ready\n');
for await (const line of lines) {
  if (line !== 'go') continue;
  const t0 = performance.now();
  for (let i = 0; i < n; i += 500) await writer.notifications.enqueue(list.slice(i, i + 500));
  process.stdout.write(`done ${(performance.now() - t0) / 1000}\n`);
  break;
}
await writer.close(0);
process.exit(0);
