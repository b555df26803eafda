/** Platform rules (operators): activate a review, pricing or settlement (tax) rule plugin, deactivate it, or roll back to an earlier version. */
import { useState } from 'preact/hooks';
import { api, ApiFailure, ok } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, FieldError, Show, Time, short } from '../ui/bits';

export function Rules() {
  const rules = useLoad(() => ok(api.GET('/v1/rules')), []);
  const plugins = useLoad(() => ok(api.GET('/v1/plugins', { params: { query: { limit: 500 } } })), []);
  const [kind, setKind] = useState('review');
  const [name, setName] = useState('listing');
  const [plugin, setPlugin] = useState('');
  const [error, setError] = useState<unknown>();
  const act = async (k: string, n: string, p: string | null) => {
    setError(undefined);
    try {
      if (p === null) await ok(api.POST('/v1/rules/{kind}/{name}/deactivate', { params: { path: { kind: k as 'review', name: n } } }));
      else await ok(api.POST('/v1/rules/{kind}/{name}/activate', { params: { path: { kind: k as 'review', name: n } }, body: { plugin: p } }));
      rules.reload();
    } catch (e) {
      setError(e);
    }
  };
  const failure = error instanceof ApiFailure ? error : undefined;
  const fitting = plugins.data?.plugins.filter((p) => p.worlds.includes(kind)) ?? [];
  return (
    <section>
      <h1>Rules</h1>
      <form
        class="panel row"
        aria-label="Activate a rule"
        onSubmit={(e) => {
          e.preventDefault();
          void act(kind, name, plugin);
        }}
      >
        <div class="field">
          <label for="rule-kind">Kind</label>
          <select id="rule-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value)}>
            <option>review</option>
            <option>pricing</option>
            <option>settlement</option>
          </select>
        </div>
        <div class="field">
          <label for="rule-name">Name</label>
          <input id="rule-name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
        </div>
        <div class="field">
          <label for="rule-plugin">Plugin version</label>
          <select id="rule-plugin" value={plugin} onChange={(e) => setPlugin(e.currentTarget.value)}>
            <option value="">—</option>
            {fitting.map((p) => (
              <option key={p.sha256} value={p.sha256}>
                {p.name ?? 'preloaded'} {p.version !== undefined ? `v${p.version}` : ''} — {short(p.sha256)}
              </option>
            ))}
          </select>
          <FieldError message={failure?.at('plugin')} />
        </div>
        <button type="submit">Activate</button>
      </form>
      <ErrorNote error={error} />
      <Show l={rules}>
        {(data) => (
          <>
            <h2>Active</h2>
            {data.active.length === 0 ? (
              <Empty>No rule is active.</Empty>
            ) : (
              <ul>
                {data.active.map((a) => (
                  <li key={a.id}>
                    <strong>
                      {a.kind}/{a.name}
                    </strong>{' '}
                    <code>{a.plugin ? short(a.plugin) : '—'}</code> since <Time ms={a['activated-at']} />{' '}
                    <button type="button" class="small" onClick={() => act(a.kind, a.name, null)}>
                      Deactivate
                    </button>
                  </li>
                ))}
              </ul>
            )}
            <h2>History</h2>
            {data.history.length === 0 ? (
              <Empty>Nothing activated yet.</Empty>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>rule</th>
                    <th>plugin</th>
                    <th>when</th>
                    <th>by</th>
                    <th />
                  </tr>
                </thead>
                <tbody>
                  {data.history.map((h) => (
                    <tr key={h.id}>
                      <td>
                        {h.kind}/{h.name}
                      </td>
                      <td>
                        <code>{h.plugin ? short(h.plugin) : 'deactivated'}</code>
                      </td>
                      <td>
                        <Time ms={h['activated-at']} />
                      </td>
                      <td>{h['activated-by']}</td>
                      <td>
                        {h.plugin && (
                          <button type="button" class="small" onClick={() => act(h.kind, h.name, h.plugin ?? null)}>
                            Roll back to this
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </>
        )}
      </Show>
    </section>
  );
}
