/**
 * A part of the dashboard loaded on demand (a chunk of the bundle: the charts with uPlot), so the
 * pages that draw no chart neither fetch nor parse it on their first view. The import starts at
 * the first render that asks for it (in parallel with the page's API calls, not after them) and
 * is shared by every later render; a failed import is retried at the next mount.
 */
import { useEffect, useState } from 'preact/hooks';

interface Entry {
  promise: Promise<unknown>;
  module: unknown;
}

const entries = new Map<() => Promise<unknown>, Entry>();

function start(load: () => Promise<unknown>): Entry {
  let entry = entries.get(load);
  if (!entry) {
    const fresh: Entry = { promise: Promise.resolve(), module: null };
    fresh.promise = load().then(
      (m) => (fresh.module = m),
      (error: unknown) => {
        entries.delete(load);
        throw error;
      },
    );
    entries.set(load, fresh);
    entry = fresh;
  }
  return entry;
}

export function useModule<T>(load: () => Promise<T>): { module: T | null; error: Error | null } {
  const entry = start(load);
  const [state, setState] = useState<{ module: T | null; error: Error | null }>({ module: entry.module as T | null, error: null });
  useEffect(() => {
    if (state.module) return;
    let live = true;
    entry.promise.then(
      (m) => live && setState({ module: m as T, error: null }),
      (error: Error) => live && setState({ module: null, error }),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [load]);
  return state;
}
