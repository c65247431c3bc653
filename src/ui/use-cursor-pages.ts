/** Keyset pages: the cursors of the pages behind, reset when the filter changes. */
import { useState } from 'preact/hooks';

export function useCursorPages(filterKey: string) {
  const [state, setState] = useState<{ key: string; cursors: string[] }>({ key: filterKey, cursors: [] });
  const cursors = state.key === filterKey ? state.cursors : [];
  return {
    cursor: cursors.at(-1),
    page: cursors.length,
    back: () => setState({ key: filterKey, cursors: cursors.slice(0, -1) }),
    next: (cursor: string) => setState({ key: filterKey, cursors: [...cursors, cursor] }),
  };
}
