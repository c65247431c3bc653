/**
 * Runs one measurement in a fresh process, so heap, timers and RSS left by one measurement never
 * leak into the next. The child prints progress on stderr (passed through) and its result as the
 * last line of stdout (JSON).
 */
import { execFileSync, spawn } from 'node:child_process';
import { basename, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** A Node measurement: TypeScript through tsx, as bin/nightshift.js runs it. */
export function runChild<T>(file: string, args: readonly string[], timeoutMs: number): Promise<T> {
  return runProcess<T>(process.execPath, ['--import', 'tsx', file, ...args], { timeoutMs });
}

/**
 * The engine as `npm start` runs it: compiled by scripts/build.mjs (the measurement script is
 * bundled as one more entry, next to the service's), then run by plain node without a loader.
 */
export async function runCompiledChild<T>(file: string, args: readonly string[], timeoutMs: number): Promise<T> {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const name = `bench-${basename(file, '.ts')}`;
  execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), `${name}=${relative(root, file)}`], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return runProcess<T>(process.execPath, [join(root, 'dist', `${name}.js`), ...args], { timeoutMs });
}

/** Any program (a Python peer, say) that follows the same last-line-is-JSON convention. */
export async function runProcess<T>(command: string, argv: readonly string[], options: { timeoutMs: number; env?: NodeJS.ProcessEnv }): Promise<T> {
  const child = spawn(command, argv, { stdio: ['ignore', 'pipe', 'inherit'], ...(options.env ? { env: options.env } : {}) });
  let stdout = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => (stdout += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (c, s) => resolve([c, s]));
  }).finally(() => clearTimeout(timer));
  const what = argv.filter((a) => a !== '--import' && a !== 'tsx').join(' ');
  if (code !== 0) throw new Error(`${what} ended with ${signal ?? `exit code ${code}`}${signal === 'SIGKILL' ? ` (over its ${options.timeoutMs / 1000} s limit?)` : ''}`);
  const last = stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as T;
  } catch {
    throw new Error(`${what} printed no JSON result; its stdout ended with: ${last.slice(0, 200)}`);
  }
}
