/** Saved cases: list them, replay one or all (against the recorded version or another), and read a failing replay's diff side by side. */
import { useState } from 'preact/hooks';
import { api, ok, sendBytes, type Schemas } from '../api/client';
import { token } from '../session';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, Json, Show, Time, short } from '../ui/bits';
import { go, href, route } from '../router';
import { Transcript } from './transcript';

type Summary = Schemas['CaseSummary'];
type Replay = Schemas['ReplayView'];

export function Cases() {
  const id = route.value.args[0];
  return id ? <CaseDetail id={id} /> : <CaseList />;
}

function replay(id: string, plugin?: string): Promise<Replay> {
  return ok(api.POST('/v1/cases/{id}/replay', { params: { path: { id } }, body: plugin ? { plugin } : {} }));
}

function CaseList() {
  const plugin = route.value.query.get('plugin') ?? undefined;
  const cases = useLoad(() => ok(api.GET('/v1/cases', { params: { query: { plugin, limit: 500 } } })), [plugin]);
  const [results, setResults] = useState<Record<string, Replay | Error>>({});
  const [busy, setBusy] = useState(false);
  const all = async (list: Summary[]) => {
    setBusy(true);
    const out: Record<string, Replay | Error> = {};
    for (const c of list) {
      out[c.id] = await replay(c.id).catch((e: Error) => e);
      setResults({ ...out });
    }
    setBusy(false);
  };
  return (
    <section>
      <h1>Cases</h1>
      {plugin && (
        <p>
          Cases of <code>{short(plugin)}</code> — <a href={href('cases')}>all cases</a>
        </p>
      )}
      <CaseFiles plugin={plugin} onImported={cases.reload} />
      <Show l={cases}>
        {(data) =>
          data.cases.length === 0 ? (
            <Empty>
              No case saved yet: run a call in the <a href={href('workbench')}>workbench</a> and save it.
            </Empty>
          ) : (
            <>
              <button type="button" disabled={busy} onClick={() => all(data.cases)}>
                {busy ? 'Replaying…' : `Replay all ${data.cases.length}`}
              </button>
              <table>
                <thead>
                  <tr>
                    <th>case</th>
                    <th>scenario</th>
                    <th>function</th>
                    <th>plugin</th>
                    <th>saved</th>
                    <th>replay</th>
                  </tr>
                </thead>
                <tbody>
                  {data.cases.map((c) => {
                    const r = results[c.id];
                    return (
                      <tr key={c.id} data-case={c.id}>
                        <td>
                          <a href={href('cases', [c.id])}>{c.name ?? c.id}</a>
                        </td>
                        <td>{c.scenario}</td>
                        <td>
                          {c.world}.{c.function}
                        </td>
                        <td>
                          <code>{short(c.plugin)}</code>
                        </td>
                        <td>
                          <Time ms={c['created-at']} />
                        </td>
                        <td>{r === undefined ? '' : r instanceof Error ? <ErrorNote error={r} /> : <Verdict r={r} />}</td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </>
          )
        }
      </Show>
    </section>
  );
}

/** Case files (`bazaar-cases/1`): export the list for `bazaar case replay`, import one. */
function CaseFiles({ plugin, onImported }: { plugin?: string; onImported: () => void }) {
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<string>();
  const exportFile = async () => {
    setError(undefined);
    const res = await fetch(`/v1/cases/export${plugin ? `?plugin=${plugin}` : ''}`, { headers: { Authorization: `Bearer ${token.value}` } });
    if (!res.ok) {
      setError(new Error(`export failed: ${res.status}`));
      return;
    }
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = 'cases.json';
    a.click();
    URL.revokeObjectURL(url);
  };
  const importFile = async (file: File) => {
    setError(undefined);
    setDone(undefined);
    try {
      const r = (await sendBytes('POST', '/v1/cases/import', file, 'application/json')) as { imported: number; existing: number };
      setDone(`Imported ${r.imported} case(s); ${r.existing} were already saved.`);
      onImported();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <div class="panel row">
      <button type="button" class="small" onClick={exportFile}>
        Export {plugin ? 'these' : 'all'} cases
      </button>
      <div class="field inline">
        <label for="import-cases">Import a case file</label>
        <input id="import-cases" type="file" accept=".json,application/json" onChange={(e) => e.currentTarget.files?.[0] && importFile(e.currentTarget.files[0])} />
      </div>
      {done && (
        <p class="ok" role="status">
          {done}
        </p>
      )}
      <ErrorNote error={error} />
    </div>
  );
}

function Verdict({ r }: { r: Replay }) {
  return <span class={`verdict ${r.result}`}>{r.result === 'pass' ? 'pass' : 'FAIL'}</span>;
}

function CaseDetail({ id }: { id: string }) {
  const c = useLoad(() => ok(api.GET('/v1/cases/{id}', { params: { path: { id } } })), [id]);
  const plugins = useLoad(() => ok(api.GET('/v1/plugins', { params: { query: { limit: 500 } } })), []);
  const [against, setAgainst] = useState('');
  const [result, setResult] = useState<Replay>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const run = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setResult(await replay(id, against || undefined));
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const remove = async () => {
    if (!confirm(`Delete case ${id}?`)) return;
    try {
      await ok(api.DELETE('/v1/cases/{id}', { params: { path: { id } } }));
      go('cases');
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section>
      <p>
        <a href={href('cases')}>← Cases</a>
      </p>
      <Show l={c}>
        {(k) => (
          <>
            <h1>
              {k.name ?? k.id} <span class="badge">{k.scenario}</span>
            </h1>
            <dl class="stats">
              <dt>function</dt>
              <dd>
                {k.world}.{k.function}
              </dd>
              <dt>plugin</dt>
              <dd>
                <code>{k.plugin}</code>
              </dd>
              <dt>now-ms</dt>
              <dd>{k['now-ms']}</dd>
              <dt>seed</dt>
              <dd>{k.seed}</dd>
            </dl>
            <div class="panel row">
              <div class="field">
                <label for="replay-against">Replay against</label>
                <select id="replay-against" value={against} onChange={(e) => setAgainst(e.currentTarget.value)}>
                  <option value="">the recorded version ({short(k.plugin)})</option>
                  {plugins.data?.plugins
                    .filter((p) => p.sha256 !== k.plugin && (p.worlds as string[]).includes(k.world))
                    .map((p) => (
                      <option key={p.sha256} value={p.sha256}>
                        {p.name ?? 'preloaded'} {p.version !== undefined ? `v${p.version}` : ''} — {short(p.sha256)}
                      </option>
                    ))}
                </select>
              </div>
              <button type="button" disabled={busy} onClick={run}>
                {busy ? 'Replaying…' : 'Replay'}
              </button>
              <button type="button" class="danger" onClick={remove}>
                Delete
              </button>
            </div>
            <ErrorNote error={error} />
            {result && <ReplayResult r={result} expected={k.expected} transcript={k.transcript as Record<string, unknown>[]} />}
            <div class="cols">
              <div>
                <h2>Input</h2>
                <Json value={k.input} label="input" />
              </div>
              <div>
                <h2>Expected output</h2>
                <Json value={k.expected} label="expected" />
              </div>
            </div>
            {Object.keys(k.config).length > 0 && (
              <>
                <h2>Config</h2>
                <Json value={k.config} />
              </>
            )}
            <Transcript calls={k.transcript as Record<string, unknown>[]} />
          </>
        )}
      </Show>
    </section>
  );
}

interface Diff {
  kind: 'output' | 'host-call' | 'call-failed';
  path?: string;
  index?: number;
  expected?: unknown;
  actual?: unknown;
  error?: unknown;
}

function ReplayResult({ r, expected, transcript }: { r: Replay; expected: unknown; transcript: Record<string, unknown>[] }) {
  const diff = r.diff as Diff | undefined;
  return (
    <div class={`panel replay ${r.result}`} data-testid="replay-result">
      <p role="status">
        Replay against <code>{short(r.plugin)}</code>: <Verdict r={r} /> ({r['fuel-used'].toLocaleString('en')} fuel)
      </p>
      {diff && (
        <div class="diff" data-testid="diff">
          {diff.kind === 'output' && (
            <p>
              The output differs at <code>{diff.path || '(the whole output)'}</code>.
            </p>
          )}
          {diff.kind === 'host-call' && (
            <p>
              Host call <strong>#{diff.index}</strong> differs from the recording.
            </p>
          )}
          {diff.kind === 'call-failed' ? (
            <>
              <p class="error">The call failed on replay.</p>
              <Json value={diff.error} />
            </>
          ) : (
            <div class="cols">
              <div>
                <h3>Expected</h3>
                <Json value={diff.expected} label="diff expected" />
              </div>
              <div>
                <h3>Actual</h3>
                {diff.actual === null && diff.kind === 'host-call' ? (
                  <p class="muted" aria-label="diff actual">
                    No such call: the plugin returned without making it.
                  </p>
                ) : (
                  <Json value={diff.actual} label="diff actual" />
                )}
              </div>
            </div>
          )}
          {diff.kind === 'output' && (
            <details>
              <summary>The whole expected output</summary>
              <Json value={expected} />
            </details>
          )}
          {diff.kind === 'host-call' && <Transcript calls={transcript} highlight={diff.index} />}
        </div>
      )}
    </div>
  );
}
