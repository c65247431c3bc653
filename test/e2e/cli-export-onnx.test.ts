/**
 * `nightshift export-onnx` as a real `nightshift` process (the build, dist/main.js) on a real SQLite file: it
 * writes a GBDT version as an .onnx file that onnxruntime loads and that predicts the version's
 * probabilities from the feature matrix, prints where it wrote and what the input is, refuses to
 * overwrite a file without --force (exit 4), and answers a missing version with exit 3.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import pino from 'pino';
import { loadSettings } from '../../src/config/index.ts';
import { buildTrainingSet } from '../../src/data/features/index.ts';
import { syntheticSchema } from '../../src/data/synthetic/index.ts';
import { Engine } from '../../src/engine.ts';
import { trainGbdt, type GbdtModel } from '../../src/trainers/gbdt/index.ts';
import { OnnxModel } from '../../src/trainers/onnx/index.ts';
import type { Matrix } from '../../src/trainers/types.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { tempDir } from '../helpers/settings.ts';
import { newVersion } from '../fixtures/registry/registry-store.ts';
import { FAILURE_MODEL, fillFleet } from '../fixtures/training/fleet.ts';

const assertNoStack = (stderr: string) => assert.doesNotMatch(stderr, /^\s+at .+:\d+:\d+\)?$/m, `no stack trace expected:\n${stderr}`);

describe('nightshift export-onnx', { timeout: 180_000 }, () => {
  const dir = tempDir('ns-cli-export-');
  const env: Record<string, string> = {
    ...BASE_ENV,
    NIGHTSHIFT_CONFIG: join(dir, 'nightshift.json'),
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_LOG_LEVEL: 'warn',
  };
  const cli = (...args: string[]) => runCli(env, args, 60_000);
  let model: GbdtModel;
  let X: Matrix;

  before(async () => {
    writeFileSync(env.NIGHTSHIFT_CONFIG!, JSON.stringify({ tenants: [{ id: 'acme', timezone: 'UTC' }], models: [{ ...FAILURE_MODEL, mode: 'full' }] }));
    // A GBDT version registered as a training registers it: the artifact with its fitted feature spec.
    const engine = await Engine.open({ settings: loadSettings({ env, cwd: dir }), logger: pino({ level: 'silent' }) });
    try {
      const samples = await fillFleet(engine.db, 'acme', { endMs: Date.now(), machines: 6, days: 10 });
      const def = parseModelDefinition({ ...FAILURE_MODEL });
      const built = buildTrainingSet(samples, def.features, syntheticSchema('acme'));
      model = (await trainGbdt(built, def.trainer.params, { seed: 1 }, { featureSpec: built.spec })).model;
      X = built.X;
      await engine.models.registry.registerVersion(newVersion('acme', 'failure'), Buffer.from(JSON.stringify(model.toArtifact())));
    } finally {
      await engine.close(0);
    }
  });

  test('--help names its options', async () => {
    const r = await cli('export-onnx', '--help');
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.startsWith('Usage: nightshift export-onnx [options]'), r.stdout);
    for (const o of ['--tenant <id>', '--model <name>', '--version <n>', '--out <file>', '--force', '--json', 'feature matrix']) assert.ok(r.stdout.includes(o), `names ${o}:\n${r.stdout}`);
  });

  test('writes the file, which onnxruntime loads and which predicts the version; no overwrite without --force', async () => {
    const out = join(dir, 'failure.onnx');
    const r = await cli('export-onnx', '--model', 'failure', '--version', '1', '--out', out);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.split('\n');
    assert.match(lines[0]!, new RegExp(`^wrote failure_acme_v1 \\(gbdt, binary\\) to ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ bytes\\)$`));
    assert.match(lines[1]!, /^input input float64 \[N, 5\]: the model's feature matrix: one row per sample, one column per feature in the order listed, a categorical feature as its code .*NaN for a missing value$/);
    assert.match(lines[2]!, /^COLUMN\s+FEATURE\s+TYPE\s+CATEGORIES$/);
    assert.match(lines[3]!, /^0\s+temperature\s+numeric$/);
    assert.match(lines[7]!, /^4\s+model\s+categorical\s+0=\S+ 1=\S+/);
    assert.match(lines[8]!, /^outputs: label int64 \[N\], probabilities float32 \[N, 2\] \(nightshift reads probabilities\)$/);

    const onnx = await OnnxModel.load(out);
    try {
      assert.equal(onnx.inputType, 'float64');
      const theirs = await onnx.predict(X);
      const ours = model.predict(X);
      let worst = 0;
      for (let i = 0; i < X.rows; i++) worst = Math.max(worst, Math.abs(theirs[i]! - ours[i]!));
      assert.ok(worst <= 2 ** -22, `max |onnx − ours| = ${worst} (float32 outputs)`);
    } finally {
      await onnx.dispose();
    }

    // An existing file stays as it is without --force: exit 4, nothing written.
    const before = readFileSync(out);
    const mtime = statSync(out).mtimeMs;
    const refused = await cli('export-onnx', '--model', 'failure', '--version', '1', '--out', out);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /error NS_CONFLICT: --out: .*failure\.onnx exists; pass --force to overwrite it, or choose another file/);
    assertNoStack(refused.stderr);
    assert.ok(readFileSync(out).equals(before));
    assert.equal(statSync(out).mtimeMs, mtime);

    writeFileSync(out, 'not a model');
    const forced = await cli('export-onnx', '--tenant', 'acme', '--model', 'failure', '--version', '1', '--out', out, '--force', '--json');
    assert.equal(forced.code, 0, forced.stderr);
    const described = JSON.parse(forced.stdout) as { file: string; bytes: number; versionName: string; kind: string; input: { type: string }; features: Array<{ column: number; name: string }>; output: string };
    assert.deepEqual([described.versionName, described.kind, described.input.type, described.output], ['failure_acme_v1', 'gbdt', 'float64', 'probabilities']);
    assert.deepEqual(described.features.map((f) => f.name), [...FAILURE_MODEL.features.continuous, ...FAILURE_MODEL.features.categorical]);
    assert.equal(described.file, out);
    assert.ok(readFileSync(out).equals(before), 'overwritten with the same export');
    assert.equal(before.byteLength, described.bytes);
  });

  test('a missing version exits 3, an unwritable --out 5, and neither leaves a file', async () => {
    const out = join(dir, 'v9.onnx');
    const missing = await cli('export-onnx', '--model', 'failure', '--version', '9', '--out', out);
    assert.equal(missing.code, 3, missing.stderr);
    assert.match(missing.stderr, /error NS_NOT_FOUND: model "failure" of tenant "acme" has no version 9/);
    assert.equal(existsSync(out), false);
    const nowhere = join(dir, 'no-such-dir', 'x.onnx');
    const unwritable = await cli('export-onnx', '--model', 'failure', '--version', '1', '--out', nowhere);
    assert.equal(unwritable.code, 5, unwritable.stderr);
    assert.match(unwritable.stderr, /error NS_VALIDATION: --out: cannot write .*no-such-dir.*x\.onnx/);
    assertNoStack(unwritable.stderr);
  });
});
