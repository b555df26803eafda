/** Plugin versions: upload by drag and drop (or a file picker), and every version's worlds, functions, limits and sha256. */
import { useState } from 'preact/hooks';
import { api, ok, sendBytes, type Schemas } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, Json, Show, Time } from '../ui/bits';
import { href } from '../router';

type PluginView = Schemas['PluginView'];

export function Plugins() {
  const list = useLoad(() => ok(api.GET('/v1/plugins', { params: { query: { limit: 100 } } })), []);
  return (
    <section>
      <h1>Plugins</h1>
      <Upload onUploaded={list.reload} />
      <h2>Versions</h2>
      <Show l={list}>
        {(data) =>
          data.plugins.length === 0 ? (
            <Empty>No plugin uploaded yet: drop a component above.</Empty>
          ) : (
            <div class="cards">
              {data.plugins.map((p) => (
                <PluginCard key={p.sha256} p={p} />
              ))}
            </div>
          )
        }
      </Show>
    </section>
  );
}

function Upload({ onUploaded }: { onUploaded: () => void }) {
  const [name, setName] = useState('');
  const [over, setOver] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState<PluginView>();
  const send = async (file: File) => {
    const n = name.trim() || file.name.replace(/\.wasm$/, '');
    setBusy(true);
    setError(undefined);
    setDone(undefined);
    try {
      const p = (await sendBytes('POST', `/v1/plugins?name=${encodeURIComponent(n)}`, file, 'application/wasm')) as PluginView;
      setDone(p);
      onUploaded();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="panel">
      <div class="field">
        <label for="plugin-name">Plugin name</label>
        <input
          id="plugin-name"
          value={name}
          placeholder="from the file name when empty"
          onInput={(e) => setName(e.currentTarget.value)}
        />
        <small class="hint">A new upload under the same name is its next version; its previous version's cases are replayed against it.</small>
      </div>
      <label
        class={`drop ${over ? 'over' : ''}`}
        data-testid="dropzone"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          const f = e.dataTransfer?.files[0];
          if (f) void send(f);
        }}
      >
        {busy ? 'Uploading and compiling…' : 'Drop a .wasm component here, or choose one'}
        <input
          type="file"
          accept=".wasm,application/wasm"
          aria-label="Choose a component"
          onChange={(e) => {
            const f = e.currentTarget.files?.[0];
            if (f) void send(f);
            e.currentTarget.value = '';
          }}
        />
      </label>
      <ErrorNote error={error} />
      {done && (
        <div class={done.cases?.regressions.length ? 'warn-note' : 'ok'} role="status">
          Uploaded <strong>{done.name}</strong> version {done.version} (<code>{done.sha256}</code>)
          {done.cases && (
            <>
              <p>
                Version {done.cases.previous.version}'s cases replayed against it: {done.cases.passed} of {done.cases.replayed} passed
                {done.cases.carried.length > 0 && ` and were carried over`}
                {done.cases.regressions.length > 0 && `; ${done.cases.regressions.length} regressed`}.
              </p>
              {done.cases.regressions.length > 0 && (
                <ul class="regressions">
                  {done.cases.regressions.map((r) => (
                    <li key={r.case}>
                      <a href={href('cases', [r.case])}>{r.case}</a> ({r.scenario}): <span class="verdict fail">FAIL</span>
                      {r.diff && <Json value={r.diff} />}
                    </li>
                  ))}
                </ul>
              )}
            </>
          )}
        </div>
      )}
    </div>
  );
}

function PluginCard({ p }: { p: PluginView }) {
  return (
    <article class="card" data-sha={p.sha256}>
      <h3>
        {p.name ?? 'preloaded'} {p.version !== undefined && <span class="badge">v{p.version}</span>}
      </h3>
      <dl>
        <dt>sha256</dt>
        <dd>
          <code class="sha">{p.sha256}</code>
        </dd>
        <dt>worlds</dt>
        <dd>{p.worlds.join(', ')}</dd>
        <dt>size</dt>
        <dd>{(p.size / 1024).toFixed(0)} KiB</dd>
        <dt>WIT</dt>
        <dd>{p.wit}</dd>
        {p['uploaded-at'] !== undefined && (
          <>
            <dt>uploaded</dt>
            <dd>
              <Time ms={p['uploaded-at']} />
            </dd>
          </>
        )}
      </dl>
      <h4>Functions</h4>
      <ul class="functions">
        {p.functions.map((f) => (
          <li key={`${f.world}.${f.name}`}>
            <a href={href('workbench', [], { plugin: p.sha256, world: f.world, fn: f.name })}>
              {f.world}.{f.name}({f.params.join(', ')})
            </a>
          </li>
        ))}
      </ul>
      <p>
        <a href={href('cases', [], { plugin: p.sha256 })}>Cases of this version</a>
      </p>
      <details>
        <summary>Limits</summary>
        <Json value={p.limits} />
      </details>
    </article>
  );
}
