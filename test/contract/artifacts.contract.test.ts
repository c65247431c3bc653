/**
 * Artifact storage contract, run on every implementation: files with a SQLite store, files with a
 * PostgreSQL store, and rows in PostgreSQL. Round trips (buffer, streamed, 20 MB), hash verification,
 * missing artifacts, content addressing, tenant isolation, removal, sweeping, and — for PostgreSQL
 * storage — a version and its artifact committing together.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { isNsError, NsError } from '../../src/errors.ts';
import { putArtifact, type ArtifactStorage, type ArtifactStorageKind, type StoredArtifact } from '../../src/registry/index.ts';
import { inTransaction } from '../../src/store/db.ts';
import { lockArtifact } from '../../src/store/model-versions.ts';
import { storeTargets, type StoreTarget } from '../helpers/dialects.ts';
import { artifactBytes, filesOf, newVersion, openRegistry, type RegistryStore } from '../fixtures/registry/registry-store.ts';

const T = 'tenant_1';
const M = 'failure';
const HOUR = 3_600_000;

const sha256Of = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

const storeError = (pattern: RegExp) => (error: unknown) => {
  assert.ok(isNsError(error), `expected an NsError, got ${String(error)}`);
  assert.equal(error.code, 'NS_STORE', error.message);
  assert.match(error.message, pattern);
  return true;
};

async function itemsOf(storage: ArtifactStorage): Promise<StoredArtifact[]> {
  const items = [];
  for await (const item of storage.list()) items.push(item);
  return items;
}

/** Deterministic, incompressible-looking bytes. */
function noise(size: number, seed: number): Buffer {
  const out = Buffer.allocUnsafe(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

async function* inPieces(bytes: Buffer, piece: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += piece) yield bytes.subarray(i, i + piece);
}

/** Flips one stored byte: in the file, or in the first chunk row. */
async function corrupt(s: RegistryStore, tenantId: string, sha256: string, at = 10): Promise<void> {
  if (s.registry.artifacts.kind === 'file') {
    const path = filesOf(s.registry).pathOf(tenantId, sha256);
    const bytes = readFileSync(path);
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(path, bytes);
    return;
  }
  const row = await s.db.k
    .selectFrom('artifact_chunks')
    .select('bytes')
    .where('tenant_id', '=', tenantId)
    .where('sha256', '=', sha256)
    .where('seq', '=', 0)
    .executeTakeFirstOrThrow();
  const bytes = Buffer.from(row.bytes);
  bytes[at] = bytes[at]! ^ 0x01;
  await s.db.k.updateTable('artifact_chunks').set({ bytes }).where('tenant_id', '=', tenantId).where('sha256', '=', sha256).where('seq', '=', 0).execute();
}

/** Makes an artifact look written two hours ago. */
async function age(s: RegistryStore, item: { tenantId: string; sha256: string } | { location: string }): Promise<void> {
  const old = new Date(Date.now() - 2 * HOUR);
  if ('location' in item) return utimesSync(item.location, old, old);
  if (s.registry.artifacts.kind === 'file') return utimesSync(filesOf(s.registry).pathOf(item.tenantId, item.sha256), old, old);
  await s.db.k.updateTable('artifacts').set({ created_at: old.getTime() }).where('tenant_id', '=', item.tenantId).where('sha256', '=', item.sha256).execute();
}

const put = (s: RegistryStore, tenantId: string, content: Uint8Array | AsyncIterable<Uint8Array>) => putArtifact(s.db, s.registry.artifacts, tenantId, content, Date.now());

interface Implementation {
  name: string;
  target: Awaited<ReturnType<typeof storeTargets>>[number];
  artifacts: ArtifactStorageKind;
}

const implementations: Implementation[] = [];
for (const target of await storeTargets()) {
  implementations.push({ name: `file, ${target.name} store`, target, artifacts: 'file' });
  if (target.name === 'postgres') implementations.push({ name: 'postgres', target, artifacts: 'postgres' });
}

for (const impl of implementations) {
  async function withStore(fn: (s: RegistryStore, t: StoreTarget) => Promise<void>): Promise<void> {
    const t = await impl.target.make();
    const s = await openRegistry(t, { artifacts: impl.artifacts });
    try {
      await fn(s, t);
    } finally {
      await s.close();
    }
  }

  describe(`artifact storage contract (${impl.name})`, { skip: impl.target.skip && 'PostgreSQL unreachable' }, () => {
    test('put and read round-trip; the hash and size are of the plaintext', async () => {
      await withStore(async (s) => {
        const storage = s.registry.artifacts;
        assert.equal(storage.kind, impl.artifacts);
        const bytes = artifactBytes('round trip', 5000);
        const put1 = await put(s, T, bytes);
        assert.deepEqual(put1, { sha256: sha256Of(bytes), size: 5000 });
        assert.equal(await storage.has(T, put1.sha256), true);
        assert.deepEqual(await storage.read(T, put1.sha256, 'the test artifact'), bytes);
        const empty = await put(s, T, new Uint8Array(0));
        assert.deepEqual(await storage.read(T, empty.sha256, 'an empty artifact'), Buffer.alloc(0));
      });
    });

    test('streamed content in odd pieces round-trips and hashes as one buffer would', async () => {
      await withStore(async (s) => {
        const bytes = noise(2_500_000, 7); // crosses 1 MiB chunk boundaries mid-piece
        const streamed = await put(s, T, inPieces(bytes, 99_991));
        assert.deepEqual(streamed, { sha256: sha256Of(bytes), size: bytes.length });
        assert.ok((await s.registry.artifacts.read(T, streamed.sha256, 'streamed')).equals(bytes));
      });
    });

    test('a corrupted stored artifact is refused with NS_STORE naming the version; a missing one too', async () => {
      await withStore(async (s) => {
        const v1 = await s.registry.registerVersion(newVersion(T, M), artifactBytes('v1', 4096));
        const v2 = await s.registry.registerVersion(newVersion(T, M), artifactBytes('v2', 4096));
        await corrupt(s, T, v2.artifact.sha256, 2000);
        await assert.rejects(
          s.registry.loadArtifact(T, M, 2),
          storeError(/^artifact of model "failure" version 2 \(failure_tenant_1_v2\) is corrupted: .* cannot be decoded \(segment 0 fails authentication: .*\); refusing to load it$/),
        );
        assert.deepEqual((await s.registry.loadArtifact(T, M, 1)).bytes, artifactBytes('v1', 4096), 'the other version is intact');
        assert.equal(v1.artifact.sha256, sha256Of(artifactBytes('v1', 4096)));

        if (impl.artifacts === 'postgres') {
          const big = await put(s, T, noise(3_000_000, 3));
          await s.db.k.deleteFrom('artifact_chunks').where('sha256', '=', big.sha256).where('seq', '=', 1).execute();
          await assert.rejects(s.registry.artifacts.read(T, big.sha256, 'a chunked artifact'), storeError(/^artifact of a chunked artifact is corrupted: .* lacks chunk 1 of 3; refusing to load it$/));
        }

        const unknown = sha256Of(Buffer.from('never stored'));
        await assert.rejects(s.registry.artifacts.read(T, unknown, 'model "x" version 9'), storeError(/^artifact of model "x" version 9 is missing: /));
        assert.equal(await s.registry.artifacts.has(T, unknown), false);
      });
    });

    test('the same content twice is stored once (content-addressed)', async () => {
      await withStore(async (s) => {
        const a = await s.registry.registerVersion(newVersion(T, M), artifactBytes('same', 3000));
        const b = await s.registry.registerVersion(newVersion(T, 'energy'), artifactBytes('same', 3000));
        const c = await put(s, T, artifactBytes('same', 3000));
        assert.equal(a.artifact.sha256, b.artifact.sha256);
        assert.equal(c.sha256, a.artifact.sha256);
        const items = await itemsOf(s.registry.artifacts);
        assert.deepEqual(items.map((i) => [i.tenantId, i.kind, i.sha256]), [[T, 'artifact', a.artifact.sha256]]);
        if (impl.artifacts === 'postgres') {
          const chunks = await s.db.k.selectFrom('artifact_chunks').select('seq').execute();
          assert.equal(chunks.length, 1, 'one copy of the bytes');
        }
      });
    });

    test("tenants are isolated: a tenant cannot read, see or remove another's artifact by hash", async () => {
      await withStore(async (s) => {
        const storage = s.registry.artifacts;
        const secret = await put(s, T, artifactBytes('tenant 1 only'));
        await assert.rejects(storage.read('tenant_2', secret.sha256, 'the other tenant'), storeError(/is missing/));
        assert.equal(await storage.has('tenant_2', secret.sha256), false);
        assert.equal(await inTransaction(s.db, (tx) => storage.remove(tx, 'tenant_2', secret.sha256)), false);
        assert.deepEqual(await storage.read(T, secret.sha256, 'own'), artifactBytes('tenant 1 only'));
        assert.notEqual(storage.locationOf(T, secret.sha256), storage.locationOf('tenant_2', secret.sha256));
        await assert.rejects(storage.read('../tenant_1', secret.sha256, 'x'), (e: unknown) => isNsError(e) && e.code === 'NS_VALIDATION' && e.field === 'tenantId');
      });
    });

    test('remove deletes an artifact (inside a transaction); a second remove finds nothing', async () => {
      await withStore(async (s) => {
        const storage = s.registry.artifacts;
        const gone = await put(s, T, artifactBytes('to remove'));
        const kept = await put(s, T, artifactBytes('to keep'));
        const remove = (sha: string) =>
          inTransaction(s.db, async (tx) => {
            await lockArtifact(tx, s.db.dialect, T, sha);
            return storage.remove(tx, T, sha);
          });
        assert.equal(await remove(gone.sha256), true);
        assert.equal(await remove(gone.sha256), false);
        assert.equal(await storage.has(T, gone.sha256), false);
        await assert.rejects(storage.read(T, gone.sha256, 'removed'), storeError(/is missing/));
        assert.deepEqual(await storage.read(T, kept.sha256, 'kept'), artifactBytes('to keep'));
        if (impl.artifacts === 'postgres') {
          const left = await s.db.k.selectFrom('artifact_chunks').select('sha256').execute();
          assert.deepEqual(left.map((r) => r.sha256), [kept.sha256], "the removed artifact's chunks went with it");
        }
      });
    });

    test('the sweep removes old unreferenced artifacts and old temp items; never referenced or young ones', async () => {
      await withStore(async (s) => {
        const storage = s.registry.artifacts;
        const referenced = await s.registry.registerVersion(newVersion(T, M), artifactBytes('referenced'));
        const orphanOld = await put(s, T, artifactBytes('orphan old'));
        const orphanYoung = await put(s, 'tenant_2', artifactBytes('orphan young'));
        await age(s, { tenantId: T, sha256: referenced.artifact.sha256 });
        await age(s, { tenantId: T, sha256: orphanOld.sha256 });
        // An interrupted write: a temp file for files; for rows, staging writes nothing anywhere.
        const interrupted = await storage.stage(T, artifactBytes('interrupted'));
        const temps = (await itemsOf(storage)).filter((i) => i.kind === 'temp');
        assert.equal(temps.length, impl.artifacts === 'file' ? 1 : 0);
        for (const temp of temps) await age(s, temp);

        assert.deepEqual(await s.registry.sweepArtifacts(), { tempFiles: temps.length, unreferenced: 1 });
        const left = (await itemsOf(storage)).map((i) => `${i.tenantId}/${i.kind}/${i.sha256}`).sort();
        assert.deepEqual(left, [`${T}/artifact/${referenced.artifact.sha256}`, `tenant_2/artifact/${orphanYoung.sha256}`].sort());
        assert.deepEqual((await s.registry.loadArtifact(T, M, 1)).bytes, artifactBytes('referenced'));
        await storage.discard(interrupted);
        assert.deepEqual(await s.registry.sweepArtifacts(0), { tempFiles: 0, unreferenced: 1 }, 'with no age limit the young orphan goes too');
      });
    });

    test('a version and its artifact commit together: a failure after the artifact is written leaves neither', async () => {
      await withStore(async (s) => {
        const storage = s.registry.artifacts;
        // A version row the counter does not know about: the registration takes number 1, writes the
        // artifact, then fails inserting its version (duplicate key) — inside the same transaction.
        const v = await s.registry.registerVersion(newVersion(T, 'other'), artifactBytes('unrelated'));
        await s.db.k.insertInto('model_versions').values({ ...(await s.db.k.selectFrom('model_versions').selectAll().executeTakeFirstOrThrow()), model_name: M, name: 'failure_tenant_1_v1' }).execute();
        const bytes = artifactBytes('fails after its artifact is written', 3_000_000);
        await assert.rejects(s.registry.registerVersion(newVersion(T, M), bytes));
        assert.equal(await storage.has(T, sha256Of(bytes)), false, 'no artifact left behind');
        assert.deepEqual((await itemsOf(storage)).map((i) => i.sha256), [v.artifact.sha256]);
        if (impl.artifacts === 'postgres') {
          const rows = await s.db.k.selectFrom('artifacts').select('sha256').where('sha256', '=', sha256Of(bytes)).execute();
          assert.deepEqual(rows, [], 'the artifact row rolled back with the version');
          const chunks = await s.db.k.selectFrom('artifact_chunks').select('seq').where('sha256', '=', sha256Of(bytes)).execute();
          assert.deepEqual(chunks, []);
        }

        // At the storage level: placing, then failing in the same transaction.
        const staged = await storage.stage(T, artifactBytes('placed then rolled back'));
        await assert.rejects(
          inTransaction(s.db, async (tx) => {
            await lockArtifact(tx, s.db.dialect, T, staged.sha256);
            await storage.place(tx, staged, Date.now());
            throw new NsError('NS_CONFLICT', 'fails after the write');
          }),
          /fails after the write/,
        );
        // Rows roll back with the transaction; a renamed file does not (the registry collects it).
        assert.equal(await storage.has(T, staged.sha256), !storage.transactional);
        assert.equal(storage.transactional, impl.artifacts === 'postgres');
        await storage.discard(staged);
      });
    });

    test('a 20 MB artifact round-trips through registration and load', { timeout: 120_000 }, async () => {
      await withStore(async (s) => {
        const bytes = noise(20 * 1024 * 1024, 42);
        const v = await s.registry.registerVersion(newVersion(T, M), inPieces(bytes, 65_536));
        assert.deepEqual(v.artifact, { sha256: sha256Of(bytes), size: bytes.length });
        await s.registry.promote(T, M, v.version, { reason: 'big' });
        assert.ok((await s.registry.loadChampion(T, M))!.bytes.equals(bytes));
        if (impl.artifacts === 'postgres') {
          const head = await s.db.k.selectFrom('artifacts').selectAll().executeTakeFirstOrThrow();
          // Encrypted: a 33-byte header, a 16-byte tag per 64 KiB segment and a 48-byte trailer, in rows of 1 MiB.
          const stored = bytes.length + 33 + (bytes.length / 65_536) * 16 + 48;
          assert.deepEqual([Number(head.chunk_count), Number(head.stored_size), head.codec], [Math.ceil(stored / 1_048_576), stored, 'aes-256-gcm'], 'rows of 1 MiB');
        }
      });
    });
  });
}
