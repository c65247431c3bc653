/**
 * NIGHTSHIFT_LOG_FORMAT (config file: logFormat): json by default, pretty (pino-pretty) for a
 * terminal; a bad value stops start-up with the variable, the value and an example.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { loadSettings } from '../../src/config/index.ts';
import { NsError } from '../../src/errors.ts';
import { createLogger } from '../../src/logger.ts';

const cwd = path.join(os.tmpdir(), 'nightshift-log-format');

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('log format setting', () => {
  it('is json unless asked; NIGHTSHIFT_LOG_FORMAT=pretty (any case) or logFormat: pretty in the file selects pretty', () => {
    assert.equal(loadSettings({ env: {}, cwd }).logFormat, 'json');
    assert.equal(loadSettings({ env: { NIGHTSHIFT_LOG_FORMAT: 'pretty' }, cwd }).logFormat, 'pretty');
    assert.equal(loadSettings({ env: { NIGHTSHIFT_LOG_FORMAT: 'JSON' }, cwd }).logFormat, 'json');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ns-log-format-'));
    writeFileSync(path.join(dir, 'nightshift.yaml'), 'logFormat: pretty\n');
    assert.equal(loadSettings({ env: {}, cwd: dir, configPath: 'nightshift.yaml' }).logFormat, 'pretty');
    assert.equal(loadSettings({ env: { NIGHTSHIFT_LOG_FORMAT: 'json' }, cwd: dir, configPath: 'nightshift.yaml' }).logFormat, 'json', 'the environment wins');
  });

  it('a bad value names the variable, the value and the choices', () => {
    assert.throws(
      () => loadSettings({ env: { NIGHTSHIFT_LOG_FORMAT: 'yaml' }, cwd }),
      (error: unknown) => error instanceof NsError && error.code === 'NS_CONFIG_INVALID' && error.message === 'NIGHTSHIFT_LOG_FORMAT="yaml": must be "json" or "pretty"; example "pretty"',
    );
  });
});

describe('createLogger', () => {
  it('json: one JSON object per line, at the given level', async () => {
    const out = sink();
    const logger = await createLogger({ level: 'info', format: 'json', destination: out.stream });
    logger.debug('hidden');
    logger.info({ runId: 'run_1' }, 'run started');
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 1);
    assert.deepEqual([JSON.parse(lines[0]!).msg, JSON.parse(lines[0]!).runId], ['run started', 'run_1']);
  });

  it('pretty: one readable line per event, with the time, the level and the fields; no JSON', async () => {
    const out = sink();
    const logger = await createLogger({ level: 'info', format: 'pretty', destination: out.stream, colorize: false });
    logger.info({ runId: 'run_1', tenantId: 'acme' }, 'run started');
    logger.warn('slot missed');
    const lines = out.text().trim().split('\n');
    assert.equal(lines.length, 2, out.text());
    assert.match(lines[0]!, /^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: run started \{.*"runId":"run_1".*\}$/);
    assert.match(lines[1]!, /WARN: slot missed/);
    assert.throws(() => JSON.parse(lines[0]!));
  });

});
