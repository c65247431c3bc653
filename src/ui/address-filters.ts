/**
 * A list page's filters kept in the address (#/alerts?status=open): the back button walks them and
 * a link shares them. `key` changes when any filter does, which resets the page's cursors.
 */
import { navigate, type Route } from './router.ts';

export function addressFilters<K extends string>(route: Route, page: string, keys: readonly K[]) {
  const values = Object.fromEntries(keys.map((k) => [k, route.query.get(k) ?? ''])) as Record<K, string>;
  return {
    values,
    key: keys.map((k) => values[k]).join('|'),
    set: (k: K, v: string) => navigate([page], { ...values, [k]: v }),
  };
}

/** A datetime-local value (the viewer's zone) → an ISO instant. */
export const localToIso = (local: string): string => (local ? new Date(local).toISOString() : '');

/** An ISO instant → a datetime-local value in the viewer's zone. */
export function isoToLocal(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}
