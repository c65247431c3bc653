/**
 * The model commands as real `nightshift` processes (the build, dist/main.js) on a real SQLite file: models,
 * import-onnx, versions, promote, rollback, champion-history and train, each with its happy path
 * and an error with its exit code (3 not found, 4 conflict, 5 invalid input).
 */
import assert from 'node:assert/strict';
import { userInfo } from 'node:os';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import pino from 'pino';
import { ENV, loadSettings } from '../../src/config/index.ts';
import { buildTrainingSet } from '../../src/data/features/index.ts';
import { syntheticSchema } from '../../src/data/synthetic/index.ts';
import { Engine } from '../../src/engine.ts';
import { trainGbdt } from '../../src/trainers/gbdt/index.ts';
import { timeHoldout } from '../../src/trainers/holdout.ts';
import { exportGbdtToOnnx } from '../../src/trainers/onnx/index.ts';
import { parseModelDefinition } from '../../src/training/model-definition.ts';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { tempDir } from '../helpers/settings.ts';
import { FAILURE_MODEL, fillFleet } from '../fixtures/training/fleet.ts';

const run = (env: Record<string, string>, args: string[]) => runCli(env, args, 60_000);

const assertNoStack = (stderr: string) => assert.doesNotMatch(stderr, /^\s+at .+:\d+:\d+\)?$/m, `no stack trace expected:\n${stderr}`);

interface VersionJson {
  version: number;
  trainer: string;
  trigger: string;
  gate: { passed: boolean };
  champion: boolean;
}

