/** Accounts (operators): create one and read its token, shown this once. */
import { useState } from 'preact/hooks';
import { api, ApiFailure, ok, type Schemas } from '../api/client';
import { ErrorNote, FieldError } from '../ui/bits';

export function Accounts() {
  const [role, setRole] = useState('seller');
  const [name, setName] = useState('');
  const [country, setCountry] = useState('');
  const [error, setError] = useState<unknown>();
  const [made, setMade] = useState<Schemas['AccountCreated']>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    setMade(undefined);
    try {
      setMade(await ok(api.POST('/v1/accounts', { body: { role, name, ...(country.trim() ? { country: country.trim().toUpperCase() } : {}) } as never })));
      setName('');
    } catch (err) {
      setError(err);
    }
  };
  const failure = error instanceof ApiFailure ? error : undefined;
  return (
    <section>
      <h1>Accounts</h1>
      <form class="panel row" aria-label="Create an account" onSubmit={submit}>
        <div class="field">
          <label for="account-role">Role</label>
          <select id="account-role" value={role} onChange={(e) => setRole(e.currentTarget.value)}>
            <option>seller</option>
            <option>customer</option>
            <option>operator</option>
          </select>
        </div>
        <div class="field">
          <label for="account-name">Name</label>
          <input id="account-name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
          <FieldError message={failure?.at('name')} />
        </div>
        <div class="field">
          <label for="account-country">Country (optional, e.g. DE)</label>
          <input id="account-country" value={country} maxLength={2} onInput={(e) => setCountry(e.currentTarget.value)} />
          <FieldError message={failure?.at('country')} />
        </div>
        <button type="submit">Create</button>
      </form>
      <ErrorNote error={error} />
      {made && (
        <div class="ok" role="status">
          <p>
            Created {made.account.role} <strong>{made.account.name}</strong> (<code>{made.account.id}</code>). Its token is
            shown this once — copy it now:
          </p>
          <p>
            <code class="token" data-testid="new-token">
              {made.token}
            </code>{' '}
            <button type="button" class="small" onClick={() => navigator.clipboard?.writeText(made.token)}>
              Copy
            </button>
          </p>
        </div>
      )}
    </section>
  );
}
