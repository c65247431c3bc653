import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { jobFileJson, parseJobFile, readJobFile, writeJobFile, type TrainerJobFile } from '../../src/trainers/command/index.ts';

const scratch = mkdtempSync(path.join(tmpdir(), 'ns-jobfile-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

const job: TrainerJobFile = {
  protocol: 1,
  tenantId: 'acme',
  modelName: 'failure-risk',
  task: 'binary',
  mode: 'incremental',
  params: { epochs: 50, nested: { a: [1, 2] } },
  dataFormat: 'ndjson',
  paths: {
    data: '/w/data.ndjson',
    validation: '/w/validation.ndjson',
    previousModel: '/models/v3/model.json',
    outputDir: '/w/output',
    model: '/w/output/model.json',
    metrics: '/w/output/metrics.json',
  },
  features: [
    { name: 'temperature', type: 'numeric' },
    { name: 'site', type: 'categorical', categories: ['north', 'south'] },
  ],
  label: 'failed',
  seed: 42,
};

describe('trainer job file', () => {
  it('round-trips through the file unchanged', async () => {
    const file = path.join(scratch, 'job.json');
    await writeJobFile(file, job);
    assert.deepEqual(await readJobFile(file), job);
    assert.equal(readFileSync(file, 'utf8'), jobFileJson(job));
    await assert.rejects(writeJobFile(file, job), { code: 'EEXIST' }, 'never overwrites');
  });

  it('resolves relative paths against the base directory', () => {
    const relative = { ...job, mode: 'full', paths: { data: 'data.csv', outputDir: 'out', model: 'out/m.json', metrics: 'out/metrics.json' } };
    const parsed = parseJobFile(JSON.stringify(relative), '/jobs/x');
    assert.deepEqual(parsed.paths, { data: '/jobs/x/data.csv', outputDir: '/jobs/x/out', model: '/jobs/x/out/m.json', metrics: '/jobs/x/out/metrics.json' });
  });

  it('names the field that is wrong', () => {
    const bad = (patch: Record<string, unknown>) => () => parseJobFile(JSON.stringify({ ...job, ...patch }));
    assert.throws(() => parseJobFile('{oops'), { code: 'NS_VALIDATION', message: /not valid JSON/ });
    assert.throws(bad({ protocol: 2 }), { code: 'NS_VALIDATION', field: 'protocol' });
    assert.throws(bad({ task: 'multiclass' }), { field: 'task', message: /binary, regression/ });
    assert.throws(bad({ mode: 'partial' }), { field: 'mode' });
    assert.throws(bad({ dataFormat: 'parquet' }), { field: 'dataFormat' });
    assert.throws(bad({ seed: 1.5 }), { field: 'seed' });
    assert.throws(bad({ features: [{ name: 'x', type: 'text' }] }), { field: 'features[0].type' });
    assert.throws(bad({ label: 'temperature' }), { field: 'features', message: /"temperature" appears twice/ });
    assert.throws(bad({ paths: { ...job.paths, previousModel: undefined } }), { field: 'paths.previousModel', message: /incremental/ });
    assert.throws(bad({ paths: { ...job.paths, model: '' } }), { field: 'paths.model' });
  });
});
