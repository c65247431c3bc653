/**
 * The real CLI: a change it makes is audited as `cli:<user>`, `nightshift audit` lists and filters
 * the log (table and --json), and `nightshift keys rotate-master` writes a new key into the key
 * file, re-encrypts the artifacts and records the rotation.
 */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { artifactKeyring } from '../../src/registry/artifact-codec.ts';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { tempDir } from '../helpers/settings.ts';
import { artifactBytes, newVersion, openRegistry } from '../fixtures/registry/registry-store.ts';

const CONFIG = join(import.meta.dirname, '..', 'fixtures', 'cli', 'nightshift.yaml');

describe('nightshift audit and keys rotate-master', () => {
  test('a CLI change is audited as its user; audit filters; rotate-master re-encrypts and is audited', { timeout: 180_000 }, async () => {
    const dataDir = tempDir();
    const env = { ...BASE_ENV, NIGHTSHIFT_DATA_DIR: dataDir };
    const triggered = await runCli(env, ['--config', CONFIG, 'trigger', 'hello', '--tenant', 'acme', '--json']);
    assert.equal(triggered.code, 0, triggered.stderr);
    const runId = (JSON.parse(triggered.stdout) as { id: string }).id;

    const listed = await runCli(env, ['--config', CONFIG, 'audit', '--tenant', 'acme', '--json']);
    assert.equal(listed.code, 0, listed.stderr);
    const entries = (JSON.parse(listed.stdout) as { entries: Array<{ action: string; target: string; subject: string; via: string }> }).entries;
    assert.deepEqual(entries.map((e) => [e.action, e.target, e.subject, e.via]), [['run.trigger', `run/${runId}`, `cli:${userInfo().username}`, 'cli']]);
    const table = await runCli(env, ['--config', CONFIG, 'audit', '--action', 'run.']);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, new RegExp(`acme +cli:${userInfo().username} +run\\.trigger +run/${runId}`));
    const none = await runCli(env, ['--config', CONFIG, 'audit', '--tenant', 'beta', '--json']);
    assert.deepEqual(JSON.parse(none.stdout), { entries: [], nextCursor: null });

    const store = await openRegistry({ dataDir, databaseUrl: null });
    try {
      await store.registry.registerVersion(newVersion('acme', 'failure'), artifactBytes('cli rotation'));
    } finally {
      await store.close();
    }
    const before = artifactKeyring({ dataDir }).current.id;
    const rotated = await runCli(env, ['--config', CONFIG, 'keys', 'rotate-master', '--json']);
    assert.equal(rotated.code, 0, rotated.stderr);
    const result = JSON.parse(rotated.stdout) as { previousKeyId: string; keyId: string; rewritten: number; source: string };
    assert.deepEqual([result.previousKeyId, result.rewritten, result.source], [before, 1, 'file']);
    assert.deepEqual(artifactKeyring({ dataDir }).ids, [result.keyId, before], 'the new key first, the old one kept for reading');

    const keyEvents = await runCli(env, ['--config', CONFIG, 'audit', '--action', 'key.rotate-master', '--json']);
    const [entry] = (JSON.parse(keyEvents.stdout) as { entries: Array<{ tenantId: string | null; subject: string; after: { keyId: string } }> }).entries;
    assert.deepEqual([entry?.tenantId, entry?.subject, entry?.after.keyId], [null, `cli:${userInfo().username}`, result.keyId]);
  });
});
