/**
 * The build compiles every module the service starts as a worker thread or child process: it reads
 * them from src/entries.ts (scripts/entries.mjs), and the build the tests spawn holds each one.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { ENTRIES } from '../../src/entries.ts';
import { ensureBuilt } from '../helpers/built-bin.ts';
// @ts-expect-error: a plain .mjs build script without type declarations
import { buildEntries } from '../../scripts/entries.mjs';

test('the build entries are main plus every entry src/entries.ts names, each built as dist/<name>.js', () => {
  const entries = buildEntries() as Record<string, string>;
  assert.deepEqual(entries, { main: 'src/main.ts', ...Object.fromEntries(Object.entries(ENTRIES).map(([name, path]) => [name, `src/${path}.ts`])) });
  for (const file of Object.values(entries)) assert.ok(existsSync(join(import.meta.dirname, '..', '..', file)), `${file} exists`);
  const dist = dirname(ensureBuilt());
  for (const name of Object.keys(entries)) assert.ok(existsSync(join(dist, `${name}.js`)), `dist/${name}.js built`);
});
