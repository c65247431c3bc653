/**
 * Encrypted artifacts as the service serves them: a champion whose artifact was tampered with is
 * refused (a clear NS_STORE error, the cache's load error and event) while the previous champion
 * keeps answering predictions; a master key rotation (`nightshift keys rotate-master`) keeps every
 * model serving, in this process and in a new one on the same data dir, and is audited.
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { isNsError } from '../../src/errors.ts';
import { FileArtifactStorage } from '../../src/registry/index.ts';
import { body, openTestApi, type TestApi } from '../helpers/api.ts';
import { serveChampion, SERVING_START } from '../fixtures/serving/champion.ts';
import { newVersion } from '../fixtures/registry/registry-store.ts';
import { artifactBytesOf, trainedGbdt } from '../unit/serving-fixtures.ts';

const VALUES = { model: 'M200', temperature: 80, vibration: 3, pressure: 120, rpm: 1800, load: 0.8, voltage: 230 };
const URL = '/api/tenants/acme/models/failure';
/** Trailing JSON whitespace: the same model as another artifact (the fixture's trainings may coincide byte for byte). */
const distinct = (artifact: Buffer, n: number) => Buffer.concat([artifact, Buffer.alloc(n, 0x20)]);

describe('encrypted artifacts in service', () => {
  let t: TestApi;
  before(async () => {
    t = await openTestApi({ start: SERVING_START });
    await serveChampion(t.engine);
  });
  after(() => t.close());

  const predictVersion = async (app = t.app) => {
    const res = await app.inject({ method: 'POST', url: `${URL}/predict`, payload: { values: VALUES } });
    assert.equal(res.statusCode, 200, res.body);
    return body<{ version: number }>(res).version;
  };

  test('a tampered new champion is refused with a clear error; the previous champion keeps serving', async () => {
    assert.equal(await predictVersion(), 1);
    const v2 = await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), distinct(artifactBytesOf(await trainedGbdt('binary', 10, 2)), 1));
    const files = t.engine.models.registry.artifacts as FileArtifactStorage;
    const path = files.pathOf('acme', v2.artifact.sha256);
    const bytes = readFileSync(path);
    bytes[bytes.length - 100] = bytes[bytes.length - 100]! ^ 0x04;
    writeFileSync(path, bytes);

    const failed = t.engine.models.cache.events.waitFor('model:load-failed', (e) => e.modelName === 'failure', 10_000);
    const promoted = await t.app.inject({ method: 'POST', url: `${URL}/promote`, payload: { version: 2 } });
    assert.equal(promoted.statusCode, 200, promoted.body);
    const { error, servingVersion } = await failed;
    assert.ok(isNsError(error) && error.code === 'NS_STORE', String(error));
    assert.match(error.message, /artifact of champion model "failure" version 2 .* is corrupted: .* fails authentication: the bytes were modified/);
    assert.equal(servingVersion, 1);
    assert.equal(await predictVersion(), 1, 'the previous champion answers');
  });

  test('a master key rotation keeps every model serving, here and in a new process on the same data dir', { timeout: 60_000 }, async () => {
    const fixed = await t.app.inject({ method: 'POST', url: `${URL}/rollback`, payload: { targetVersion: 1 } });
    assert.equal(fixed.statusCode, 200, fixed.body);
    const v3 = await t.engine.models.registry.registerVersion(newVersion('acme', 'failure'), distinct(artifactBytesOf(await trainedGbdt('binary', 10, 3)), 2));

    const result = await t.engine.masterKey.rotate();
    assert.equal(result.source, "file", JSON.stringify(result));
    assert.equal(result.problems.length, 1, JSON.stringify(result));
    assert.match(result.problems[0]!.message, /fails authentication/);
    assert.equal(result.rewritten, 2);
    assert.equal(await predictVersion(), 1, 'still serving after the rotation');

    // A new champion loaded after the rotation: written with the old key, re-encrypted with the new one.
    const promoted = await t.app.inject({ method: 'POST', url: `${URL}/promote`, payload: { version: v3.version } });
    assert.equal(promoted.statusCode, 200, promoted.body);
    assert.equal(await predictVersion(), v3.version);

    const other = await openTestApi({ start: SERVING_START, target: { dialect: 'sqlite', dataDir: t.engine.settings.dataDir, databaseUrl: null } });
    try {
      assert.equal(await predictVersion(other.app), v3.version, 'a new process with the same key file serves it');
    } finally {
      await other.close();
    }
    const [entry] = (await t.engine.audit.list({ tenants: null, action: 'key.rotate-master', limit: 1 })).entries;
    assert.deepEqual([entry?.tenantId, entry?.subject, (entry?.before as { keyId: string }).keyId], [null, 'system', result.previousKeyId]);
  });
});
