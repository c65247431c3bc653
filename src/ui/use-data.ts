/**
 * Loads data for a page: { data, error, loading, reload }. A newer load replaces an older one that
 * is still in flight (filters typed quickly never show stale rows). `pollMs` reloads while the
 * page is open and `poll(data)` says so (a running run's log tail).
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';

export interface Loaded<T> {
  data: T | null;
  error: Error | null;
  loading: boolean;
  reload: () => void;
}

export function useData<T>(load: () => Promise<T>, deps: unknown[], options: { pollMs?: number; poll?: (data: T) => boolean } = {}): Loaded<T> {
  const [state, setState] = useState<{ data: T | null; error: Error | null; loading: boolean }>({ data: null, error: null, loading: true });
  const seq = useRef(0);
  const run = useCallback(() => {
    const mine = ++seq.current;
    setState((s) => ({ ...s, loading: true }));
    load().then(
      (data) => mine === seq.current && setState({ data, error: null, loading: false }),
      (error: Error) => mine === seq.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    run();
    return () => {
      seq.current++;
    };
  }, [run]);
  const { pollMs, poll } = options;
  useEffect(() => {
    if (!pollMs || state.data === null || (poll && !poll(state.data))) return;
    const timer = setTimeout(run, pollMs);
    return () => clearTimeout(timer);
  }, [state.data, pollMs, run]);
  return { ...state, reload: run };
}
