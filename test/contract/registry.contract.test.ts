/**
 * Model registry contract: race-free numbering, metadata round trip, promote/rollback with history,
 * racing promotions, gate-failed rollback refused, retention, tenant isolation — on SQLite and
 * PostgreSQL. On PostgreSQL the races go through two connection pools; on SQLite one process
 * shares one connection (the multi-process races are in test/integration/registry-processes).
 * Artifacts are where the service keeps them by default: files with SQLite, rows with PostgreSQL.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isNsError, NsError } from '../../src/errors.ts';
import type { AliasChange, ModelRegistry, ModelVersion } from '../../src/registry/index.ts';
import type { Executor } from '../../src/store/db.ts';
import { storeTargets, type StoreTarget } from '../helpers/dialects.ts';
import { artifactBytes, filesOf, newVersion, openRegistry, type RegistryStore } from '../fixtures/registry/registry-store.ts';

const T = 'tenant_1';
const M = 'failure';

const rejectsWith = (code: string, pattern?: RegExp) => (error: unknown) => {
  assert.ok(isNsError(error), `expected an NsError, got ${String(error)}`);
  assert.equal(error.code, code, error.message);
  if (pattern) assert.match(error.message, pattern);
  return true;
};

async function withStores(target: { make: () => Promise<StoreTarget> }, fn: (a: RegistryStore, b: RegistryStore) => Promise<void>) {
  const t = await target.make();
  const a = await openRegistry(t);
  // PostgreSQL: a second pool, as a second node would have. SQLite: one in-process connection.
  const b = t.databaseUrl ? await openRegistry(t) : a;
  try {
    await fn(a, b);
  } finally {
    if (b !== a) await b.close();
    await a.close();
  }
}

async function registerN(r: ModelRegistry, n: number, o: { tenant?: string; model?: string; failGate?: (i: number) => boolean } = {}) {
  const out = [];
  for (let i = 1; i <= n; i += 1) {
    const failed = o.failGate?.(i) ?? false;
    out.push(
      await r.registerVersion(
        newVersion(o.tenant ?? T, o.model ?? M, { gate: { passed: !failed, reasons: failed ? ['f1 0.41 < 0.65'] : [] } }),
        artifactBytes(`${o.tenant ?? T}/${o.model ?? M}/${i}`),
      ),
    );
  }
  return out;
}

/** Revisions 1..n without gaps, each previous version the one before it, the last one the champion. */
function assertConsistentHistory(newestFirst: AliasChange[], champion: number | undefined) {
  const history = [...newestFirst].reverse();
  history.forEach((h, i) => {
    assert.equal(h.revision, i + 1, 'revisions without gaps');
    assert.equal(h.previousVersion, i === 0 ? null : history[i - 1]!.version, `revision ${h.revision} follows the one before`);
    assert.notEqual(h.version, h.previousVersion, 'a change changes something');
  });
  assert.equal(history.at(-1)?.version, champion, 'the latest change is the champion');
}

