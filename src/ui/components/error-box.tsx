import { ApiError } from '../api.ts';

/** An API error as the server wrote it, with its code; 401/403 point at the sign-in field. */
export function ErrorBox({ error }: { error: Error | null }) {
  if (!error) return null;
  const auth = error instanceof ApiError && (error.status === 401 || error.status === 403);
  return (
    <div class="error" role="alert">
      {error instanceof ApiError ? <strong>{error.code}: </strong> : null}
      {error.message}
      {auth ? ' — enter an API key or token in the sign-in field above.' : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p class="muted" role="status">
      Loading {what}…
    </p>
  );
}
