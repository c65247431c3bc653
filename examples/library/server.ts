/**
 * A user's own Fastify service with nightshift mounted inside it, the way the in-house systems
 * hooked their schedulers into their apps' lifecycles: start with the app, stop in its shutdown.
 * Run: node --import tsx examples/library/server.ts   (PORT, NIGHTSHIFT_DATA_DIR optional)
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { createNightshift } from '../../src/index.ts';

const here = dirname(fileURLToPath(import.meta.url));
const app = Fastify({ logger: { level: 'warn' } });

// The host application's own routes.
app.get('/', async () => ({ service: 'example-shop', ok: true }));

const nightshift = await createNightshift({ config: join(here, 'nightshift.yaml') });
await app.register(nightshift.plugin, nightshift.pluginOptions);
// The host owns its lifecycle: nightshift stops (draining runs) when the app closes.
app.addHook('onClose', async () => nightshift.stop());

nightshift.start();
const address = await app.listen({ host: '127.0.0.1', port: Number(process.env.PORT ?? 3000) });
console.log(JSON.stringify({ msg: 'example listening', address }));

// Signals belong to the application, not to the library.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    app.close().then(() => process.exit(0), () => process.exit(1));
  });
}