for (const target of await storeTargets()) {
  describe(`model registry contract (${target.name})`, { skip: target.skip && 'PostgreSQL unreachable' }, () => {
    test('20 racing registrations get versions 1..20, no gap, no duplicate, named model_tenant_vN', async () => {
      await withStores(target, async (a, b) => {
        const results = await Promise.all(
          Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? a : b).registry.registerVersion(newVersion(T, M), artifactBytes(`race-${i}`))),
        );
        const numbers = results.map((v) => v.version).sort((x, y) => x - y);
        assert.deepEqual(numbers, Array.from({ length: 20 }, (_, i) => i + 1));
        for (const v of results) assert.equal(v.name, `failure_tenant_1_v${v.version}`);
        const page = await a.registry.listVersions(T, M, { limit: 100 });
        assert.deepEqual(
          page.items.map((v) => v.version),
          Array.from({ length: 20 }, (_, i) => 20 - i),
        );
        // Another model of the tenant numbers on its own.
        const other = await a.registry.registerVersion(newVersion(T, 'energy'), artifactBytes('energy'));
        assert.equal(other.name, 'energy_tenant_1_v1');
      });
    });

    test('metadata round-trips; listing pages by cursor; a refused registration leaves no row, no file and no gap', async () => {
      await withStores(target, async ({ registry }) => {
        const input = newVersion(T, M, {
          params: { trees: 100, nested: { a: [1, 2.5, 'x'] } },
          metrics: { r2: 0.7421875, rmse: 0.1 + 0.2, undefinedMetric: null },
          gate: { passed: true, reasons: [{ metric: 'r2', threshold: 0.7, value: 0.7421875, ok: true }] },
          trainingMs: 98_765,
          trigger: 'manual',
          runId: 'run_abc',
        });
        const bytes = artifactBytes('v1', 10_000);
        const v1 = await registry.registerVersion(input, bytes);
        assert.equal(v1.version, 1);
        assert.equal(v1.artifact.size, 10_000);
        assert.match(v1.artifact.sha256, /^[0-9a-f]{64}$/);
        assert.equal(v1.wasChampion, false);
        const { tenantId, modelName, trainer, params, mode, dataWindow, samples, metrics, gate, trainingMs, trigger, runId } = input;
        assert.deepEqual(await registry.getVersion(T, M, 1), {
          ...{ tenantId, modelName, trainer, params, mode, dataWindow, samples, metrics, gate, trainingMs, trigger, runId },
          version: 1,
          name: 'failure_tenant_1_v1',
          parentVersion: null,
          artifact: v1.artifact,
          wasChampion: false,
          createdAt: v1.createdAt,
          comparedTo: null,
        });
        assert.equal(await registry.artifacts.has(T, v1.artifact.sha256), true);
        if (registry.artifacts.kind === 'file') {
          const path = filesOf(registry).pathOf(T, v1.artifact.sha256);
          assert.ok(existsSync(path));
          assert.ok(path.endsWith(`/artifacts/${T}/${v1.artifact.sha256.slice(0, 2)}/${v1.artifact.sha256}`));
        }
        assert.deepEqual((await registry.loadArtifact(T, M, 1)).bytes, bytes);

        // Streamed content registers the same way.
        async function* chunks() {
          yield artifactBytes('v2', 100);
          yield artifactBytes('more', 50);
        }
        const v2 = await registry.registerVersion(newVersion(T, M, { mode: 'incremental', parentVersion: 1, dataWindow: null }), chunks());
        assert.equal(v2.artifact.size, 150);
        assert.equal((await registry.getVersion(T, M, 2))?.parentVersion, 1);
        assert.equal((await registry.getVersion(T, M, 2))?.dataWindow, null);

        // A parent that does not exist is refused inside the transaction: no row, no file, no gap.
        const bad = artifactBytes('bad-parent');
        await assert.rejects(
          registry.registerVersion(newVersion(T, M, { mode: 'incremental', parentVersion: 9 }), bad),
          rejectsWith('NS_VALIDATION', /parentVersion: model "failure" version 9 .* does not exist/),
        );
        await assert.rejects(registry.registerVersion(newVersion(T, M, { mode: 'incremental' }), bad), rejectsWith('NS_VALIDATION', /parentVersion/));
        await assert.rejects(registry.registerVersion(newVersion(T, M, { metrics: { f1: Number.NaN } }), bad), rejectsWith('NS_VALIDATION', /metrics\.f1/));
        await assert.rejects(registry.registerVersion(newVersion('Bad Tenant', M), bad), rejectsWith('NS_VALIDATION', /tenantId/));
        const files = [];
        for await (const f of registry.artifacts.list()) files.push(f);
        assert.deepEqual(files.map((f) => f.kind), ['artifact', 'artifact'], 'neither the refused artifact nor a temp item remains');
        assert.equal((await registry.registerVersion(newVersion(T, M), artifactBytes('v3'))).version, 3, 'no gap');

        for (let i = 4; i <= 7; i += 1) await registry.registerVersion(newVersion(T, M), artifactBytes(`v${i}`));
        const p1 = await registry.listVersions(T, M, { limit: 3 });
        assert.deepEqual(p1.items.map((v) => v.version), [7, 6, 5]);
        const p2 = await registry.listVersions(T, M, { limit: 3, cursor: p1.nextCursor });
        assert.deepEqual(p2.items.map((v) => v.version), [4, 3, 2]);
        const p3 = await registry.listVersions(T, M, { limit: 3, cursor: p2.nextCursor });
        assert.deepEqual(p3.items.map((v) => v.version), [1]);
        assert.equal(p3.nextCursor, null);
        assert.equal(await registry.getVersion(T, M, 8), null);
      });
    });

    test('promote, rollback and the alias history', async () => {
      await withStores(target, async ({ registry }) => {
        await assert.rejects(registry.promote(T, M, 1, { reason: 'x' }), rejectsWith('NS_NOT_FOUND', /has no versions/));
        // v1 pass, v2 fails its gate, v3 pass, v4 pass.
        await registerN(registry, 4, { failGate: (i) => i === 2 });
        assert.equal(await registry.champion(T, M), null);
        await assert.rejects(registry.rollback(T, M, 1, { reason: 'x' }), rejectsWith('NS_CONFLICT', /no champion to roll back from/));

        const first = await registry.promote(T, M, 1, { reason: 'first model', actor: 'run_1', runId: 'run_1' });
        assert.equal(first.changed, true);
        assert.deepEqual({ ...first.change, at: 0 }, {
          tenantId: T, modelName: M, alias: 'champion', revision: 1, version: 1, previousVersion: null,
          action: 'promote', reason: 'first model', actor: 'run_1', runId: 'run_1', at: 0,
        });
        await assert.rejects(registry.promote(T, M, 2, { reason: 'x' }), rejectsWith('NS_CONFLICT', /failed its validation gate and cannot be promoted/));
        await assert.rejects(registry.promote(T, M, 99, { reason: 'x' }), rejectsWith('NS_NOT_FOUND', /version 99/));
        await registry.promote(T, M, 3, { reason: 'better f1', expectedCurrent: 1 });
        await assert.rejects(
          registry.promote(T, M, 4, { reason: 'stale decision', expectedCurrent: 1 }),
          rejectsWith('NS_CONFLICT', /champion of model "failure" changed meanwhile: expected version 1, now version 3/),
        );
        const again = await registry.promote(T, M, 3, { reason: 'sent twice' });
        assert.equal(again.changed, false);
        assert.equal(again.change.revision, 2);
        await registry.promote(T, M, 4, { reason: 'newer', expectedCurrent: 3 });

        await assert.rejects(registry.rollback(T, M, 4, { reason: 'x' }), rejectsWith('NS_VALIDATION', /earlier than the champion/));
        const back = await registry.rollback(T, M, 1, { reason: 'v4 misbehaves in production', actor: 'ops@acme' });
        assert.equal(back.change.action, 'rollback');
        assert.equal(back.change.previousVersion, 4);
        assert.equal((await registry.champion(T, M))?.version, 1);
        assert.equal((await registry.loadChampion(T, M))?.version.version, 1);

        const history = await registry.aliasHistory(T, M);
        assert.deepEqual(
          history.map((h) => [h.revision, h.action, h.version, h.previousVersion, h.reason]),
          [
            [4, 'rollback', 1, 4, 'v4 misbehaves in production'],
            [3, 'promote', 4, 3, 'newer'],
            [2, 'promote', 3, 1, 'better f1'],
            [1, 'promote', 1, null, 'first model'],
          ],
        );
        assertConsistentHistory(history, 1);
        assert.deepEqual((await registry.aliasHistory(T, M, { limit: 2, before: 3 })).map((h) => h.revision), [2, 1]);
        for (const v of [1, 3, 4]) assert.equal((await registry.getVersion(T, M, v))?.wasChampion, true);
        assert.equal((await registry.getVersion(T, M, 2))?.wasChampion, false);
        await assert.rejects(registry.promote(T, M, 3, { reason: ' ' }), rejectsWith('NS_VALIDATION', /reason/));
      });
    });

    test('rollback to a version that failed its gate is refused, the champion unchanged', async () => {
      await withStores(target, async ({ registry }) => {
        await registerN(registry, 3, { failGate: (i) => i === 2 });
        await registry.promote(T, M, 1, { reason: 'first' });
        await registry.promote(T, M, 3, { reason: 'better' });
        await assert.rejects(
          registry.rollback(T, M, 2, { reason: 'try' }),
          rejectsWith('NS_CONFLICT', /cannot roll back to model "failure" version 2 \(failure_tenant_1_v2\): it failed its validation gate/),
        );
        assert.equal((await registry.champion(T, M))?.version, 3);
        assert.equal((await registry.aliasHistory(T, M)).length, 2);
      });
    });

    test('two promotions racing leave exactly one champion and a consistent history (40 rounds)', async () => {
      await withStores(target, async (a, b) => {
        await registerN(a.registry, 6);
        await a.registry.promote(T, M, 1, { reason: 'first' });
        let changes = 1;
        for (let round = 0; round < 40; round += 1) {
          const current = (await a.registry.champion(T, M))!.version;
          const x = (current % 6) + 1;
          const y = (x % 6) + 1;
          // Conditional: both decided against the same champion; exactly one may win.
          const settled = await Promise.allSettled([
            a.registry.promote(T, M, x, { reason: `round ${round} x`, expectedCurrent: current }),
            b.registry.promote(T, M, y, { reason: `round ${round} y`, expectedCurrent: current }),
          ]);
          const won = settled.filter((s) => s.status === 'fulfilled');
          const lost = settled.filter((s): s is PromiseRejectedResult => s.status === 'rejected');
          assert.equal(won.length, 1, `round ${round}: exactly one conditional promotion wins`);
          assert.ok(isNsError(lost[0]?.reason) && lost[0].reason.code === 'NS_CONFLICT', `round ${round}: the other gets NS_CONFLICT`);
          changes += 1;
          const winner = (won[0] as PromiseFulfilledResult<{ change: AliasChange }>).value.change;
          assert.equal((await b.registry.champion(T, M))?.version, winner.version);
          assert.equal(winner.previousVersion, current);
          // Unconditional: both apply, one after the other, the second seeing the first.
          const [p, q] = await Promise.all([
            a.registry.promote(T, M, x, { reason: `round ${round} ux` }),
            b.registry.promote(T, M, y, { reason: `round ${round} uy` }),
          ]);
          changes += (p.changed ? 1 : 0) + (q.changed ? 1 : 0);
          const last = [p.change, q.change].sort((m, n) => m.revision - n.revision).at(-1)!;
          assert.equal((await a.registry.champion(T, M))?.version, last.version);
        }
        const history = await a.registry.aliasHistory(T, M, { limit: 500 });
        assert.equal(history.length, changes);
        assertConsistentHistory(history, (await a.registry.champion(T, M))?.version);
        const aliases = await a.db.k.selectFrom('model_aliases').selectAll().execute();
        assert.equal(aliases.length, 1, 'one champion row');
      });
    });

    test('retention keeps the newest N and every past champion; deletes unshared artifacts; numbers are never reused', async () => {
      await withStores(target, async ({ registry }) => {
        const versions: ModelVersion[] = [];
        for (let i = 1; i <= 15; i += 1) {
          // v1 shares its content with v12: its file must survive v1's deletion.
          const label = i === 1 ? 'shared' : i === 12 ? 'shared' : `v${i}`;
          versions.push(await registry.registerVersion(newVersion(T, M), artifactBytes(label)));
        }
        await registry.promote(T, M, 2, { reason: 'a' });
        await registry.promote(T, M, 5, { reason: 'b' });
        const stored = (v: number) => registry.artifacts.has(T, versions[v - 1]!.artifact.sha256);
        const result = await registry.applyRetention(T, M);
        assert.deepEqual(result, { deleted: [1, 3, 4], artifactsRemoved: 2 });
        assert.deepEqual(
          (await registry.listVersions(T, M, { limit: 100 })).items.map((v) => v.version).sort((x, y) => x - y),
          [2, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
        );
        assert.equal(await stored(1), true, 'shared with v12');
        assert.equal(await stored(3), false);
        assert.equal(await stored(4), false);
        assert.equal(await stored(2), true);
        await assert.rejects(registry.rollback(T, M, 3, { reason: 'x' }), rejectsWith('NS_NOT_FOUND', /removed by retention/));
        await registry.rollback(T, M, 2, { reason: 'still there' });

        assert.deepEqual(await registry.applyRetention(T, M, 3), { deleted: [6, 7, 8, 9, 10, 11, 12], artifactsRemoved: 7 });
        assert.equal(await stored(12), false, 'the shared artifact goes with its last version');
        assert.deepEqual(await registry.applyRetention(T, M, 3), { deleted: [], artifactsRemoved: 0 });
        assert.equal((await registry.registerVersion(newVersion(T, M), artifactBytes('v16'))).version, 16, 'numbers are not reused');
        assert.deepEqual(await registry.applyRetention(T, 'no-such-model'), { deleted: [], artifactsRemoved: 0 });
      });
    });

    test('retention keeps the current champion and the K that were champion most recently before it (default 5), not every past champion', async () => {
      await withStores(target, async ({ registry }) => {
        const kept = async () => (await registry.listVersions(T, M, { limit: 100 })).items.map((v) => v.version).sort((x, y) => x - y);
        for (let i = 1; i <= 14; i += 1) await registry.registerVersion(newVersion(T, M), artifactBytes(`k${i}`));
        // Twelve champions in turn, then a rollback to v2: by when they last held the alias, v2 is the latest.
        for (let v = 1; v <= 12; v += 1) await registry.promote(T, M, v, { reason: `v${v}` });
        await registry.rollback(T, M, 2, { reason: 'back' });
        assert.deepEqual(await registry.applyRetention(T, M, 2), { deleted: [1, 3, 4, 5, 6, 7], artifactsRemoved: 6 });
        assert.deepEqual(await kept(), [2, 8, 9, 10, 11, 12, 13, 14], 'the newest 2, champion v2, and the 5 champions before it (v12 … v8)');
        await assert.rejects(registry.rollback(T, M, 1, { reason: 'x' }), rejectsWith('NS_NOT_FOUND', /removed by retention/));
        await registry.promote(T, M, 8, { reason: 'v8 again' });
        assert.deepEqual(await registry.applyRetention(T, M, 2, 1), { deleted: [9, 10, 11, 12], artifactsRemoved: 4 });
        assert.deepEqual(await kept(), [2, 8, 13, 14], 'keepChampions 1: champion v8 and v2, champion before it');
        assert.deepEqual(await registry.applyRetention(T, M, 1, 0), { deleted: [2, 13], artifactsRemoved: 2 });
        assert.deepEqual(await kept(), [8, 14], 'keepChampions 0: the champion alone, besides the newest');
        assert.equal((await registry.champion(T, M))?.version, 8);
      });
    });

    test('a fence runs first inside the write transaction; when it throws nothing is written', async () => {
      await withStores(target, async ({ db, registry }) => {
        const lost = async () => {
          throw new NsError('NS_LEASE_LOST', 'run run_1: lease is no longer held by worker-1');
        };
        await assert.rejects(registry.registerVersion(newVersion(T, M), artifactBytes('fenced'), { fence: lost }), rejectsWith('NS_LEASE_LOST'));
        assert.deepEqual((await registry.listVersions(T, M)).items, []);
        const items = [];
        for await (const item of registry.artifacts.list()) items.push(item);
        assert.deepEqual(items, [], 'no artifact, no temp file');

        // The fence writes through the transaction it is given: rolled back with a later failure,
        // committed with the registration.
        let calls = 0;
        const fence = async (tx: Executor) => {
          calls += 1;
          await tx.insertInto('tenants').values({ id: `fence-${calls}`, name: 'fence', timezone: 'UTC', created_at: 0, updated_at: 0 }).execute();
        };
        const fenceRows = async () => (await db.k.selectFrom('tenants').select('id').where('name', '=', 'fence').orderBy('id').execute()).map((r) => r.id);
        await assert.rejects(registry.registerVersion(newVersion(T, M, { mode: 'incremental', parentVersion: 5 }), artifactBytes('x'), { fence }), rejectsWith('NS_VALIDATION'));
        assert.deepEqual(await fenceRows(), []);
        assert.equal((await registry.registerVersion(newVersion(T, M), artifactBytes('v1'), { fence })).version, 1, 'no number was used by the fenced attempts');
        assert.deepEqual(await fenceRows(), ['fence-2']);
        await registry.registerVersion(newVersion(T, M), artifactBytes('v2'));

        await assert.rejects(registry.promote(T, M, 1, { reason: 'fenced', fence: lost }), rejectsWith('NS_LEASE_LOST'));
        assert.equal(await registry.champion(T, M), null);
        await registry.promote(T, M, 1, { reason: 'holds the lease', fence });
        await registry.promote(T, M, 2, { reason: 'newer' });
        await assert.rejects(registry.rollback(T, M, 1, { reason: 'fenced', fence: lost }), rejectsWith('NS_LEASE_LOST'));
        assert.equal((await registry.champion(T, M))?.version, 2);
        assert.deepEqual(await fenceRows(), ['fence-2', 'fence-3']);
        assert.equal((await registry.aliasHistory(T, M)).length, 2);
      });
    });

    test('tenants are isolated: numbering, reads, champion, artifacts and retention', async () => {
      await withStores(target, async ({ registry }) => {
        const a1 = await registry.registerVersion(newVersion('tenant_1', M), artifactBytes('same'));
        const b1 = await registry.registerVersion(newVersion('tenant_2', M, { trainer: 'linear' }), artifactBytes('same'));
        await registry.registerVersion(newVersion('tenant_1', M), artifactBytes('a2'));
        assert.equal(b1.version, 1);
        assert.equal(b1.name, 'failure_tenant_2_v1');
        assert.equal(a1.artifact.sha256, b1.artifact.sha256);
        assert.notEqual(registry.artifacts.locationOf('tenant_1', a1.artifact.sha256), registry.artifacts.locationOf('tenant_2', b1.artifact.sha256));
        assert.equal((await registry.getVersion('tenant_2', M, 1))?.trainer, 'linear');
        assert.equal(await registry.getVersion('tenant_2', M, 2), null);
        await assert.rejects(registry.promote('tenant_2', M, 2, { reason: 'x' }), rejectsWith('NS_NOT_FOUND'));
        await assert.rejects(registry.loadArtifact('tenant_2', M, 2), rejectsWith('NS_NOT_FOUND'));
        await registry.promote('tenant_1', M, 2, { reason: 'x' });
        assert.equal(await registry.champion('tenant_2', M), null);
        assert.deepEqual(await registry.aliasHistory('tenant_2', M), []);
        assert.equal((await registry.listVersions('tenant_2', M)).items.length, 1);

        // Deleting tenant_1's v1 (same bytes as tenant_2's v1) leaves tenant_2's artifact alone.
        await registry.applyRetention('tenant_1', M, 1);
        assert.equal(await registry.getVersion('tenant_1', M, 1), null);
        assert.equal(await registry.artifacts.has('tenant_1', a1.artifact.sha256), false);
        assert.deepEqual((await registry.loadArtifact('tenant_2', M, 1)).bytes, artifactBytes('same'));
      });
    });
  });
}
