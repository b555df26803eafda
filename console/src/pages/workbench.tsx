/**
 * The debug workbench: pick a plugin version, world and function; fill the
 * form generated from the function's WIT parameter types (or edit the raw
 * JSON); set logical time, seed, config and budget; run, and read output,
 * logs, fuel, duration, key-value writes and the transcript of host calls.
 * A call can be repeated exactly (same time and seed) or saved as a case.
 */
import { useMemo, useState } from 'preact/hooks';
import wit from 'virtual:wit';
import { api, ApiFailure, ok, type Schemas } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, Json, Show, short } from '../ui/bits';
import { go, href, route } from '../router';
import { WitField } from '../wit/form';
import { exampleInput } from '../wit/example';
import { validate } from '../wit/validate';
import type { WitFunction } from '../wit/types';
import { Transcript } from './transcript';
import { parse, stringify } from '../api/json';

type PluginView = Schemas['PluginView'];
type CallView = Schemas['DebugCallView'];

/** The WIT signature of `world.fn`, when the contract the console was built with has it. */
export function signature(world: string, fn: string): WitFunction | undefined {
  return wit.interfaces[world]?.functions[fn];
}

export function Workbench() {
  const plugins = useLoad(() => ok(api.GET('/v1/plugins', { params: { query: { limit: 500 } } })), []);
  return (
    <section>
      <h1>Debug workbench</h1>
      <Show l={plugins}>
        {(data) =>
          data.plugins.length === 0 ? (
            <Empty>
              No plugin to call yet: <a href={href('plugins')}>upload one</a>.
            </Empty>
          ) : (
            <Bench plugins={data.plugins} />
          )
        }
      </Show>
    </section>
  );
}

