/**
 * One autocannon measurement (programmatic API, in this process), with the CPU time each side used
 * meanwhile: this process (autocannon), the server, and the busy job when there is one.
 *
 * Latency percentiles come from every 2xx response time autocannon reports (its `response` event,
 * sub-millisecond floats), nearest-rank (bench/lib/stats.ts); autocannon's own histogram keeps
 * whole milliseconds, too coarse for a ratio of two single-digit p99s. Its p99 is kept for reference.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { summarize } from '../lib/stats.ts';

/** USER_HZ: /proc/<pid>/stat counts CPU time in 1/100 s on Linux. */
const CLK_TCK = 100;

export interface LoadOptions {
  url: string;
  seconds: number;
  connections: number;
  /** Process ids whose CPU time is sampled over the measurement (by label). */
  pids: Record<string, number>;
  /** How a pid's CPU seconds are read (default processCpuSeconds: the process alone). */
  cpuSeconds?: (pid: number) => number;
  /** More autocannon options: a method, headers, a loop of requests with bodies. */
  requestOptions?: Omit<autocannon.Options, 'url' | 'connections' | 'pipelining' | 'duration'>;
}

export interface LoadResult {
  url: string;
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
  /**
   * % of one core over the measurement's wall time: per label, `client` (this process), and `other`:
   * everything else the machine ran meanwhile (all cores' busy time from /proc/stat minus the above).
   */
  cpuPercent: Record<string, number>;
  /** % of one core the hypervisor took (steal), for the record. */
  stealPercent: number;
}

const statFields = (pid: number): string[] => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
};

/** User + system CPU seconds of a process, from /proc/<pid>/stat (fields 14 and 15). */
export function processCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;
}

/**
 * The same plus its children that ended and were reaped (fields 16 and 17): for a server, that
 * includes the training runs it spawned and waited for.
 */
export function processTreeCpuSeconds(pid: number): number {
  const f = statFields(pid);
  return (Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14])) / CLK_TCK;
}

/** Busy and steal CPU seconds of the whole machine (all cores), from the `cpu` line of /proc/stat. */
export function machineCpuSeconds(): { busy: number; steal: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!;
  const [user, nice, system, , , irq, softirq, steal] = line.trim().split(/\s+/).slice(1).map(Number) as number[];
  return { busy: (user! + nice! + system! + irq! + softirq!) / CLK_TCK, steal: steal! / CLK_TCK };
}

export async function measureLoad(o: LoadOptions): Promise<LoadResult> {
  const samples: number[] = [];
  const cpuSeconds = o.cpuSeconds ?? processCpuSeconds;
  const cpuBefore = Object.fromEntries(Object.entries(o.pids).map(([label, pid]) => [label, cpuSeconds(pid)]));
  const machineBefore = machineCpuSeconds();
  const clientBefore = process.cpuUsage();
  const wallStart = performance.now();
  const instance = autocannon({ ...o.requestOptions, url: o.url, connections: o.connections, pipelining: 1, duration: o.seconds });
  instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
    if (statusCode >= 200 && statusCode < 300) samples.push(responseTimeMs);
  });
  const r = await instance;
  const wallS = (performance.now() - wallStart) / 1000;
  const client = process.cpuUsage(clientBefore);
  const machine = machineCpuSeconds();
  const pct = (cpuSeconds: number) => (cpuSeconds / wallS) * 100;
  const cpuPercent: Record<string, number> = { client: pct((client.user + client.system) / 1e6) };
  for (const [label, pid] of Object.entries(o.pids)) cpuPercent[label] = pct(cpuSeconds(pid) - cpuBefore[label]!);
  const tracked = Object.values(cpuPercent).reduce((a, b) => a + b, 0);
  cpuPercent.other = Math.max(0, pct(machine.busy - machineBefore.busy) - tracked);
  const s = summarize(samples);
  return {
    url: o.url,
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

/**
 * Waits (1 s windows, at most `maxWaitS`) until processes other than `pids` use less than
 * `maxOtherPercent` of a core: the machine is shared, and a measurement taken while something else
 * burns CPU says nothing about nightshift. Returns the last window's figure; the measurement's own
 * `other` CPU is recorded either way.
 */
export async function waitForQuiet(pids: readonly number[], maxOtherPercent: number, maxWaitS: number): Promise<{ otherPercent: number; waitedS: number }> {
  const start = performance.now();
  for (;;) {
    const machine0 = machineCpuSeconds();
    const own0 = pids.reduce((a, pid) => a + processCpuSeconds(pid), 0) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, 1_000));
    const wallS = (performance.now() - t0) / 1000;
    const own1 = pids.reduce((a, pid) => a + processCpuSeconds(pid), 0) + process.cpuUsage().user / 1e6 + process.cpuUsage().system / 1e6;
    const otherPercent = Math.max(0, ((machineCpuSeconds().busy - machine0.busy - (own1 - own0)) / wallS) * 100);
    const waitedS = (performance.now() - start) / 1000;
    if (otherPercent < maxOtherPercent || waitedS >= maxWaitS) return { otherPercent, waitedS };
  }
}
