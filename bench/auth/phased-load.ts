/**
 * Closed-loop HTTP load that alternates between several loads in short phases, for comparing their
 * throughput on a machine whose speed drifts (bench/auth/measure.ts). Each load keeps its own
 * keep-alive connections open all along; a phase runs one load alone: its `connections` each send a
 * request as soon as the last one was answered, until the phase's time is up, and then the phase
 * waits for the requests in flight, so no phase's requests overlap another's. The loads take turns,
 * each cycle in the reverse order of the one before, so each has the others on both sides.
 *
 * A load's throughput is its requests over the time its phases took (first send to last answer); its
 * server CPU is read from /proc at each phase's start and end. pool() adds up runs against several
 * server processes, so what differs from one process to the next averages out too. With phases a quarter of a second
 * long, every load sees the same machine: the drift that two long measurements a minute apart would
 * compare is averaged into all of them alike.
 *
 * node:http with keep-alive, not autocannon: autocannon cannot switch between loads without
 * reconnecting. Each load's request i takes its (headers, body) pair i in turn.
 */
import { Agent, request } from 'node:http';
import { processCpuSeconds, machineCpuSeconds } from '../api/load.ts';
import { summarize } from '../lib/stats.ts';

export interface PhasedLoad {
  name: string;
  url: string;
  /** Request i sends requests[i % length] (a rotating token, a body per entity). */
  requests: ReadonlyArray<{ headers: Record<string, string>; body: string }>;
}

export interface PhasedResult {
  name: string;
  requests: number;
  /** Seconds the load's phases took. */
  seconds: number;
  rps: number;
  /** Server CPU ms per request, over the load's phases. */
  serverCpuMsPerRequest: number;
  /** Server CPU over the load's phases, % of a core. */
  serverCpuPercent: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

export interface PhasedOptions {
  loads: readonly PhasedLoad[];
  /** Keep-alive connections per load, all busy during its phases. */
  connections: number;
  phaseMs: number;
  /** Total time, all loads together (warm-up excluded). */
  seconds: number;
  /** Seconds of the same alternation first, not counted. */
  warmupSeconds: number;
  serverPid: number;
}

/** What one run of the phases measured of one load; runs of several server processes add up (pool). */
export interface Tally {
  requests: number;
  ms: number;
  cpuS: number;
  latencies: number[];
  non2xx: number;
  errors: number;
  next: number;
}

/** One run: each load's tally, and the machine over the run (seconds of CPU). */
export interface PhasedRun {
  tallies: Tally[];
  wallS: number;
  stealS: number;
  otherS: number;
  clientS: number;
}

function send(agent: Agent, url: URL, r: { headers: Record<string, string>; body: string }): Promise<number> {
  return new Promise((resolve) => {
    const req = request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(r.body), ...r.headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', () => resolve(-1));
    });
    req.on('error', () => resolve(-1));
    req.end(r.body);
  });
}

/** One phase of one load: `connections` closed loops until `untilMs`; resolves when the last is answered. */
async function phase(load: PhasedLoad, agent: Agent, url: URL, tally: Tally, connections: number, untilMs: number, counted: boolean): Promise<void> {
  const loop = async () => {
    while (performance.now() < untilMs) {
      const r = load.requests[tally.next++ % load.requests.length]!;
      const t0 = performance.now();
      const status = await send(agent, url, r);
      if (!counted) continue;
      tally.requests++;
      if (status < 0) tally.errors++;
      else if (status < 200 || status >= 300) tally.non2xx++;
      else tally.latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: connections }, loop));
}

export async function runPhased(o: PhasedOptions): Promise<PhasedRun> {
  const agents = o.loads.map(() => new Agent({ keepAlive: true, maxSockets: o.connections }));
  const urls = o.loads.map((l) => new URL(l.url));
  const tallies: Tally[] = o.loads.map(() => ({ requests: 0, ms: 0, cpuS: 0, latencies: [], non2xx: 0, errors: 0, next: 0 }));
  const order = o.loads.map((_, i) => i);
  const cycles = async (seconds: number, counted: boolean) => {
    const end = performance.now() + seconds * 1000;
    for (let cycle = 0; performance.now() < end; cycle++) {
      for (const i of cycle % 2 === 0 ? order : [...order].reverse()) {
        const cpu0 = processCpuSeconds(o.serverPid);
        const t0 = performance.now();
        await phase(o.loads[i]!, agents[i]!, urls[i]!, tallies[i]!, o.connections, t0 + o.phaseMs, counted);
        if (!counted) continue;
        tallies[i]!.ms += performance.now() - t0;
        tallies[i]!.cpuS += processCpuSeconds(o.serverPid) - cpu0;
      }
    }
  };
  try {
    await cycles(o.warmupSeconds, false);
    const machine0 = machineCpuSeconds();
    const client0 = process.cpuUsage();
    const server0 = processCpuSeconds(o.serverPid);
    const t0 = performance.now();
    await cycles(o.seconds, true);
    const wallS = (performance.now() - t0) / 1000;
    const machine = machineCpuSeconds();
    const client = process.cpuUsage(client0);
    const clientS = (client.user + client.system) / 1e6;
    const serverS = processCpuSeconds(o.serverPid) - server0;
    return { tallies, wallS, stealS: machine.steal - machine0.steal, otherS: Math.max(0, machine.busy - machine0.busy - clientS - serverS), clientS };
  } finally {
    for (const a of agents) a.destroy();
  }
}

/** Runs of the same loads (one per server process) as one measurement: their requests, times and CPU added up. */
export function pool(names: readonly string[], runs: readonly PhasedRun[]): { results: PhasedResult[]; stealPercent: number; otherCpuPercent: number; clientCpuPercent: number } {
  const wallS = runs.reduce((a, r) => a + r.wallS, 0);
  const sum = (f: (r: PhasedRun) => number) => runs.reduce((a, r) => a + f(r), 0);
  return {
    results: names.map((name, i) => {
      const t = runs.map((r) => r.tallies[i]!);
      const requests = t.reduce((a, x) => a + x.requests, 0);
      const ms = t.reduce((a, x) => a + x.ms, 0);
      const cpuS = t.reduce((a, x) => a + x.cpuS, 0);
      const s = summarize(t.flatMap((x) => x.latencies));
      return {
        name,
        requests,
        seconds: ms / 1000,
        rps: requests / (ms / 1000),
        serverCpuMsPerRequest: (cpuS * 1000) / requests,
        serverCpuPercent: (cpuS / (ms / 1000)) * 100,
        p50: s.p50,
        p99: s.p99,
        non2xx: t.reduce((a, x) => a + x.non2xx, 0),
        errors: t.reduce((a, x) => a + x.errors, 0),
      };
    }),
    stealPercent: (sum((r) => r.stealS) / wallS) * 100,
    otherCpuPercent: (sum((r) => r.otherS) / wallS) * 100,
    clientCpuPercent: (sum((r) => r.clientS) / wallS) * 100,
  };
}
