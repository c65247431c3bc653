// The modules the build compiles to their own flat dist/<name>.js: main, and every entry that
// src/entries.ts names (the workers and child processes the service starts). src/entries.ts is
// the one list: a new worker or child entry goes there, and the build picks it up from there
// (read as text, because Node 20 cannot import TypeScript without a loader).
import { readFileSync } from 'node:fs';

const root = new URL('..', import.meta.url).pathname;

/** { name: 'src/<path>.ts' } for main and every entry in src/entries.ts's ENTRIES. */
export function buildEntries() {
  const text = readFileSync(`${root}src/entries.ts`, 'utf8');
  const body = /export const ENTRIES = \{([^}]*)\}/.exec(text)?.[1];
  if (!body) throw new Error('scripts/entries.mjs: no `export const ENTRIES = { … }` in src/entries.ts');
  const entries = { main: 'src/main.ts' };
  for (const [, name, path] of body.matchAll(/^\s*'?([\w-]+)'?\s*:\s*'([^']+)'/gm)) entries[name] = `src/${path}.ts`;
  if (Object.keys(entries).length < 2) throw new Error('scripts/entries.mjs: ENTRIES in src/entries.ts names no entry');
  return entries;
}
