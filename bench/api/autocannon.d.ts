/**
 * The part of autocannon 8's programmatic API the API benchmark uses (the package ships no types;
 * see node_modules/autocannon/README.md). `autocannon(opts)` without a callback returns an
 * EventEmitter that is also a promise of the results.
 */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      pipelining?: number;
      /** Seconds. */
      duration?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string;
      /** Per-request timeout, seconds. */
      timeout?: number;
      workers?: number;
      /** Each connection loops over these requests; onResponse sees each response body. */
      requests?: Array<{
        method?: string;
        headers?: Record<string, string>;
        body?: string;
        onResponse?: (status: number, body: string) => void;
        /** Rewrites the request each time it is sent (e.g. a fresh body); returns it. */
        setupRequest?: (req: { method?: string; headers?: Record<string, string>; body?: string }) => { method?: string; headers?: Record<string, string>; body?: string };
      }>;
    }

    /** hdr-histogram-percentiles-obj: latency in ms (whole milliseconds), requests and throughput per second. */
    interface Histogram {
      min: number;
      max: number;
      average: number;
      mean: number;
      stddev: number;
      total: number;
      p2_5: number;
      p50: number;
      p75: number;
      p90: number;
      p97_5: number;
      p99: number;
      p99_9: number;
      p99_99: number;
      p99_999: number;
    }

    interface Result {
      url: string;
      requests: Histogram & { sent: number };
      latency: Histogram;
      throughput: Histogram;
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      '1xx': number;
      '2xx': number;
      '3xx': number;
      '4xx': number;
      '5xx': number;
      statusCodeStats: Record<string, { count: number }>;
      start: Date;
      finish: Date;
    }

    interface Instance extends EventEmitter, PromiseLike<Result> {
      on(event: 'response', listener: (client: unknown, statusCode: number, resBytes: number, responseTimeMs: number) => void): this;
      on(event: string, listener: (...args: unknown[]) => void): this;
      stop(): void;
    }
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  export = autocannon;
}
