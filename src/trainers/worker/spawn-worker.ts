/**
 * Starts a worker thread on one of our modules. The sources run as TypeScript through tsx, whose
 * loader a worker does not inherit on Node 20, so a `.ts` entry is reached through a tiny bootstrap
 * that registers tsx in the worker first; a compiled `.js` entry starts directly.
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

export function spawnModuleWorker(entry: URL, options: WorkerOptions = {}): Worker {
  if (!entry.pathname.endsWith('.ts')) return new Worker(entry, options);
  const loader = import.meta.resolve('tsx/esm/api');
  const code =
    `import(${JSON.stringify(loader)})` +
    `.then((tsx) => { tsx.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(code, { ...options, eval: true });
}

/** Resolves when the worker has exited; terminates it if it has not within `timeoutMs`. */
export function stopWorker(worker: Worker, timeoutMs: number): Promise<void> {
  return new Promise((resolve) => {
    if (worker.threadId === -1) return resolve();
    const timer = setTimeout(() => void worker.terminate(), timeoutMs);
    worker.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}
