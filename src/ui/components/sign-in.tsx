/** The API key or token field: kept for this tab only (sessionStorage), sent as a bearer token. */
import { useState } from 'preact/hooks';
import { readToken, writeToken } from '../auth-token.ts';

export function SignIn({ onChange }: { onChange: () => void }) {
  const [signedIn, setSignedIn] = useState(() => readToken() !== null);
  const [value, setValue] = useState('');
  const save = (e: Event) => {
    e.preventDefault();
    writeToken(value.trim() || null);
    setSignedIn(value.trim() !== '');
    setValue('');
    onChange();
  };
  const out = () => {
    writeToken(null);
    setSignedIn(false);
    onChange();
  };
  return signedIn ? (
    <div class="sign-in">
      <span>Signed in with a key</span>
      <button type="button" onClick={out}>
        Sign out
      </button>
    </div>
  ) : (
    <form class="sign-in" onSubmit={save}>
      <label for="token">API key or token</label>
      <input id="token" type="password" autoComplete="off" value={value} onInput={(e) => setValue((e.target as HTMLInputElement).value)} />
      <button type="submit">Sign in</button>
    </form>
  );
}
