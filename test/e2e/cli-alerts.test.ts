/**
 * `nightshift alerts` (list, ack, check) and `nightshift metrics` as real processes on a real SQLite
 * file: a model whose live accuracy fell has LOW_ACCURACY and MODEL_DEGRADATION after `alerts check`,
 * listed, acknowledged, and shown in the tenant's, the model's and the system's metrics.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import pino from 'pino';
import { loadSettings } from '../../src/config/index.ts';
import { Engine } from '../../src/engine.ts';
import { upsertLivePoint } from '../../src/store/live-points.ts';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { tempDir } from '../helpers/settings.ts';
import { artifactBytes, newVersion } from '../fixtures/registry/registry-store.ts';
import { FAILURE_MODEL } from '../fixtures/training/fleet.ts';

describe('nightshift alerts and metrics', { timeout: 300_000 }, () => {
  const dir = tempDir('ns-cli-alerts-');
  const env: Record<string, string> = { ...BASE_ENV, NIGHTSHIFT_CONFIG: join(dir, 'nightshift.json'), NIGHTSHIFT_DATA_DIR: join(dir, 'data'), NIGHTSHIFT_LOG_LEVEL: 'warn' };
  const ok = async (...args: string[]) => {
    const r = await runCli(env, args, 60_000);
    assert.equal(r.code, 0, `nightshift ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };

  before(async () => {
    writeFileSync(env.NIGHTSHIFT_CONFIG!, JSON.stringify({ tenants: [{ id: 'acme', timezone: 'UTC' }], models: [{ ...FAILURE_MODEL, mode: 'full' }] }));
    const engine = await Engine.open({ settings: loadSettings({ env, cwd: dir }), logger: pino({ level: 'silent' }) });
    try {
      const v = await engine.models.registry.registerVersion(newVersion('acme', 'failure', { dataWindow: { since: Date.now() - 86_400_000, until: Date.now() - 3_600_000 } }), artifactBytes('cli'));
      await engine.models.promote('acme', 'failure', v.version, { reason: 'test' });
      const now = Date.now();
      for (const [i, accuracy] of [0.9, 0.8, 0.65].entries()) {
        await upsertLivePoint(engine.db.k, { tenant_id: 'acme', model_name: 'failure', at: now - (3 - i) * 60_000, version: v.version, metric: 'auc', value: accuracy, accuracy, labelled: 100, trend: i === 2 ? 'declining' : 'insufficient', slope: i === 2 ? -0.125 : null });
      }
    } finally {
      await engine.close(0);
    }
  });

  test('alerts check opens them, alerts lists them, alerts ack acknowledges one; metrics shows the series', async () => {
    assert.equal(await ok('alerts'), 'no active alerts\n');
    assert.match(await ok('alerts', 'check'), /^1 model\(s\) evaluated in \d+ ms: 2 alert\(s\) opened, 0 resolved\n$/);
    const list = await ok('alerts');
    assert.match(list, /^ID\s+OPENED\s+TENANT\s+MODEL\s+TYPE\s+SEVERITY\s+STATUS\s+MESSAGE\n/);
    assert.match(list, /acme\s+failure\s+LOW_ACCURACY\s+warning\s+open\s+live accuracy of champion v1 is 0\.65/);
    assert.match(list, /acme\s+failure\s+MODEL_DEGRADATION\s+warning\s+open/);
    const alerts = JSON.parse(await ok('alerts', '--type', 'LOW_ACCURACY', '--json')) as Array<{ id: string }>;
    assert.equal(alerts.length, 1);
    assert.match(await ok('alerts', 'ack', alerts[0]!.id, '--by', 'ops'), /LOW_ACCURACY failure: acknowledged by ops/);
    assert.match(await ok('alerts', '--status', 'acknowledged'), /LOW_ACCURACY\s+warning\s+acknowledged/);
    const missing = await runCli(env, ['alerts', 'ack', 'alert_nope'], 60_000);
    assert.equal(missing.code, 3, missing.stderr);
    const badType = await runCli(env, ['alerts', '--type', 'NOPE'], 60_000);
    assert.notEqual(badType.code, 0);
    assert.match(badType.stderr, /unknown alert type "NOPE"/);

    const model = await ok('metrics', '--model', 'failure');
    assert.match(model, /acme\/failure: champion v1, primary metric auc/);
    assert.match(model, /live auc of the champion: declining \(slope -0\.125 per point over 3\)/);
    assert.match(model, /open alerts: LOW_ACCURACY, MODEL_DEGRADATION/);
    const tenant = await ok('metrics');
    assert.match(tenant, /failure\s+v1\s+0\.65 auc, acc 0\.65\s+declining/);
    const system = await ok('metrics', '--system');
    assert.match(system, /1 tenant\(s\), 1 model\(s\)/);
    assert.match(system, /open alerts: 2\nTENANT\s+MODEL\s+ALERTS\nacme\s+failure\s+LOW_ACCURACY, MODEL_DEGRADATION/);
  });
});
