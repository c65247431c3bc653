/**
 * The predict load: bench/api/load.ts's autocannon measurement with POST bodies. Connections loop
 * over `bodies` in order; the server's CPU includes the training runs it spawned and reaped.
 */
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
}

export type PostLoadResult = LoadResult;

export function measurePost(o: PostLoadOptions): Promise<PostLoadResult> {
  const headers = { 'content-type': 'application/json', ...o.headers };
  const onResponse = o.onBody;
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
    },
  });
}
