/**
 * One autocannon measurement of POST requests (programmatic API, in this process), with the CPU time
 * each side used meanwhile, as bench/api/load.ts does for GET: this process (autocannon), the
 * server, and `other` (everything else the machine ran). Connections loop over `bodies` in order.
 * Latency percentiles are nearest-rank over every 2xx response time autocannon reports (its
 * `response` event, sub-millisecond floats).
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { machineCpuSeconds } from '../api/load.ts';
import { summarize } from '../lib/stats.ts';

/**
 * autocannon 8's `requests` option (not in bench/api/autocannon.d.ts): each connection loops over
 * these; `onResponse` sees each response's body (node_modules/autocannon/README.md).
 */
interface RequestSpec {
  method: string;
  headers: Record<string, string>;
  body: string;
  onResponse?: (status: number, body: string) => void;
}

export interface PostLoadOptions {
  url: string;
  bodies: readonly string[];
  seconds: number;
  connections: number;
  /** Process ids whose CPU time (with their reaped children's) is sampled over the measurement (by label). */
  pids: Record<string, number>;
  /** Sees every response body (the swap measurement reads the version out of it); costs client CPU. */
  onBody?: (status: number, body: string) => void;
}

export interface PostLoadResult {
  seconds: number;
  /** autocannon `requests.average`: mean of the per-second request counts. */
  rps: number;
  requests: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** autocannon's own p99 (whole ms), for reference. */
  autocannonP99: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  /** % of one core over the measurement's wall time: per pid label, `client` (this process) and `other`. */
  cpuPercent: Record<string, number>;
  stealPercent: number;
}

/** USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux. */
const CLK_TCK = 100;

/**
 * User + system CPU seconds of a process and of its children that ended and were reaped (fields 14–17
 * of /proc/<pid>/stat): for the server, that includes the training runs it spawned and waited for.
 */
export function processTreeCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

export async function measurePost(o: PostLoadOptions): Promise<PostLoadResult> {
  const samples: number[] = [];
  const cpuBefore = Object.fromEntries(Object.entries(o.pids).map(([label, pid]) => [label, processTreeCpuSeconds(pid)]));
  const machineBefore = machineCpuSeconds();
  const clientBefore = process.cpuUsage();
  const wallStart = performance.now();
  const headers = { 'content-type': 'application/json' };
  const onResponse = o.onBody;
  const options: autocannon.Options & { requests: RequestSpec[] } = {
    url: o.url,
    method: 'POST',
    headers,
    connections: o.connections,
    pipelining: 1,
    duration: o.seconds,
    requests: o.bodies.map((body) => ({ method: 'POST', headers, body, ...(onResponse ? { onResponse: (status: number, text: string) => onResponse(status, text) } : {}) })),
  };
  const instance = autocannon(options);
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) samples.push(responseTimeMs);
  });
  const r = await instance;
  const wallS = (performance.now() - wallStart) / 1000;
  const client = process.cpuUsage(clientBefore);
  const machine = machineCpuSeconds();
  const pct = (cpuSeconds: number) => (cpuSeconds / wallS) * 100;
  const cpuPercent: Record<string, number> = { client: pct((client.user + client.system) / 1e6) };
  for (const [label, pid] of Object.entries(o.pids)) cpuPercent[label] = pct(processTreeCpuSeconds(pid) - cpuBefore[label]!);
  const tracked = Object.values(cpuPercent).reduce((a, b) => a + b, 0);
  cpuPercent.other = Math.max(0, pct(machine.busy - machineBefore.busy) - tracked);
  const s = summarize(samples);
  return {
    seconds: r.duration,
    rps: r.requests.average,
    requests: r.requests.total,
    p50: s.p50,
    p90: s.p90,
    p99: s.p99,
    max: s.max,
    autocannonP99: r.latency.p99,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
    cpuPercent,
    stealPercent: pct(machine.steal - machineBefore.steal),
  };
}
