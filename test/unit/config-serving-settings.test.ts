/**
 * The serving and ingest settings of issue 14 (items 9, 23, the history cache): the model cache's
 * memory bound, the history cache's size and the ingest clock skew, from env and the config file,
 * with their defaults and stated ranges.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { NsError } from '../../src/errors.ts';
import { tempDir } from '../helpers/settings.ts';

const cwd = path.join(os.tmpdir(), 'nightshift-config-serving');
const load = (env: Record<string, string>) => loadSettings({ env, cwd });

const refused = (env: Record<string, string>, message: string | RegExp) =>
  assert.throws(
    () => load(env),
    (error: unknown) => {
      assert.ok(error instanceof NsError, String(error));
      assert.equal(error.code, 'NS_CONFIG_INVALID');
      if (typeof message === 'string') assert.equal(error.message, message);
      else assert.match(error.message, message);
      return true;
    },
  );

describe('serving and ingest settings', () => {
  it('defaults: a 256 MiB model cache, 100,000 samples of history, 1 h of ingest skew', () => {
    const s = load({});
    assert.equal(s.modelCacheMb, 256);
    assert.equal(s.historyCacheSamples, 100_000);
    assert.equal(s.ingestMaxSkewMs, 3_600_000);
  });

  it('from env', () => {
    const s = load({ NIGHTSHIFT_MODEL_CACHE_MB: '64', NIGHTSHIFT_HISTORY_CACHE_SAMPLES: '0', NIGHTSHIFT_INGEST_MAX_SKEW: '5m' });
    assert.equal(s.modelCacheMb, 64);
    assert.equal(s.historyCacheSamples, 0);
    assert.equal(s.ingestMaxSkewMs, 300_000);
    assert.equal(load({ NIGHTSHIFT_INGEST_MAX_SKEW: '0s' }).ingestMaxSkewMs, 0, 'no skew at all is allowed');
  });

  it('out of range or unreadable values name the variable, the range and an example', () => {
    refused({ NIGHTSHIFT_MODEL_CACHE_MB: '0' }, 'NIGHTSHIFT_MODEL_CACHE_MB="0": must be a whole number from 1 to 1048576; example "256"');
    refused({ NIGHTSHIFT_MODEL_CACHE_MB: '1.5' }, 'NIGHTSHIFT_MODEL_CACHE_MB="1.5": must be a whole number from 1 to 1048576; example "256"');
    refused({ NIGHTSHIFT_HISTORY_CACHE_SAMPLES: '-1' }, 'NIGHTSHIFT_HISTORY_CACHE_SAMPLES="-1": must be a whole number from 0 to 100000000; example "100000"');
    refused({ NIGHTSHIFT_INGEST_MAX_SKEW: '400d' }, 'NIGHTSHIFT_INGEST_MAX_SKEW="400d": must be from 0s to 366d; example "1h"');
    refused({ NIGHTSHIFT_INGEST_MAX_SKEW: 'soon' }, /^NIGHTSHIFT_INGEST_MAX_SKEW="soon": cannot read "soon" \(use a number followed by ms, s, m, h or d\)/);
  });

  it('from the config file; env wins', () => {
    const file = path.join(tempDir(), 'nightshift.yaml');
    writeFileSync(file, 'modelCacheMb: 32\nhistoryCacheSamples: 5000\ningestMaxSkew: 10m\n');
    const s = loadSettings({ env: {}, cwd, configPath: file });
    assert.deepEqual([s.modelCacheMb, s.historyCacheSamples, s.ingestMaxSkewMs], [32, 5_000, 600_000]);
    assert.equal(loadSettings({ env: { NIGHTSHIFT_MODEL_CACHE_MB: '8' }, cwd, configPath: file }).modelCacheMb, 8);
    writeFileSync(file, 'modelCacheMb: 0\n');
    assert.throws(() => loadSettings({ env: {}, cwd, configPath: file }), /modelCacheMb.*must be a whole number from 1 to 1048576/);
  });
});
