/**
 * npm in this project prints no warnings: no unknown project config in .npmrc, and every
 * dependency's install script is reviewed in package.json's allowScripts (npm ≥ 11.16; npm 12
 * skips unreviewed ones). onnxruntime-node's postinstall is denied: it only downloads the CUDA
 * provider from NuGet (the CPU runtime nightshift uses ships in the package), which an offline
 * machine cannot reach. `npm ci` itself is checked by hand in a throwaway copy (see the commit).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { promisify } from 'node:util';

const ROOT = join(import.meta.dirname, '..', '..');
const exec = promisify(execFile);
// Only the variables npm needs: a developer's own npm_config_* settings stay out of the check.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
const npm = (...args: string[]) => exec('npm', args, { cwd: ROOT, env, timeout: 60_000 });

describe('npm in this project', () => {
  test('a command prints no warning (no unknown project config in .npmrc)', async () => {
    const { stdout, stderr } = await npm('pkg', 'get', 'name');
    assert.equal(stdout.trim(), '"nightshift"');
    assert.equal(stderr, '', 'npm warns about nothing');
  });

  test("every dependency's install script is covered by allowScripts; onnxruntime-node's is denied", async () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { allowScripts: Record<string, boolean> };
    assert.equal(pkg.allowScripts['onnxruntime-node'], false);
    const { stdout, stderr } = await npm('install-scripts', 'ls');
    assert.doesNotMatch(stdout, /not yet covered by allowScripts/, stdout);
    assert.equal(stderr, '');
  });
});
