/**
 * A start barrier for tests that race several processes on one store. Each racer says "ready" once
 * it is set up, and the test gives them one common start instant only when all are: a fixed "start
 * in N seconds" fails when a loaded machine takes longer than N to boot one of them (it then starts
 * alone, after the others have done the work, and the race never happens).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/** Margin between the release and the start instant, so every racer has read it before it comes. */
const RELEASE_MARGIN_MS = 300;

/** The racer's side: says it is ready, waits for the start instant the test writes on stdin, returns it. */
export async function readyThenWaitForStart(): Promise<number> {
  process.stdout.write('ready\n');
  const lines = createInterface({ input: process.stdin });
  let goAt = Number.NaN;
  for await (const line of lines) {
    goAt = Number(line);
    break;
  }
  lines.close();
  if (!Number.isFinite(goAt)) throw new Error('racer: no start instant on stdin');
  await sleep(Math.max(0, goAt - Date.now()));
  return goAt;
}

/**
 * The test's side: runs `count` racers (`node --import tsx script ...args`), releases them together
 * once all are ready, and resolves with each one's last stdout line once all have exited 0.
 */
export async function raceProcesses(script: string, args: string[], count: number, readyTimeoutMs = 120_000): Promise<string[]> {
  const racers = Array.from({ length: count }, () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out = { stdout: '', stderr: '' };
    proc.stderr.on('data', (d: Buffer) => (out.stderr += d.toString()));
    const exited = once(proc, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const ready = new Promise<void>((resolve, reject) => {
      proc.stdout.on('data', (d: Buffer) => {
        out.stdout += d.toString();
        if (out.stdout.startsWith('ready\n')) resolve();
      });
      void exited.then(([code, signal]) => reject(new Error(`racer exited (${code ?? signal}) before it was ready:\n${out.stderr}`)));
    });
    return { proc, out, exited, ready };
  });
  try {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`racers not ready after ${readyTimeoutMs} ms`)), readyTimeoutMs);
    });
    try {
      await Promise.race([Promise.all(racers.map((r) => r.ready)), late]);
    } finally {
      clearTimeout(timer);
    }
    const goAt = Date.now() + RELEASE_MARGIN_MS;
    for (const r of racers) r.proc.stdin.end(`${goAt}\n`);
    const lastLines: string[] = [];
    for (const r of racers) {
      const [code, signal] = await r.exited;
      if (code !== 0) throw new Error(`racer exited (${code ?? signal}):\n${r.out.stderr}`);
      lastLines.push(r.out.stdout.trim().split('\n').at(-1)!);
    }
    return lastLines;
  } finally {
    for (const r of racers) if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL');
  }
}
