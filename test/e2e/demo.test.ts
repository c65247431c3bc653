/**
 * The main job as `npm start` runs it — the compiled build (scripts/build.mjs → dist/main.js) with
 * the demo config — on a fresh data dir: a champion for each of its three tenants within 2 minutes,
 * and the README's prediction command works against it.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../helpers/api.ts';
import { BIN, ServeProcess, type LogLine } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TENANTS = ['acme', 'globex', 'initech'];

/** The curl command under the README's `demo:predict` marker: its path and JSON body. */
function readmePredict(): { path: string; body: unknown } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const block = readme.split('<!-- demo:predict')[1]?.split('```')[1];
  assert.ok(block, 'README has the demo:predict block');
  const path = /localhost:8080(\/\S+)/.exec(block)?.[1];
  const body = /-d '([^']+)'/.exec(block)?.[1];
  assert.ok(path && body, 'the block holds a curl with a path and a -d body');
  assert.ok(block.includes('-H "authorization: Bearer $NIGHTSHIFT_TOKEN"'), 'the block sends the key npm start printed');
  return { path, body: JSON.parse(body) };
}

describe('the demo (npm start)', () => {
  let server: ServeProcess;
  let base: string;

  before(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    assert.equal(pkg.scripts.prestart, 'node scripts/build.mjs');
    assert.equal(pkg.scripts.start, 'exec node dist/main.js --config examples/demo/nightshift.yaml serve');
    server = new ServeProcess(
      { NIGHTSHIFT_DATA_DIR: join(tempDir('ns-demo-'), 'data'), NIGHTSHIFT_PORT: String(port) },
      ['--config', join(ROOT, 'examples/demo/nightshift.yaml'), 'serve'],
      BIN, // dist/main.js, built from the current sources (test/helpers/built-bin.ts)
    );
    assert.equal(BIN, join(ROOT, 'dist', 'main.js'));
  });
  after(async () => {
    await server.stop();
  });

  test('each tenant has a promoted champion within 2 minutes, and the README prediction works', async () => {
    const promoted = (tenant: string) => (l: LogLine) => l.msg === 'run succeeded' && l.jobId === 'train-failure' && l.tenantId === tenant && l.outcome === 'promoted';
    const t0 = Date.now();
    await Promise.all(TENANTS.map((t) => server.waitForLog(promoted(t), 120_000)));
    assert.ok(Date.now() - t0 < 120_000);

    // The first start printed a super admin key, once, as the README says; without it: 401.
    const printed = server.lines.map((l) => /export NIGHTSHIFT_TOKEN=(nsk_\S+)/.exec(String(l.msg))?.[1]).find(Boolean);
    assert.ok(printed, 'serve printed the first super admin key');
    const auth = { authorization: `Bearer ${printed}` };
    assert.equal((await fetch(`${base}/api/models`)).status, 401);
    const models = (await (await fetch(`${base}/api/models`, { headers: auth })).json()) as { models: Array<{ tenantId: string; champion: { name: string; gate: { passed: boolean } } | null }> };
    assert.deepEqual(models.models.map((m) => [m.tenantId, m.champion?.name, m.champion?.gate.passed]), TENANTS.map((t) => [t, `failure_${t}_v1`, true]));

    const { path, body } = readmePredict();
    const res = await fetch(`${base}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...auth }, body: JSON.stringify(body) });
    const answer = (await res.json()) as { versionName: string; predictions: Array<{ prediction: number; probability: number }> };
    assert.equal(res.status, 200, JSON.stringify(answer));
    assert.equal(answer.versionName, 'failure_acme_v1');
    assert.ok(answer.predictions[0]!.probability >= 0 && answer.predictions[0]!.probability <= 1);

    const metrics = await (await fetch(`${base}/metrics`, { headers: auth })).text();
    assert.match(metrics, /nightshift_trainings_total\{job="train-failure",tenant="acme",outcome="promoted"\} 1/);
    assert.match(metrics, /nightshift_model_cache_entries 1/);
  });
});
