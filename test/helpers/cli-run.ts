/** Runs the real CLI (the build, dist/main.js: see built-bin.ts) in a child process with a clean environment. */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ENV } from '../../src/config/index.ts';
import { SECRET_ENV } from '../../src/config/master-key-env.ts';
import { BIN } from './serve-process.ts';

/** process.env without any variable nightshift reads, so the caller's shell cannot leak into a test. */
export const BASE_ENV: Record<string, string> = Object.fromEntries(
  Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined && !(Object.values(ENV) as string[]).includes(e[0]) && !SECRET_ENV.includes(e[0])),
);

export interface CliOutcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

export async function runCli(env: Record<string, string>, args: string[], timeoutMs = 60_000, cwd?: string, bin = BIN): Promise<CliOutcome> {
  const proc = spawn(process.execPath, [bin, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const guard = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
  const [code] = (await once(proc, 'close')) as [number | null];
  clearTimeout(guard);
  return { code, stdout, stderr };
}
