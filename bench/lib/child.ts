/**
 * Runs one measurement in a fresh Node process (TypeScript through tsx, as bin/nightshift.js does),
 * so heap, timers and RSS left by one measurement never leak into the next. The child prints
 * progress on stderr (passed through) and its result as the last line of stdout (JSON).
 */
import { spawn } from 'node:child_process';

export async function runChild<T>(file: string, args: readonly string[], timeoutMs: number): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', file, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  if (code !== 0) throw new Error(`${file} ${args.join(' ')} ended with ${signal ?? `exit code ${code}`}${signal === 'SIGKILL' ? ` (over its ${timeoutMs / 1000} s limit?)` : ''}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${file} printed no JSON result; its stdout ended with: ${last.slice(0, 200)}`);
  }
}
