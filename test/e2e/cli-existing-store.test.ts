/**
 * Commands that read the store (or only change what is in it) need a store that exists: a
 * mistyped NIGHTSHIFT_DATA_DIR (or a PostgreSQL database nightshift never ran on) is refused with
 * the path and the variable, and nothing is created. They never write the config file's
 * declarations either: that is what `serve` and the commands that declare or queue do.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import pg from 'pg';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { openDb } from '../../src/store/db.ts';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { storeTargets } from '../helpers/dialects.ts';
import { tempDir } from '../helpers/settings.ts';

const CONFIG = join(import.meta.dirname, '..', 'fixtures', 'cli', 'nightshift.yaml');
const assertNoStack = (stderr: string) => assert.doesNotMatch(stderr, /^\s+at .+:\d+:\d+\)?$/m, `no stack trace expected:\n${stderr}`);

/** The commands that need an existing store, with the arguments each needs to get that far. */
const EXISTING_STORE_COMMANDS: ReadonlyArray<readonly string[]> = [
  ['jobs'],
  ['runs'],
  ['run', 'run_0000'],
  ['cancel', 'run_0000'],
  ['models'],
  ['datasets', '--tenant', 'acme'],
  ['versions', '--tenant', 'acme', '--model', 'failure'],
  ['champion-history', '--tenant', 'acme', '--model', 'failure'],
  ['promote', '--tenant', 'acme', '--model', 'failure', '--version', '1'],
  ['rollback', '--tenant', 'acme', '--model', 'failure', '--to', '1'],
  ['export-onnx', '--tenant', 'acme', '--model', 'failure', '--version', '1', '--out', join(tempDir('ns-existing-out-'), 'm.onnx')],
];

const pgTarget = (await storeTargets()).find((t) => t.name === 'postgres')!;

