/**
 * The API key or token the viewer signed in with: kept in sessionStorage (gone when the tab
 * closes, never in a cookie or localStorage) and sent as `Authorization: Bearer`. With auth off
 * the server ignores it, so the dashboard works without one.
 */
const KEY = 'nightshift.token';

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function writeToken(token: string | null): void {
  if (token) sessionStorage.setItem(KEY, token);
  else sessionStorage.removeItem(KEY);
}
