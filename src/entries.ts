/**
 * Modules that start as their own process or worker thread, by name. From the sources they are
 * `src/<path>.ts` (run through tsx); in the compiled build (`npm run build`, what `npm start` runs)
 * each is a flat `dist/<name>.js` next to the code that starts it. This module is the one place
 * that knows both layouts.
 */
export const ENTRIES = {
  'train-main': 'training/train-main',
  'gbdt-train-worker': 'trainers/gbdt/train-worker',
  'gbdt-team-worker': 'trainers/gbdt/team-worker',
  'linear-train-worker': 'trainers/linear/train-worker',
  launcher: 'runs/exec/launcher-main',
  'sample-window-worker': 'store/sample-window-worker',
  'outbox-thread': 'monitor/notify/outbox-thread-main',
} as const;

export type EntryName = keyof typeof ENTRIES;

const fromSources = import.meta.url.endsWith('.ts');

export function entryUrl(name: EntryName): URL {
  return fromSources ? new URL(`./${ENTRIES[name]}.ts`, import.meta.url) : new URL(`./${name}.js`, import.meta.url);
}