describe('commands that need an existing store', { concurrency: true, timeout: 180_000 }, () => {
  test('a data dir that does not exist: each refuses naming NIGHTSHIFT_DATA_DIR and the path (exit 2) and creates nothing', async () => {
    const dataDir = join(tempDir('ns-typo-'), 'dta');
    const env = { ...BASE_ENV, NIGHTSHIFT_CONFIG: CONFIG, NIGHTSHIFT_DATA_DIR: dataDir };
    const results = await Promise.all(EXISTING_STORE_COMMANDS.map((args) => runCli(env, [...args])));
    EXISTING_STORE_COMMANDS.forEach((args, i) => {
      const r = results[i]!;
      const label = `nightshift ${args.join(' ')}`;
      assert.equal(r.code, 2, `${label}: ${r.code} ${r.stderr}`);
      assert.equal(r.stdout, '', label);
      assert.equal(
        r.stderr,
        `error NS_CONFIG_INVALID: NIGHTSHIFT_DATA_DIR=${dataDir}: no nightshift store there (no nightshift.db); check the path (the config file's dataDir sets it too, default ./data), or start \`nightshift serve\` once to create one\n`,
        label,
      );
      assertNoStack(r.stderr);
    });
    assert.equal(existsSync(dataDir), false, 'the data dir was not created');
  });

  test('an existing but empty dir is refused the same way and stays empty', async () => {
    const dataDir = join(tempDir('ns-empty-'), 'data');
    mkdirSync(dataDir);
    const r = await runCli({ ...BASE_ENV, NIGHTSHIFT_CONFIG: CONFIG, NIGHTSHIFT_DATA_DIR: dataDir }, ['runs']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /NIGHTSHIFT_DATA_DIR=.*: no nightshift store there \(no nightshift\.db\)/);
    assert.deepEqual(readdirSync(dataDir), []);
  });

  test("they never write the config file's declarations into the store", async () => {
    const dir = tempDir('ns-no-sync-');
    const dataDir = join(dir, 'data');
    // The store as the service left it (the declarations of CONFIG), then a config file that declares more.
    const created = await runCli({ ...BASE_ENV, NIGHTSHIFT_CONFIG: CONFIG, NIGHTSHIFT_DATA_DIR: dataDir }, ['trigger', 'hello', '--tenant', 'acme']);
    assert.equal(created.code, 0, created.stderr);
    const config = YAML.parse(readFileSync(CONFIG, 'utf8')) as { tenants: unknown[]; jobs: unknown[]; schedules: unknown[] };
    config.tenants.push({ id: 'gamma', name: 'Gamma' });
    config.jobs.push({ id: 'extra', kind: 'command', command: 'node', args: ['-e', ''] });
    config.schedules.push({ id: 'gamma-extra', tenant: 'gamma', job: 'extra', cron: '0 4 * * *' });
    const bigger = join(dir, 'bigger.yaml');
    writeFileSync(bigger, YAML.stringify(config));
    const env = { ...BASE_ENV, NIGHTSHIFT_CONFIG: bigger, NIGHTSHIFT_DATA_DIR: dataDir };

    for (const args of [['jobs'], ['runs'], ['models'], ['datasets', '--tenant', 'acme']]) {
      const r = await runCli(env, args);
      assert.equal(r.code, 0, `nightshift ${args.join(' ')}: ${r.stderr}`);
    }
    const jobs = JSON.parse((await runCli(env, ['jobs', '--json'])).stdout) as Array<{ job: string; schedule: string }>;
    assert.deepEqual([...new Set(jobs.map((j) => j.job))].sort(), ['audit', 'hello', 'report'], 'jobs lists what the store holds');
    const db = await openDb({ dataDir, databaseUrl: null });
    try {
      const stored = await db.k.selectFrom('jobs').select('id').orderBy('id').execute();
      assert.deepEqual(stored.map((j) => j.id), ['audit', 'hello', 'report'], 'no job was written');
      const tenants = await db.k.selectFrom('tenants').select('id').orderBy('id').execute();
      assert.deepEqual(tenants.map((t) => t.id), ['acme', 'beta'], 'no tenant was written');
      const schedules = await db.k.selectFrom('schedules').select('id').orderBy('id').execute();
      assert.deepEqual(schedules.map((s) => s.id), ['acme-hello-morning', 'report-weekdays'], 'no schedule was written');
    } finally {
      await db.close();
    }
  });

  test('a store from an older nightshift (migrations pending) is not upgraded by a command that reads', async () => {
    const dataDir = join(tempDir('ns-old-store-'), 'data');
    const env = { ...BASE_ENV, NIGHTSHIFT_CONFIG: CONFIG, NIGHTSHIFT_DATA_DIR: dataDir };
    assert.equal((await runCli(env, ['trigger', 'hello', '--tenant', 'acme'])).code, 0);
    const db = await openDb({ dataDir, databaseUrl: null });
    let latest: number;
    try {
      latest = Number((await db.k.selectFrom('ns_migrations').select((eb) => eb.fn.max('id').as('id')).executeTakeFirstOrThrow()).id);
      await db.k.deleteFrom('ns_migrations').where('id', '=', latest).execute();
    } finally {
      await db.close();
    }
    const r = await runCli(env, ['runs']);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, new RegExp(`^error NS_STORE: the store at .*nightshift\\.db has schema version ${latest - 1}; this nightshift needs ${latest}: start \`nightshift serve\` once to upgrade it \\(commands that only read never change the store\\)\\n$`));
  });

  test('PostgreSQL: a database without nightshift tables is refused naming DATABASE_URL, and stays empty', { skip: pgTarget.skip ? 'PostgreSQL unreachable' : false }, async () => {
    const target = await pgTarget.make();
    const url = target.databaseUrl!;
    const r = await runCli({ ...BASE_ENV, NIGHTSHIFT_CONFIG: CONFIG, DATABASE_URL: url, NIGHTSHIFT_DATA_DIR: target.dataDir }, ['runs']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^error NS_CONFIG_INVALID: DATABASE_URL=postgres:\/\/.*: no nightshift store there \(no ns_migrations table\); check the URL and its search_path, or start `nightshift serve` once to create one\n$/);
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const tables = await client.query(`select table_name from information_schema.tables where table_schema = current_schema()`);
      assert.deepEqual(tables.rows, [], 'nothing was created');
    } finally {
      await client.end();
    }
  });
});
