/**
 * The predict load: bench/api/load.ts's autocannon measurement with POST bodies. Connections loop
 * over `bodies` in order; the server's CPU includes the training runs it spawned and reaped.
 */
import { createRequire } from 'node:module';
import type autocannon from 'autocannon';
import { measureLoad, processTreeCpuSeconds, type LoadResult } from '../api/load.ts';

export interface PostLoadOptions {
  url: string;
  bodies: readonly string[];
  seconds: number;
  connections: number;
  /** Process ids whose CPU time (with their reaped children's) is sampled over the measurement (by label). */
  pids: Record<string, number>;
  /** Sees every response body (the swap measurement reads the version out of it); costs client CPU. */
  onBody?: (status: number, body: string) => void;
  /** More request headers (an Authorization header, bench/auth). */
  headers?: Record<string, string>;
  /**
   * Headers that change from request to request: each request sent takes the next set, in turn,
   * across every connection (bench/auth: a different token on each request, so none is ever one the
   * server has seen lately).
   */
  rotatingHeaders?: readonly Record<string, string>[];
}

type BuildRequest = (request: { method: string; path: string; headers: Record<string, string>; body: string }) => Buffer;
const require = createRequire(import.meta.url);
/** autocannon's own request builder, so a pre-built request has exactly the bytes it would send. */
const requestBuilder = require('autocannon/lib/httpRequestBuilder.js') as (defaults: { hostname: string; port: string }) => BuildRequest;

/**
 * Rotating headers, with every request's bytes built before the load starts. autocannon rebuilds a
 * request whose headers change each time it is sent (setupRequest): on this 2-core machine that cost
 * the load generator ~30 µs a request, 15–20 % of a core more than a fixed request, and the server
 * then waited for requests 1–3 % of the time: the generator's cost, counted as the server's. Each
 * connection takes the next pre-built request instead (the client's `getRequestBuffer`, called once
 * per request sent; autocannon 8), so sending one costs what a fixed request does.
 */
function rotatingRequests(o: PostLoadOptions, headers: Record<string, string>, rotating: readonly Record<string, string>[]): NonNullable<autocannon.Options['setupClient']> {
  const url = new URL(o.url);
  const build = requestBuilder({ hostname: url.hostname, port: url.port });
  const built = rotating.map((extra, i) => build({ method: 'POST', path: url.pathname + url.search, headers: { ...headers, ...extra }, body: o.bodies[i % o.bodies.length]! }));
  let sent = 0;
  return (client) => {
    client.getRequestBuffer = () => built[sent++ % built.length]!;
  };
}

export type PostLoadResult = LoadResult;

export function measurePost(o: PostLoadOptions): Promise<PostLoadResult> {
  const headers = { 'content-type': 'application/json', ...o.headers };
  const onResponse = o.onBody;
  const setupClient = o.rotatingHeaders?.length ? rotatingRequests(o, headers, o.rotatingHeaders) : undefined;
  return measureLoad({
    url: o.url,
    seconds: o.seconds,
    connections: o.connections,
    pids: o.pids,
    cpuSeconds: processTreeCpuSeconds,
    requestOptions: {
      method: 'POST',
      headers,
      requests: o.bodies.map((body) => ({ method: 'POST', headers, body, ...(onResponse ? { onResponse } : {}) })),
      ...(setupClient ? { setupClient } : {}),
    },
  });
}
