/**
 * The auth benchmark's server (bench/auth/measure.ts): the service `nightshift serve` runs (engine and
 * HTTP app, built by Service.create from the same environment, authentication on), plus a second HTTP
 * app over the same engine with authentication off (buildApp's `auth` option, as a library user
 * mounts it), on the loopback port BENCH_UNAUTHENTICATED_PORT. One process answers both loads: the
 * same code, heap, caches and core, so the two differ only in authentication. Two processes, one per
 * mode, differed by up to 5 % between themselves on this shared host (a fixed-token load, which does
 * strictly more work, measured faster than the unauthenticated one), more than the effect measured.
 *
 * Built into dist/ with the service (scripts/build.mjs), so it runs the bundle users run. Stops on
 * SIGTERM as `serve` does.
 */
import { buildApp } from '../../src/api/app.ts';
import { loadSettings } from '../../src/config/load-settings.ts';
import { createLogger } from '../../src/logger.ts';
import { Service } from '../../src/server.ts';

const port = Number(process.env.BENCH_UNAUTHENTICATED_PORT);
if (!Number.isInteger(port) || port <= 0) throw new Error(`BENCH_UNAUTHENTICATED_PORT: expected a port, got ${process.env.BENCH_UNAUTHENTICATED_PORT}`);
const settings = loadSettings();
if (settings.auth.mode !== 'on') throw new Error('NIGHTSHIFT_AUTH: the benchmark server needs authentication on (its second port has it off)');
const logger = await createLogger({ level: settings.logLevel, format: settings.logFormat });
const service = await Service.create({ settings, logger });
const unauthenticated = await buildApp({ services: service.engine, drain: service.drain, logger, auth: 'off' });
await service.start();
const address = await unauthenticated.listen({ host: '127.0.0.1', port });
logger.info({ address }, 'unauthenticated HTTP API listening');

process.once('SIGTERM', () => {
  unauthenticated
    .close()
    .then(() => service.stop())
    .then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
});