describe('nightshift model commands', { timeout: 300_000 }, () => {
  const dir = tempDir('ns-cli-models-');
  const env: Record<string, string> = {
    ...BASE_ENV,
    NIGHTSHIFT_CONFIG: join(dir, 'nightshift.json'),
    NIGHTSHIFT_DATA_DIR: join(dir, 'data'),
    NIGHTSHIFT_LOG_LEVEL: 'warn',
  };
  const cli = (...args: string[]) => run(env, args);
  const ok = async (...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, 0, `nightshift ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const json = async <T>(...args: string[]): Promise<T> => JSON.parse(await ok(...args, '--json')) as T;
  const fails = async (code: number, pattern: RegExp, ...args: string[]) => {
    const r = await cli(...args);
    assert.equal(r.code, code, `nightshift ${args.join(' ')} exits ${code}: ${r.code} ${r.stderr}`);
    assert.match(r.stderr, pattern);
    assertNoStack(r.stderr);
  };
  const good = join(dir, 'good.onnx');
  const noise = join(dir, 'noise.onnx');

  before(async () => {
    writeFileSync(env.NIGHTSHIFT_CONFIG!, JSON.stringify({ tenants: [{ id: 'acme', timezone: 'UTC' }], models: [{ ...FAILURE_MODEL, mode: 'full' }] }));
    // The store as a running service would leave it: the model declared, its dataset filled.
    const engine = await Engine.open({ settings: loadSettings({ env, cwd: dir }), logger: pino({ level: 'silent' }) });
    let samples;
    try {
      samples = await fillFleet(engine.db, 'acme', { endMs: Date.now() });
    } finally {
      await engine.close(0);
    }
    const def = parseModelDefinition({ ...FAILURE_MODEL });
    const built = buildTrainingSet(samples, def.features, syntheticSchema('acme'));
    const { train } = timeHoldout(built, def.holdoutFraction);
    const fit = async (y: Float64Array) => (await trainGbdt({ ...train, y }, def.trainer.params, { seed: 1 })).model;
    writeFileSync(good, exportGbdtToOnnx((await fit(train.y)).body, built.features.length, 'binary'));
    writeFileSync(noise, exportGbdtToOnnx((await fit(Float64Array.from(train.y, (_, i) => ((i * 7919) % 3 === 0 ? 1 : 0)))).body, built.features.length, 'binary'));
  });

  test('--help names each command\'s options, without a config or a store', async () => {
    const dataDir = join(tempDir('ns-cli-models-help-'), 'data');
    const helpEnv = { ...BASE_ENV, NIGHTSHIFT_DATA_DIR: dataDir };
    const HELP: Array<[string, string[]]> = [
      ['models', ['--tenant <id>', '--json']],
      ['versions', ['--tenant <id>', '--model <name>', '--limit <n>', '--json']],
      ['champion-history', ['--model <name>', '--limit <n>']],
      ['rollback', ['--model <name>', '--to <version>', '--reason <text>']],
      ['promote', ['--model <name>', '--version <n>', '--reason <text>']],
      ['train', ['--model <name>', '--mode <mode>', '"full", "incremental"', '--queue']],
      ['import-onnx', ['--model <name>', '--file <path>', '--promote', '--threshold <p>', '--output-name <name>']],
    ];
    for (const [command, options] of HELP) {
      const r = await run(helpEnv, [command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(r.stdout.startsWith(`Usage: nightshift ${command} [options]`), r.stdout);
      for (const o of options) assert.ok(r.stdout.includes(o), `${command} --help names ${o}:\n${r.stdout}`);
    }
    const top = await run(helpEnv, ['--help']);
    for (const command of HELP.map(([c]) => c)) assert.match(top.stdout, new RegExp(`\\n  ${command} \\[options\\]`));
    assert.equal(existsSync(dataDir), false, 'help creates no data dir');
  });

  test('models, import-onnx, versions, promote, rollback, champion-history, train', async () => {
    // models: declared, no champion yet.
    assert.match(await ok('models'), /^TENANT\s+MODEL\s+TASK\s+TRAINER\s+CHAMPION\s+METRIC\s+SINCE\nacme\s+failure\s+binary\s+gbdt\s+-\s+auc\s+-\n$/);
    await fails(3, /error NS_NOT_FOUND: tenant "nope" does not exist/, 'models', '--tenant', 'nope');

    // import-onnx: promoted when asked and the gate passes; registered only without --promote; a noise model rejected.
    assert.match(await ok('import-onnx', '--model', 'failure', '--file', good, '--promote'), /^promoted: failure_acme_v1 promoted: passed 1 threshold\(s\)\nmetrics: auc=0\.\d+ .*\(holdout \d+ rows\)\n$/);
    const registered = await json<{ version: VersionJson; promoted: boolean; outcome: string }>('import-onnx', '--model', 'failure', '--file', good);
    assert.deepEqual([registered.version.version, registered.promoted, registered.outcome, registered.version.trainer, registered.version.trigger], [2, false, 'registered', 'onnx-import', 'import']);
    // --promote with a rejection exits 4 (so `import-onnx --promote && deploy` stops), after printing the outcome.
    const noisy = await cli('import-onnx', '--tenant', 'acme', '--model', 'failure', '--file', noise, '--promote', '--threshold', '0.4', '--json');
    assert.equal(noisy.code, 4, noisy.stderr);
    assert.match(noisy.stderr, /error NS_CONFLICT: failure_acme_v3 was registered but not promoted \(rejected\)/);
    const rejected = JSON.parse(noisy.stdout) as { version: VersionJson; promoted: boolean; outcome: string; message: string };
    assert.deepEqual([rejected.version.version, rejected.promoted, rejected.outcome, rejected.version.gate.passed], [3, false, 'rejected', false], rejected.message);
    await fails(3, /error NS_NOT_FOUND: tenant "acme" has no model "nope" \(its models: failure\)/, 'import-onnx', '--model', 'nope', '--file', good);
    await fails(5, /error NS_VALIDATION: cannot read .*missing\.onnx/, 'import-onnx', '--model', 'failure', '--file', join(dir, 'missing.onnx'));

    // models: the champion and its primary metric.
    assert.match(await ok('models', '--tenant', 'acme'), /\nacme\s+failure\s+binary\s+gbdt\s+v1\s+auc 0\.\d+\s+\d{4}-\d\d-\d\dT/);

    // versions: newest first, gate verdicts, the champion marked.
    const table = await ok('versions', '--model', 'failure');
    const lines = table.trim().split('\n');
    assert.match(lines[0]!, /^VERSION\s+NAME\s+TRAINER\s+MODE\s+METRICS\s+GATE\s+CREATED\s+CHAMPION$/);
    assert.match(lines[1]!, /^3\s+failure_acme_v3\s+onnx-import\s+full\s+auc=\S+ .*\s+failed\s+\S+Z$/);
    assert.match(lines[2]!, /^2\s+failure_acme_v2\s+onnx-import\s+full\s+auc=\S+ .*\s+passed\s+\S+Z$/);
    assert.match(lines[3]!, /^1\s+failure_acme_v1\s+onnx-import\s+full\s+auc=\S+ .*\s+passed\s+\S+Z\s+\*$/);
    const limited = await json<VersionJson[]>('versions', '--model', 'failure', '--limit', '2');
    assert.deepEqual(limited.map((v) => [v.version, v.champion]), [[3, false], [2, false]]);
    await fails(3, /error NS_NOT_FOUND: tenant "acme" has no model "nope"/, 'versions', '--model', 'nope');

    // promote: a version that passed its gate; a rejected one is a conflict.
    assert.equal(await ok('promote', '--model', 'failure', '--version', '2', '--reason', 'same model, newer import'), 'champion of failure (acme): v1 → v2 (promote, revision 2)\n');
    assert.equal(await ok('promote', '--model', 'failure', '--version', '2'), 'champion of failure (acme) is already v2; nothing changed\n');
    await fails(4, /error NS_CONFLICT: .*version 3 .* failed its validation gate/, 'promote', '--model', 'failure', '--version', '3');

    // rollback: to an earlier version; a --to that is not a version number, or that does not exist.
    const back = await json<{ changed: boolean; change: { action: string; version: number; previousVersion: number; actor: string; reason: string } }>('rollback', '--model', 'failure', '--to', '1', '--reason', 'bad deploy');
    assert.deepEqual(back, { changed: true, change: { ...back.change, action: 'rollback', version: 1, previousVersion: 2, actor: 'cli', reason: 'bad deploy' } });
    await fails(5, /--to <version>.*"abc" is not a version number/, 'rollback', '--model', 'failure', '--to', 'abc');
    await fails(3, /error NS_NOT_FOUND: model "failure" version 9 .* does not exist/, 'rollback', '--model', 'failure', '--to', '9');
    // A rollback goes back; to a version later than the champion it points at promote instead.
    await fails(
      5,
      /^error NS_VALIDATION: cannot roll back to model "failure" version 2 \(failure_acme_v2\): it is later than the champion \(version 1\); a rollback targets a version earlier than the champion\. To make a later version the champion, promote it: nightshift promote --tenant acme --model failure --version 2\n$/,
      'rollback', '--model', 'failure', '--to', '2',
    );
    await fails(5, /cannot roll back to model "failure" version 1 \(failure_acme_v1\): it is the champion already/, 'rollback', '--model', 'failure', '--to', '1');

    // champion-history: newest first.
    const history = await json<Array<{ revision: number; action: string; version: number; previousVersion: number | null; actor: string; reason: string }>>('champion-history', '--model', 'failure');
    assert.deepEqual(history.map((h) => [h.revision, h.action, h.version, h.previousVersion, h.actor]), [
      [3, 'rollback', 1, 2, 'cli'],
      [2, 'promote', 2, 1, 'cli'],
      [1, 'promote', 1, null, 'cli'],
    ]);
    assert.match(history[2]!.reason, /imported ONNX model; gate passed/);
    assert.match(await ok('champion-history', '--model', 'failure'), /^REVISION\s+ACTION\s+VERSION\s+PREVIOUS\s+AT\s+ACTOR\s+REASON\n3\s+rollback\s+v1\s+v2\s+\S+Z\s+cli\s+bad deploy\n/);
    await fails(3, /error NS_NOT_FOUND: tenant "acme" has no model "nope"/, 'champion-history', '--model', 'nope');

    // train: queues a run for the service's workers (none runs here, so it stays queued); a second
    // one is refused, and with --queue too, since only one run may wait behind a running one.
    const queued = await ok('train', '--model', 'failure', '--mode', 'incremental');
    const runId = /^queued run (\S+) \(train-failure for acme\); eta /.exec(queued)?.[1];
    assert.ok(runId, queued);
    const run = await json<{ id: string; status: string; trigger: string; params: string | null }>('run', runId);
    // requestedBy: who asked, credited in the champion history if the training promotes.
    assert.deepEqual([run.status, run.trigger, JSON.parse(run.params ?? '{}')], ['queued', 'manual', { mode: 'incremental', requestedBy: `cli:${userInfo().username}` }]);
    await fails(4, /error NS_CONFLICT: job "train-failure" already has run \S+ queued for tenant "acme"; use mode "queue" \(CLI: --queue\)/, 'train', '--model', 'failure');
    await fails(4, /error NS_CONFLICT: job "train-failure" already has run \S+ waiting for tenant "acme"; only one run may wait/, 'train', '--model', 'failure', '--queue');
    await fails(5, /argument 'sometimes' is invalid/, 'train', '--model', 'failure', '--mode', 'sometimes');
  });
});
