/**
 * The benchmark's webhook receiver, in a process of its own as a user's would be: verifies each
 * signature, drops repeated idempotency keys, and answers GET /count with what it accepted.
 * Prints its port on stdout once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/monitor/notify/signature.ts';

const secret = process.argv[2] ?? '';
const keys = new Set<string>();
let bad = 0;
let duplicates = 0;
let firstAt: number | null = null;
let lastAt: number | null = null;

const server = createServer((req, res) => {
  if (req.method === 'GET') {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ accepted: keys.size, bad, duplicates, firstAt, lastAt }));
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    if (!verifySignature(secret, req.headers['x-nightshift-signature'] as string | undefined, body, Math.floor(Date.now() / 1000))) {
      bad++;
      res.writeHead(401).end();
      return;
    }
    const key = req.headers['idempotency-key'] as string;
    if (keys.has(key)) duplicates++;
    else keys.add(key);
    const now = performance.timeOrigin + performance.now();
    firstAt ??= now;
    lastAt = now;
    res.writeHead(200).end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.stdout.write(`${(server.address() as AddressInfo).port}\n`));
