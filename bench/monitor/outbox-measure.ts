/**
 * Outbox measurement (the monitor benchmark's outbox part, outbox.ts), one fresh process: a webhook receiver in its own process, a real
 * `nightshift serve` whose outbox delivers to it, a writer process (outbox-writer.ts) writing the
 * notifications as a CLI would, and this process loading the API with autocannon. First the API's p99 idle, then the same while the
 * outbox delivers N notifications; the delivery rate is the receiver's count over its own clock.
 * Prints the result as the last stdout line (JSON). Arguments: notifications (20000), seconds of each
 * API measurement (5); a smaller count makes a quick check that it runs, not a result.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ServeProcess } from '../../test/helpers/serve-process.ts';
import { measureLoad, processTreeCpuSeconds, type LoadResult } from '../api/load.ts';
import { progress } from '../api/progress.ts';

const SECRET = 'bench-outbox-secret-0123456789';
const CONNECTIONS = 10;

export interface OutboxMeasurement {
  notifications: number;
  /** Receiver's first to last accepted delivery. */
  deliverySeconds: number;
  deliveryRate: number;
  /** From the first row written to the last delivery (the service's poll included). */
  endToEndSeconds: number;
  enqueueSeconds: number;
  duplicates: number;
  badSignatures: number;
  idle: LoadResult;
  busy: LoadResult;
  /** Whether delivery was still going on when the busy measurement ended. */
  deliveringThroughout: boolean;
  /** CPU seconds the service process used from the first row written to the last delivery (API load included). */
  serverCpuSeconds: number;
}

interface Count {
  accepted: number;
  bad: number;
  duplicates: number;
  firstAt: number | null;
  lastAt: number | null;
}

/** The writer process: ready once it has opened the store; write() resolves when its N rows are in. */
function startWriter(dataDir: string, n: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'outbox-writer.ts'), dataDir, String(n)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! });
  const next = (expected: RegExp) =>
    new Promise<void>((resolve, reject) => {
      const onLine = (line: string) => {
        if (!expected.test(line)) return;
        lines.off('line', onLine);
        resolve();
      };
      lines.on('line', onLine);
      child.once('exit', (code) => reject(new Error(`the writer exited (${code}) before "${expected.source}"`)));
    });
  const ready = next(/^ready$/);
  return {
    ready,
    write: () => {
      const done = next(/^done /);
      child.stdin!.write('go\n');
      return done;
    },
    stop: () => child.kill('SIGKILL'),
  };
}

async function startReceiver(): Promise<{ url: string; pid: number; count: () => Promise<Count>; stop: () => void }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'outbox-receiver.ts'), SECRET], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', () => reject(new Error('the receiver exited before listening')));
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    url: `${base}/hook`,
    pid: child.pid!,
    count: async () => (await (await fetch(`${base}/count`)).json()) as Count,
    stop: () => child.kill('SIGKILL'),
  };
}

async function measure(n: number, seconds: number): Promise<OutboxMeasurement> {
  const dir = mkdtempSync(join(tmpdir(), 'ns-bench-outbox-'));
  const receiver = await startReceiver();
  const config = join(dir, 'nightshift.json');
  writeFileSync(config, JSON.stringify({ tenants: [{ id: 'acme', name: 'Acme', timezone: 'UTC' }], notifications: { channels: [{ id: 'hook', type: 'webhook', url: receiver.url, secret: SECRET }] } }));
  const env = { NIGHTSHIFT_CONFIG: config, NIGHTSHIFT_DATA_DIR: join(dir, 'data'), NIGHTSHIFT_HOST: '127.0.0.1', NIGHTSHIFT_PORT: '0', NIGHTSHIFT_LOG_LEVEL: 'info', NIGHTSHIFT_AUTH: 'off' };
  const serve = new ServeProcess(env);
  let writer: ReturnType<typeof startWriter> | null = null;
  try {
    const listening = await serve.waitForLog((l) => l.msg === 'HTTP API listening', 120_000);
    const url = `${String(listening.address)}/api/tenants/acme/notification-channels`;
    const pids = { server: serve.proc.pid!, receiver: receiver.pid };
    writer = startWriter(env.NIGHTSHIFT_DATA_DIR, n);
    await writer.ready;

    progress('outbox: warm-up 2 s (not measured)');
    await measureLoad({ url, seconds: 2, connections: CONNECTIONS, pids });
    const idle = await measureLoad({ url, seconds, connections: CONNECTIONS, pids });
    progress(`outbox: idle API p99 ${idle.p99.toFixed(2)} ms (${idle.rps.toFixed(0)} req/s)`);

    const cpuBefore = processTreeCpuSeconds(serve.proc.pid!);
    const startedAt = performance.timeOrigin + performance.now();
    const busyLoad = measureLoad({ url, seconds, connections: CONNECTIONS, pids });
    await writer.write();
    const enqueueSeconds = (performance.timeOrigin + performance.now() - startedAt) / 1000;
    const busy = await busyLoad;
    const atBusyEnd = await receiver.count();
    progress(`outbox: busy API p99 ${busy.p99.toFixed(2)} ms; ${atBusyEnd.accepted} of ${n} delivered when it ended`);
    let count = atBusyEnd;
    const deadline = Date.now() + 300_000;
    while (count.accepted + count.bad < n) {
      if (Date.now() > deadline) throw new Error(`only ${count.accepted} of ${n} delivered in 5 minutes`);
      await new Promise((r) => setTimeout(r, 100));
      count = await receiver.count();
    }
    const serverCpuSeconds = processTreeCpuSeconds(serve.proc.pid!) - cpuBefore;
    const deliverySeconds = (count.lastAt! - count.firstAt!) / 1000;
    return {
      notifications: n,
      deliverySeconds,
      deliveryRate: n / deliverySeconds,
      endToEndSeconds: (count.lastAt! - startedAt) / 1000,
      enqueueSeconds,
      duplicates: count.duplicates,
      badSignatures: count.bad,
      idle,
      busy,
      deliveringThroughout: atBusyEnd.accepted < n,
      serverCpuSeconds,
    };
  } finally {
    writer?.stop();
    await serve.stop('SIGTERM');
    receiver.stop();
  }
}

const [n = '20000', seconds = '5'] = process.argv.slice(2);
const m = await measure(Number(n), Number(seconds));
process.stdout.write(`${JSON.stringify(m)}\n`);
process.exit(0);
