/** Sign in with an account token; the token is kept for this tab only. */
import { useState } from 'preact/hooks';
import { api, failure } from '../api/client';
import { endedBecause, signIn, type Account } from '../session';
import { ErrorNote } from '../ui/bits';

export function SignIn({ error }: { error?: unknown }) {
  const [value, setValue] = useState('');
  const [problem, setProblem] = useState<unknown>(error);
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setProblem(undefined);
    const t = value.trim();
    const { data, error, response } = await api.GET('/v1/me', { headers: { Authorization: `Bearer ${t}` } });
    setBusy(false);
    if (!response.ok || !data) {
      setProblem(failure(response.status, error));
      return;
    }
    signIn(t, data.account as unknown as Account);
  };
  return (
    <main class="signin">
      <h1>Bazaar console</h1>
      <form onSubmit={submit}>
        <label for="token">Account token</label>
        <input
          id="token"
          type="password"
          autoComplete="off"
          placeholder="bz_..."
          value={value}
          onInput={(e) => setValue(e.currentTarget.value)}
          required
        />
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        <p class="muted">
          The token is kept in this tab's session storage only; sign out or close the tab to forget it. The first
          operator token is printed once when the service first starts.
        </p>
        {endedBecause.value && !problem && (
          <p class="warn-note" role="status">
            {endedBecause.value}
          </p>
        )}
        <ErrorNote error={problem} />
      </form>
    </main>
  );
}
