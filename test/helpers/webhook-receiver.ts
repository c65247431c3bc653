/**
 * A real loopback HTTP server receiving webhooks, as a user's receiver would: it verifies each
 * signature, keeps the bodies it accepted and drops an idempotency key it has seen. It can be
 * stopped (connections refused) and started again on the same port.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/monitor/notify/signature.ts';

export interface Received {
  headers: IncomingMessage['headers'];
  body: string;
  json: Record<string, unknown>;
  signatureOk: boolean;
}

export class WebhookReceiver {
  readonly accepted: Received[] = [];
  /** Requests whose idempotency key had been accepted before (dropped, answered 200). */
  readonly duplicates: Received[] = [];
  /** Requests with a missing or wrong signature (answered 401). */
  readonly rejected: Received[] = [];
  readonly keys = new Set<string>();
  #server: Server | null = null;
  #port = 0;
  #listeners: Array<() => void> = [];

  constructor(readonly secret: string, readonly nowSec: () => number = () => Math.floor(Date.now() / 1000), readonly toleranceSec = 300) {}

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const r: Received = { headers: req.headers, body, json: JSON.parse(body) as Record<string, unknown>, signatureOk: verifySignature(this.secret, req.headers['x-nightshift-signature'] as string | undefined, body, this.nowSec(), this.toleranceSec) };
        const key = req.headers['idempotency-key'] as string;
        if (!r.signatureOk) {
          this.rejected.push(r);
          res.writeHead(401).end('bad signature');
        } else if (this.keys.has(key)) {
          this.duplicates.push(r);
          res.writeHead(200).end('duplicate');
        } else {
          this.keys.add(key);
          this.accepted.push(r);
          res.writeHead(200).end('ok');
        }
        for (const l of this.#listeners.splice(0)) l();
      });
    });
    server.keepAliveTimeout = 60_000;
    server.listen(this.#port, '127.0.0.1');
    await once(server, 'listening');
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
    return this;
  }

  /** Stops listening: deliveries are refused until start() again (same port). */
  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Resolves once `n` requests have been accepted in all. */
  async waitForAccepted(n: number, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.accepted.length < n) {
      if (Date.now() > deadline) throw new Error(`receiver: ${this.accepted.length} of ${n} accepted after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#listeners.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }
}
