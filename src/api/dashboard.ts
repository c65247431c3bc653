/**
 * The dashboard: the browser bundle built by scripts/build-ui.mjs (dist/ui), served from `/` by the
 * same process as the API (which stays under /api). Only the files present at start are routes
 * (no wildcard), so every other path keeps the API's NS_ 404. Built ahead of time, it needs no
 * network and no CDN at run time.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/**
 * Where the built dashboard is: next to the bundle that runs (dist/main.js → dist/ui), or, when the
 * sources run through tsx (src/api/dashboard.ts), in the checkout's dist/ui.
 */
export function defaultDashboardDir(): string | null {
  const here = fileURLToPath(new URL('.', import.meta.url));
  return [join(here, 'ui'), join(here, '..', '..', 'dist', 'ui')].find((dir) => existsSync(join(dir, 'index.html'))) ?? null;
}

export async function registerDashboard(app: FastifyInstance, dir: string): Promise<void> {
  await app.register(fastifyStatic, {
    root: dir,
    prefix: '/',
    wildcard: false,
    index: 'index.html',
    // The bundle's names do not change between builds; a reload checks them (cheap 304s).
    cacheControl: true,
    maxAge: 0,
    decorateReply: false,
  });
}
