/** `nightshift generate`: the command on a Commander program, and the real process once it is wired into the CLI. */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';
import { Command } from 'commander';
import { addGenerateCommand } from '../../src/cli/generate-command.ts';
import type { CliIo } from '../../src/cli/commands.ts';
import { parseCsv } from '../../src/data/sources/index.ts';
import { BIN } from '../helpers/serve-process.ts';
import { tempDir } from '../helpers/settings.ts';

const run = promisify(execFile);
const END = '2026-01-01T00:00:00Z';

async function generate(args: string[], cwd = tempDir('ns-gen-')) {
  let out = '';
  let err = '';
  const io: CliIo = { out: (t) => (out += t), err: (t) => (err += t), env: {}, cwd };
  const program = new Command('nightshift').exitOverride().configureOutput({ writeOut: io.out, writeErr: io.err });
  addGenerateCommand(program, io);
  await program.parseAsync(['generate', ...args], { from: 'user' });
  return { out, err, cwd };
}

describe('generate command', () => {
  test('writes one CSV per tenant and prints counts', async () => {
    const { out, cwd } = await generate(['--tenants', '2', '--days', '3', '--machines', '2', '--seed', '5', '--end', END, '--out', 'data']);
    assert.deepEqual(readdirSync(join(cwd, 'data')).sort(), ['tenant_1.csv', 'tenant_2.csv']);
    const rows = parseCsv(readFileSync(join(cwd, 'data', 'tenant_1.csv'), 'utf8'));
    assert.equal(rows[0]!.join(','), 'tenant_id,machine_id,timestamp,model,temperature,vibration,pressure,rpm,load,voltage,fails_within_24h,rul_hours');
    assert.ok(rows.length > 100 && rows.length <= 1 + 3 * 24 * 2);
    assert.ok(rows.slice(1).every((r) => r[0] === 'tenant_1'));
    assert.match(out, /TENANT\s+MACHINES\s+ROWS/);
    assert.match(out, new RegExp(`tenant_1\\s+2\\s+${rows.length - 1}\\s`));
    assert.match(out, /wrote \d+ rows for 2 tenant\(s\), 2025-12-29T00:00:00.000Z to 2026-01-01T00:00:00.000Z, seed 5/);
  });

  test('same seed → identical files; another seed → different; NDJSON and --interval', async () => {
    const args = ['--tenants', '1', '--days', '2', '--machines', '3', '--end', END, '--out', 'x'];
    const a = await generate([...args, '--seed', '9']);
    const b = await generate([...args, '--seed', '9']);
    const c = await generate([...args, '--seed', '10']);
    const read = (cwd: string) => readFileSync(join(cwd, 'x', 'tenant_1.csv'), 'utf8');
    assert.equal(read(a.cwd), read(b.cwd));
    assert.notEqual(read(a.cwd), read(c.cwd));
    const nd = await generate(['--tenants', '1', '--days', '1', '--machines', '1', '--interval', '30m', '--format', 'ndjson', '--end', END, '--out', 'n', '--json']);
    const lines = readFileSync(join(nd.cwd, 'n', 'tenant_1.ndjson'), 'utf8').trimEnd().split('\n');
    assert.ok(lines.length > 40 && lines.length <= 48);
    const summary = JSON.parse(nd.out) as { tenants: Array<{ rows: number; failures: number }> };
    assert.equal(summary.tenants[0]!.rows, lines.length);
  });

  test('bad options are refused', async () => {
    await assert.rejects(generate(['--out', 'x', '--tenants', '0']), /must be a whole number from 1 to 1000/);
    await assert.rejects(generate(['--out', 'x', '--interval', 'soon']), /not a duration/);
    await assert.rejects(generate(['--out', 'x', '--format', 'xml']), /csv, ndjson/);
    await assert.rejects(generate(['--tenants', '1']), /--out/);
  });
});

describe('nightshift generate (real process)', () => {
  test('writes files and exits 0', { timeout: 60_000 }, async () => {
    const cwd = tempDir('ns-gen-e2e-');
    const { stdout } = await run(process.execPath, [BIN, 'generate', '--tenants', '3', '--days', '2', '--machines', '2', '--seed', '42', '--interval', '1h', '--out', join(cwd, 'out'), '--end', END], { cwd });
    assert.deepEqual(readdirSync(join(cwd, 'out')).sort(), ['tenant_1.csv', 'tenant_2.csv', 'tenant_3.csv']);
    assert.match(stdout, /wrote \d+ rows for 3 tenant\(s\)/);
  });
});
