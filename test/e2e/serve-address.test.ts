/**
 * `nightshift serve` on an address it cannot listen on (a port in use, a host that is not this
 * machine's): it fails before it opens the store, with a message naming NIGHTSHIFT_PORT or
 * NIGHTSHIFT_HOST and the fix, and exits non-zero. No data dir is created, no demo data generated.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { tempDir } from '../helpers/settings.ts';

const DEMO = join(import.meta.dirname, '..', '..', 'examples', 'demo', 'nightshift.yaml');

describe('serve on an address it cannot listen on', { timeout: 120_000 }, () => {
  let occupied: Server;
  let port = 0;
  before(async () => {
    occupied = createServer();
    await new Promise<void>((resolve, reject) => occupied.once('error', reject).listen(0, '127.0.0.1', resolve));
    port = (occupied.address() as { port: number }).port;
  });
  after(() => new Promise<void>((resolve) => occupied.close(() => resolve())));

  // The demo config: before the fix it opened the store and generated its data before the bind failed.
  const env = (extra: Record<string, string>) => ({ ...BASE_ENV, NIGHTSHIFT_CONFIG: DEMO, NIGHTSHIFT_DATA_DIR: join(tempDir('ns-serve-addr-'), 'data'), ...extra });

  test('a port in use: exit 2 naming NIGHTSHIFT_PORT and the address; the store is never touched', async () => {
    const e = env({ NIGHTSHIFT_PORT: String(port), NIGHTSHIFT_HOST: '127.0.0.1' });
    const r = await runCli(e, ['serve']);
    assert.equal(r.code, 2, `exit 2 (invalid configuration): ${r.code}\n${r.stderr}`);
    assert.match(
      r.stderr,
      new RegExp(`^error NS_CONFIG_INVALID: NIGHTSHIFT_PORT=${port}: 127\\.0\\.0\\.1:${port} is already in use by another process; stop it, or set NIGHTSHIFT_PORT \\(http\\.port in the config file\\) to a free port \\(NIGHTSHIFT_HOST=127\\.0\\.0\\.1\\)\\n$`, 'm'),
    );
    assert.doesNotMatch(r.stdout, /nightshift engine started|generated demo data/, 'nothing started');
    assert.equal(existsSync(e.NIGHTSHIFT_DATA_DIR), false, 'no data dir was created');
  });

  test('a host that is not an address of this machine: exit 2 naming NIGHTSHIFT_HOST', async () => {
    // 192.0.2.1 is TEST-NET-1 (RFC 5737): never assigned to a host.
    const e = env({ NIGHTSHIFT_PORT: '0', NIGHTSHIFT_HOST: '192.0.2.1' });
    const r = await runCli(e, ['serve']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error NS_CONFIG_INVALID: NIGHTSHIFT_HOST=192\.0\.2\.1: cannot listen on 192\.0\.2\.1:0: .*not an address of this machine/m);
    assert.equal(existsSync(e.NIGHTSHIFT_DATA_DIR), false, 'no data dir was created');
  });
});
