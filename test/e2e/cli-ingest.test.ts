/** `nightshift dataset define`, `ingest FILE` and `datasets` as real `nightshift` processes (the build, dist/main.js) on a real SQLite file. */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BASE_ENV, runCli } from '../helpers/cli-run.ts';
import { tempDir } from '../helpers/settings.ts';

const FIX = join(import.meta.dirname, '..', 'fixtures', 'ingest');
const CONFIG = join(import.meta.dirname, '..', 'fixtures', 'cli', 'nightshift.yaml');

const run = (env: Record<string, string>, args: string[]) => runCli(env, args, 30_000);

describe('nightshift ingest', { timeout: 120_000 }, () => {
  test('define a dataset, ingest a CSV, refuse a bad file with row/field errors and write nothing', async () => {
    const env = { ...BASE_ENV, NIGHTSHIFT_CONFIG: CONFIG, NIGHTSHIFT_DATA_DIR: join(tempDir('ns-ingest-'), 'data'), NIGHTSHIFT_LOG_LEVEL: 'warn' };
    const cli = (...args: string[]) => run(env, args);
    const count = async () => {
      const r = await cli('datasets', '--tenant', 'acme', '--json');
      assert.equal(r.code, 0, r.stderr);
      return (JSON.parse(r.stdout) as Array<{ schema: { id: string }; samples: { count: number } }>).map((d) => [d.schema.id, d.samples.count]);
    };

    const defined = await cli('dataset', 'define', 'sensors', '--tenant', 'acme', '--schema', join(FIX, 'sensors.schema.json'));
    assert.equal(defined.code, 0, defined.stderr);
    assert.match(defined.stdout, /dataset acme\/sensors created: 3 features, label failed \(binary\), 0 samples/);

    const ok = await cli('ingest', join(FIX, 'sensors.csv'), '--tenant', 'acme', '--dataset', 'sensors');
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, 'accepted 5 rows into acme/sensors (5 new, 0 replacing stored samples)\n');
    assert.deepEqual(await count(), [['sensors', 5]]);

    const bad = await cli('ingest', join(FIX, 'sensors-bad.csv'), '--tenant', 'acme', '--dataset', 'sensors');
    assert.equal(bad.code, 5, `exit 5 on invalid input: ${bad.stderr}`);
    const lines = bad.stderr.trim().split('\n');
    assert.match(lines[0]!, /sensors-bad\.csv: row 2 \(line 3\), temp: "NaN" is not allowed/);
    assert.match(lines[1]!, /sensors-bad\.csv: row 3 \(line 4\), failed: a binary label must be 0, 1, true or false; got "2"/);
    assert.match(lines[2]!, /sensors-bad\.csv: row 4 \(line 5\), time: .* has no time zone/);
    assert.match(lines[3]!, /sensors-bad\.csv: row 4 \(line 5\), temp: "Infinity" is not allowed/);
    assert.match(lines[4]!, /^error NS_VALIDATION: 4 error\(s\) in a batch of 4 row\(s\); nothing was written/);
    assert.doesNotMatch(bad.stderr, /^\s+at .+:\d+:\d+\)?$/m, 'no stack trace');
    assert.deepEqual(await count(), [['sensors', 5]], 'the good first row of the bad file was not written');

    const nd = await cli('ingest', join(FIX, 'sensors.ndjson'), '--tenant', 'acme', '--dataset', 'sensors', '--json');
    assert.equal(nd.code, 0, nd.stderr);
    assert.deepEqual(JSON.parse(nd.stdout), { accepted: 2, inserted: 0, updated: 2, rejected: 0 });
    assert.deepEqual(await count(), [['sensors', 5]], 'both rows share (entity, time) with stored ones: replaced, not added');

    const noExt = join(tempDir('ns-ingest-file-'), 'rows.txt');
    writeFileSync(noExt, 'device,time,temp,humidity,site,failed\nd9,1772323200000,1,,,1\n');
    const unknownFormat = await cli('ingest', noExt, '--tenant', 'acme', '--dataset', 'sensors');
    assert.equal(unknownFormat.code, 5);
    assert.match(unknownFormat.stderr, /pass --format json\|ndjson\|csv/);
    const forced = await cli('ingest', noExt, '--tenant', 'acme', '--dataset', 'sensors', '--format', 'csv');
    assert.equal(forced.code, 0, forced.stderr);
    assert.deepEqual(await count(), [['sensors', 6]]);

    const missing = await cli('ingest', join(FIX, 'sensors.csv'), '--tenant', 'beta', '--dataset', 'sensors');
    assert.equal(missing.code, 3, `another tenant's dataset is not found: ${missing.stderr}`);
    assert.match(missing.stderr, /NS_NOT_FOUND: dataset "sensors" does not exist/);
  });
});