function Bench({ plugins }: { plugins: PluginView[] }) {
  const q = route.value.query;
  const plugin = plugins.find((p) => p.sha256 === q.get('plugin')) ?? plugins[0];
  const fn = plugin.functions.find((f) => f.world === q.get('world') && f.name === q.get('fn')) ?? plugin.functions[0];
  const choose = (sha: string, world?: string, name?: string) => go('workbench', [], { plugin: sha, world, fn: name });
  return (
    <>
      <div class="row">
        <div class="field">
          <label for="pick-plugin">Plugin version</label>
          <select id="pick-plugin" value={plugin.sha256} onChange={(e) => choose(e.currentTarget.value)}>
            {plugins.map((p) => (
              <option key={p.sha256} value={p.sha256}>
                {p.name ?? 'preloaded'} {p.version !== undefined ? `v${p.version}` : ''} — {short(p.sha256)}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="pick-function">World and function</label>
          <select
            id="pick-function"
            value={fn ? `${fn.world}.${fn.name}` : ''}
            onChange={(e) => {
              const [world, name] = e.currentTarget.value.split('.');
              choose(plugin.sha256, world, name);
            }}
          >
            {plugin.functions.map((f) => (
              <option key={`${f.world}.${f.name}`} value={`${f.world}.${f.name}`}>
                {f.world}.{f.name}
              </option>
            ))}
          </select>
        </div>
      </div>
      {fn ? (
        <CallForm key={`${plugin.sha256}/${fn.world}/${fn.name}`} sha={plugin.sha256} world={fn.world} fn={fn.name} params={fn.params} />
      ) : (
        <Empty>This version exports no function.</Empty>
      )}
    </>
  );
}

interface Settings {
  nowMs: string;
  seed: string;
  config: string;
  fuel: string;
  timeoutMs: string;
  memoryBytes: string;
  commit: boolean;
  save: boolean;
  name: string;
}

/** `key=value` lines → a config object; a line without `=` is an error at `config`. */
function parseConfig(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf('=');
    if (at < 1) throw new Error(`"${line}" is not key=value`);
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

const num = (s: string) => (s.trim() === '' ? undefined : Number(s));

function CallForm({ sha, world, fn, params }: { sha: string; world: string; fn: string; params: string[] }) {
  const sig = signature(world, fn);
  const initial = useMemo(() => (sig ? exampleInput(sig.params) : Object.fromEntries(params.map((p) => [p, null]))), [sig, params]);
  const [input, setInput] = useState<Record<string, unknown>>(initial);
  const [raw, setRaw] = useState(!sig);
  const [rawText, setRawText] = useState(stringify(initial, 2));
  const [rawError, setRawError] = useState<string>();
  const [s, setS] = useState<Settings>({ nowMs: '', seed: '', config: '', fuel: '', timeoutMs: '', memoryBytes: '', commit: false, save: false, name: '' });
  const [result, setResult] = useState<CallView>();
  const [failed, setFailed] = useState<ApiFailure | Error>();
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState<Schemas['CaseSummary']>();
  // A call that kept its writes cannot be repeated as it was: the repeat sees them.
  const [lastCommitted, setLastCommitted] = useState(false);

  /** Switching views carries the value across: the form's into the text, the text's back into the form. */
  const toggleRaw = (on: boolean) => {
    if (on) {
      setRawText(stringify(input, 2));
      setRaw(true);
      return;
    }
    try {
      setInput(parse(rawText) as Record<string, unknown>);
      setRawError(undefined);
      setRaw(false);
    } catch (e) {
      setRawError((e as Error).message);
    }
  };

  const local = useMemo(() => {
    const m = new Map<string, string>();
    if (sig) for (const p of sig.params) for (const pr of validate(p.type, input[p.name], p.name)) if (!m.has(pr.path)) m.set(pr.path, pr.message);
    return m;
  }, [sig, input]);
  const problems = useMemo(() => {
    const m = new Map(local);
    if (failed instanceof ApiFailure && failed.field) m.set(failed.field, failed.message);
    return m;
  }, [local, failed]);

  const set = (k: keyof Settings) => (e: Event) => {
    const el = e.currentTarget as HTMLInputElement;
    setS({ ...s, [k]: el.type === 'checkbox' ? el.checked : el.value });
  };

  const run = async (opts: { save?: boolean; exact?: CallView } = {}) => {
    let body: Record<string, unknown>;
    try {
      let value = input;
      if (raw) {
        value = parse(rawText) as Record<string, unknown>;
        setInput(value);
      }
      setRawError(undefined);
      const budget = Object.fromEntries(
        Object.entries({ fuel: num(s.fuel), 'timeout-ms': num(s.timeoutMs), 'memory-bytes': num(s.memoryBytes) }).filter(([, v]) => v !== undefined),
      );
      const nowMs = opts.exact ? opts.exact['now-ms'] : num(s.nowMs);
      const seed = opts.exact ? opts.exact.seed : s.seed.trim() === '' ? undefined : BigInt(s.seed.trim());
      body = {
        world,
        function: fn,
        input: value,
        config: parseConfig(s.config),
        budget,
        commit: s.commit,
        ...(nowMs !== undefined ? { 'now-ms': nowMs } : {}),
        ...(seed !== undefined ? { seed } : {}),
        ...(opts.save || s.save ? { save: true } : {}),
        ...((opts.save || s.save) && s.name.trim() ? { name: s.name.trim() } : {}),
      };
    } catch (e) {
      setRawError((e as Error).message);
      return;
    }
    setBusy(true);
    setFailed(undefined);
    try {
      const r = await ok(api.POST('/v1/plugins/{sha256}/calls', { params: { path: { sha256: sha } }, body: body as never }));
      setResult(r);
      if (opts.save || s.save) setSaved(r.case ?? undefined);
      setLastCommitted(s.commit);
      if (opts.exact) setS((x) => ({ ...x, nowMs: String(r['now-ms']), seed: String(r.seed) }));
    } catch (e) {
      setFailed(e as Error);
      setResult(undefined);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="bench">
      <form
        class="panel"
        aria-label="Call"
        // The service checks the input against the WIT and says where it is
        // wrong; the browser's own checks would stop the call first.
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
      >
        <h2>
          {world}.{fn}
        </h2>
        {sig?.docs && <p class="muted">{sig.docs}</p>}
        <div class="toggle">
          <label class="check">
            <input type="checkbox" checked={raw} disabled={!sig} onChange={(e) => toggleRaw(e.currentTarget.checked)} />
            Raw JSON
          </label>
          {sig && (
            <button type="button" class="small" onClick={() => setInput(exampleInput(sig.params))}>
              Reset to the example
            </button>
          )}
        </div>
        {raw ? (
          <div class="field">
            <label for="raw-input">Input (an object keyed by parameter name)</label>
            <textarea id="raw-input" rows={16} spellcheck={false} value={rawText} onInput={(e) => setRawText(e.currentTarget.value)} />
            {rawError && (
              <span class="field-error" role="alert">
                {rawError}
              </span>
            )}
          </div>
        ) : (
          sig?.params.map((p) => (
            <WitField
              key={p.name}
              type={p.type}
              value={input[p.name]}
              onChange={(v) => setInput({ ...input, [p.name]: v })}
              path={p.name}
              label={p.name}
              problems={problems}
            />
          ))
        )}
        <details class="settings" open={Boolean(s.nowMs || s.seed)}>
          <summary>Time, seed, config, budget</summary>
          <div class="row">
            <div class="field">
              <label for="now-ms">Logical time (now-ms)</label>
              <input id="now-ms" type="number" value={s.nowMs} placeholder="the service clock" onInput={set('nowMs')} />
            </div>
            <div class="field">
              <label for="seed">Seed</label>
              <input id="seed" type="number" min={0} value={s.seed} placeholder="a fresh one" onInput={set('seed')} />
            </div>
          </div>
          <div class="field">
            <label for="config">Config (key=value per line)</label>
            <textarea id="config" rows={3} value={s.config} onInput={set('config')} />
          </div>
          <div class="row">
            <div class="field">
              <label for="fuel">Fuel</label>
              <input id="fuel" type="number" min={1} value={s.fuel} placeholder="the host's" onInput={set('fuel')} />
            </div>
            <div class="field">
              <label for="timeout-ms">Timeout (ms)</label>
              <input id="timeout-ms" type="number" min={1} value={s.timeoutMs} placeholder="the host's" onInput={set('timeoutMs')} />
            </div>
            <div class="field">
              <label for="memory-bytes">Memory (bytes)</label>
              <input id="memory-bytes" type="number" min={1} value={s.memoryBytes} placeholder="the host's" onInput={set('memoryBytes')} />
            </div>
          </div>
          <label class="check">
            <input type="checkbox" checked={s.commit} onChange={set('commit')} /> Keep its key-value writes for the next debug call
          </label>
          <label class="check">
            <input type="checkbox" checked={s.save} onChange={set('save')} /> Save the call as a case when it succeeds
          </label>
        </details>
        {local.size > 0 && !raw && (
          <p class="field-error" role="alert">
            {local.size} field{local.size > 1 ? 's' : ''} to fix before the call can pass.
          </p>
        )}
        <div class="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Running…' : 'Run'}
          </button>
          <button type="button" disabled={busy || !result} onClick={() => result && run({ exact: result })}>
            Repeat exactly
          </button>
          <span class="field inline">
            <label for="case-name">Case name</label>
            <input id="case-name" value={s.name} onInput={set('name')} placeholder="optional" />
          </span>
          <button
            type="button"
            disabled={busy || !result || lastCommitted}
            title={lastCommitted ? 'it kept its writes, so a repeat would see them: run it again with "Save the call as a case" ticked' : undefined}
            onClick={() => result && run({ save: true, exact: result })}
          >
            Save as case
          </button>
        </div>
        {saved && (
          <p class="ok" role="status">
            Saved as case <a href={href('cases', [saved.id])}>{saved.id}</a> ({saved.scenario}).
          </p>
        )}
      </form>
      <div class="panel result" aria-live="polite">
        <h2>Result</h2>
        {!result && !failed && <Empty>Run the call to see its output, logs and host calls.</Empty>}
        {failed && <Failure error={failed} />}
        {result && <Outcome r={result} />}
      </div>
    </div>
  );
}

function Failure({ error }: { error: ApiFailure | Error }) {
  if (!(error instanceof ApiFailure) || error.code !== 'call-failed') return <ErrorNote error={error} />;
  const detail = (error.detail ?? {}) as { error?: { kind?: string }; logs?: unknown[]; transcript?: unknown[]; 'fuel-used'?: number; 'duration-us'?: number };
  return (
    <div class="failure" data-testid="call-failed">
      <p class="error" role="alert">
        The call failed: <strong class="kind">{detail.error?.kind ?? 'unknown'}</strong> — {error.message}
        {error.field && (
          <>
            {' '}
            at <code>{error.field}</code>
          </>
        )}
      </p>
      <Stats fuel={detail['fuel-used']} us={detail['duration-us']} />
      {detail.error && <Json value={detail.error} label="failure" />}
      {detail.logs && <Logs logs={detail.logs as Log[]} />}
      {detail.transcript && <Transcript calls={detail.transcript as Record<string, unknown>[]} />}
    </div>
  );
}

interface Log {
  level: string;
  message: string;
}

function Stats({ fuel, us, now, seed }: { fuel?: number; us?: number; now?: number; seed?: number | bigint }) {
  return (
    <dl class="stats">
      {fuel !== undefined && (
        <>
          <dt>fuel</dt>
          <dd data-testid="fuel">{fuel.toLocaleString('en')}</dd>
        </>
      )}
      {us !== undefined && (
        <>
          <dt>duration</dt>
          <dd>{(us / 1000).toFixed(2)} ms</dd>
        </>
      )}
      {now !== undefined && (
        <>
          <dt>now-ms</dt>
          <dd>{now}</dd>
        </>
      )}
      {seed !== undefined && (
        <>
          <dt>seed</dt>
          <dd data-testid="seed">{String(seed)}</dd>
        </>
      )}
    </dl>
  );
}

function Logs({ logs }: { logs: Log[] }) {
  return (
    <>
      <h3>Logs</h3>
      {logs.length === 0 ? (
        <Empty>No log line.</Empty>
      ) : (
        <ol class="logs">
          {logs.map((l, i) => (
            <li key={i} class={`log ${l.level}`}>
              <span class="level">{l.level}</span> {l.message}
            </li>
          ))}
        </ol>
      )}
    </>
  );
}

/** A result's `{"err": ...}`: the plugin's own refusal, not a failed call. */
const isErr = (v: unknown) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.keys(v).length === 1 && 'err' in v;

function Outcome({ r }: { r: CallView }) {
  return (
    <div data-testid="call-result">
      <Stats fuel={r['fuel-used']} us={r['duration-us']} now={r['now-ms']} seed={r.seed} />
      <h3>Output</h3>
      {isErr(r.output) && (
        <p class="warn-note" role="status">
          The function answered an error: <strong>{Object.keys((r.output as { err: object }).err ?? {})[0] ?? 'err'}</strong>. The call itself
          succeeded (a case saved from it replays this answer).
        </p>
      )}
      <Json value={r.output} label="output" />
      <Logs logs={r.logs as unknown as Log[]} />
      <h3>Key-value writes</h3>
      {r['kv-writes'].length === 0 ? <Empty>None.</Empty> : <Json value={r['kv-writes']} label="kv writes" />}
      <Transcript calls={r.transcript as Record<string, unknown>[]} />
    </div>
  );
}
