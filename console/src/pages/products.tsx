/** A seller's products: create and edit the draft (a form for the common fields and the whole definition as JSON), preview a quote, submit a release application. */
import { useMemo, useState } from 'preact/hooks';
import { api, ApiFailure, ok, type Schemas } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, FieldError, Json, Show, Time, short } from '../ui/bits';
import { go, href, route } from '../router';
import { ListingFiles } from './listing-files';
import { SpecsForm, priceProblems, type Spec as SpecDraft } from './spec-form';

type Product = Schemas['ProductView'];
type Definition = Record<string, unknown>;

/** A small valid definition to start from: one monthly/yearly specification with two SKUs. */
export function starterDefinition(lifecyclePlugin: string): Definition {
  return {
    name: 'My product',
    version: 'V1.0',
    description: 'What the product does, for whom, and how it is delivered.',
    supervised: false,
    'lifecycle-plugin': lifecyclePlugin,
    'plugin-config': {},
    specifications: [
      {
        id: 'standard',
        name: 'Standard',
        'billing-modes': ['monthly', 'yearly'],
        attributes: [{ name: 'edition', values: ['basic', 'pro'] }],
        quantity: { name: 'users', unit: 'user', min: 1, max: 100, step: 1 },
        skus: [
          { id: 'basic', values: { edition: 'basic' }, prices: { monthly: '10.00', yearly: '100.00' } },
          { id: 'pro', values: { edition: 'pro' }, prices: { monthly: '25.00', yearly: '250.00' } },
        ],
      },
    ],
    currency: 'USD',
  };
}

export function Products() {
  const id = route.value.args[0];
  if (id === 'new') return <Editor />;
  if (id) return <ProductPage id={id} />;
  return <ProductList />;
}

function ProductList() {
  const list = useLoad(() => ok(api.GET('/v1/products', { params: { query: { limit: 100 } } })), []);
  return (
    <section>
      <h1>Products</h1>
      <p>
        <a class="button" href={href('products', ['new'])}>
          New product
        </a>
      </p>
      <Show l={list}>
        {(data) =>
          data.products.length === 0 ? (
            <Empty>No product yet.</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>product</th>
                  <th>status</th>
                  <th>live version</th>
                  <th>updated</th>
                </tr>
              </thead>
              <tbody>
                {data.products.map((p) => (
                  <tr key={p.id} data-product={p.id}>
                    <td>
                      <a href={href('products', [p.id])}>{String((p.draft as Definition | null)?.name ?? (p.live as Definition | null)?.name ?? p.id)}</a>
                    </td>
                    <td>
                      <span class={`badge ${p.status}`}>{p.status}</span>
                    </td>
                    <td>{p.live ? `v${p.version}` : '—'}</td>
                    <td>
                      <Time ms={p['updated-at']} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </section>
  );
}

const BASICS: { key: string; label: string; long?: boolean }[] = [
  { key: 'name', label: 'Name' },
  { key: 'version', label: 'Version (like V1.0)' },
  { key: 'overview', label: 'Overview' },
  { key: 'description', label: 'Description', long: true },
  { key: 'support', label: 'Support' },
  { key: 'currency', label: 'Currency' },
];

/** The draft editor: a form for the common fields, the whole definition as JSON; errors at their field. */
function Editor({ product }: { product?: Product }) {
  const plugins = useLoad(() => ok(api.GET('/v1/plugins', { params: { query: { limit: 500 } } })), []);
  const lifecycle = plugins.data?.plugins.filter((p) => p.worlds.includes('lifecycle')) ?? [];
  const initial = useMemo(
    () => (product?.draft as Definition | undefined) ?? (product?.live as Definition | undefined) ?? starterDefinition(''),
    [product],
  );
  const [def, setDef] = useState<Definition>(initial);
  const [json, setJson] = useState(false);
  const [text, setText] = useState('');
  const [textError, setTextError] = useState<string>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const failure = error instanceof ApiFailure ? error : undefined;
  const current = (): Definition | undefined => {
    if (!json) return def;
    try {
      const d = JSON.parse(text) as Definition;
      setTextError(undefined);
      return d;
    } catch (e) {
      setTextError((e as Error).message);
      return undefined;
    }
  };
  const toggle = () => {
    if (json) {
      const d = current();
      if (!d) return;
      setDef(d);
    } else {
      setText(JSON.stringify(def, null, 2));
    }
    setJson(!json);
  };
  const save = async (e: Event) => {
    e.preventDefault();
    const current_ = current();
    if (!current_) return;
    setDef(current_);
    const prices = priceProblems((current_.specifications as SpecDraft[] | undefined) ?? []);
    if (prices.size > 0) {
      // The problems also show at their fields in the form.
      setError(new Error(`${prices.size} value${prices.size > 1 ? 's are' : ' is'} not valid (see its field): ${[...prices.keys()].join(', ')}`));
      return;
    }
    // The host names the listing files itself, from their uploads.
    const { logo: _logo, eula: _eula, ...d } = current_;
    setBusy(true);
    setError(undefined);
    try {
      if (product) {
        await ok(api.PUT('/v1/products/{id}/draft', { params: { path: { id: product.id } }, body: d as never }));
        go('products', [product.id], { saved: String(Date.now()) });
      } else {
        const p = await ok(api.POST('/v1/products', { body: d as never }));
        go('products', [p.id]);
      }
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const chosen = String(def['lifecycle-plugin'] ?? '');
  return (
    <form class="panel" aria-label="Product definition" onSubmit={save}>
      <h2>{product ? 'Edit the draft' : 'New product'}</h2>
      <label class="check">
        <input type="checkbox" checked={json} onChange={toggle} /> JSON view
      </label>
      {json ? (
        <div class="field">
          <label for="definition">Definition</label>
          <textarea id="definition" rows={24} spellcheck={false} value={text} onInput={(e) => setText(e.currentTarget.value)} />
          <FieldError message={textError} />
        </div>
      ) : (
        <>
          {BASICS.map((b) => {
            const id = `product-${b.key}`;
            const msg = failure?.at(b.key);
            const props = {
              id,
              value: String(def[b.key] ?? ''),
              'aria-invalid': msg ? true : undefined,
              onInput: (e: Event) => setDef({ ...def, [b.key]: (e.currentTarget as HTMLInputElement).value }),
            };
            return (
              <div class="field" key={b.key}>
                <label for={id}>{b.label}</label>
                {b.long ? <textarea rows={4} {...props} /> : <input {...props} />}
                <FieldError message={msg} />
              </div>
            );
          })}
          <div class="field">
            <label for="product-lifecycle">Lifecycle plugin</label>
            <select id="product-lifecycle" value={chosen} onChange={(e) => setDef({ ...def, 'lifecycle-plugin': e.currentTarget.value })}>
              <option value="">—</option>
              {chosen && !lifecycle.some((p) => p.sha256 === chosen) && <option value={chosen}>{short(chosen)}</option>}
              {lifecycle.map((p) => (
                <option key={p.sha256} value={p.sha256}>
                  {p.name} v{p.version} — {short(p.sha256)}
                </option>
              ))}
            </select>
            <FieldError message={failure?.at('lifecycle-plugin')} />
          </div>
          <SpecsForm
            specs={(def.specifications as SpecDraft[] | undefined) ?? []}
            onChange={(specifications) => setDef({ ...def, specifications })}
            failure={failure}
          />
          <p class="muted">The JSON view edits the same definition, with any field the form does not show.</p>
        </>
      )}
      <ErrorNote error={error} />
      <button type="submit" disabled={busy}>
        {product ? 'Save the draft' : 'Create the product'}
      </button>
    </form>
  );
}

function ProductPage({ id }: { id: string }) {
  const saved = route.value.query.get('saved');
  const p = useLoad(() => ok(api.GET('/v1/products/{id}', { params: { path: { id } } })), [id, saved]);
  const [editing, setEditing] = useState(false);
  return (
    <section>
      <p>
        <a href={href('products')}>← Products</a>
      </p>
      <Show l={p}>
        {(product) => {
          const draft = (product.draft ?? product.live) as Definition | null;
          return (
            <>
              <h1>
                {String(draft?.name ?? product.id)} <span class={`badge ${product.status}`}>{product.status}</span>
              </h1>
              <p class="muted">
                <code>{product.id}</code>
                {product.live && <> — live version {product.version}</>}
              </p>
              {editing ? (
                <Editor product={product} />
              ) : (
                <button type="button" onClick={() => setEditing(true)}>
                  Edit the draft
                </button>
              )}
              <ListingFiles
                product={product.id}
                logo={(product.draft as { logo?: never } | null)?.logo}
                eula={(product.draft as { eula?: never } | null)?.eula}
                onChange={p.reload}
              />
              {draft && <QuotePreview product={product.id} def={draft} />}
              <Release product={product.id} />
              <h2>Draft</h2>
              <Json value={product.draft} label="draft" />
            </>
          );
        }}
      </Show>
    </section>
  );
}

interface Spec {
  id: string;
  'billing-modes': string[];
  skus: { id: string }[];
}

function QuotePreview({ product, def }: { product: string; def: Definition }) {
  const specs = (def.specifications as Spec[] | undefined) ?? [];
  const [spec, setSpec] = useState(specs[0]?.id ?? '');
  const s = specs.find((x) => x.id === spec) ?? specs[0];
  const [sku, setSku] = useState(s?.skus[0]?.id ?? '');
  const [mode, setMode] = useState(s?.['billing-modes'][0] ?? '');
  const [periods, setPeriods] = useState('1');
  const [quantity, setQuantity] = useState('1');
  const [quote, setQuote] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  if (!s) return null;
  const run = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      setQuote(
        await ok(
          api.POST('/v1/quotes', {
            body: { product, specification: s.id, sku, 'billing-mode': mode, periods: Number(periods), quantity: Number(quantity) } as never,
          }),
        ),
      );
    } catch (err) {
      setError(err);
      setQuote(undefined);
    }
  };
  const failure = error instanceof ApiFailure ? error : undefined;
  return (
    <form class="panel" aria-label="Quote preview" onSubmit={run}>
      <h2>Quote preview</h2>
      <div class="row">
        <div class="field">
          <label for="q-spec">Specification</label>
          <select id="q-spec" value={s.id} onChange={(e) => setSpec(e.currentTarget.value)}>
            {specs.map((x) => (
              <option key={x.id}>{x.id}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="q-sku">SKU</label>
          <select id="q-sku" value={sku} onChange={(e) => setSku(e.currentTarget.value)}>
            {s.skus.map((x) => (
              <option key={x.id}>{x.id}</option>
            ))}
          </select>
          <FieldError message={failure?.at('sku')} />
        </div>
        <div class="field">
          <label for="q-mode">Billing mode</label>
          <select id="q-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
            {s['billing-modes'].map((x) => (
              <option key={x}>{x}</option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="q-periods">Periods</label>
          <input id="q-periods" type="number" min={1} value={periods} onInput={(e) => setPeriods(e.currentTarget.value)} />
          <FieldError message={failure?.at('periods')} />
        </div>
        <div class="field">
          <label for="q-quantity">Quantity</label>
          <input id="q-quantity" value={quantity} onInput={(e) => setQuantity(e.currentTarget.value)} />
          <FieldError message={failure?.at('quantity')} />
        </div>
      </div>
      <button type="submit">Quote</button>
      <ErrorNote error={error} />
      {quote !== undefined && <QuoteTable quote={quote} />}
    </form>
  );
}

interface Quote {
  quote: { currency: string; lines: { item: string; quantity: string; 'unit-price': string; amount: string }[]; total: string; 'priced-by'?: string };
}

export function QuoteTable({ quote }: { quote: unknown }) {
  const q = (quote as Quote).quote;
  return (
    <table class="quote" data-testid="quote">
      <thead>
        <tr>
          <th>item</th>
          <th>quantity</th>
          <th>unit price</th>
          <th>amount</th>
        </tr>
      </thead>
      <tbody>
        {q.lines.map((l, i) => (
          <tr key={i}>
            <td>{l.item}</td>
            <td>{l.quantity}</td>
            <td>{l['unit-price']}</td>
            <td>{l.amount}</td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th colSpan={3}>total ({q.currency})</th>
          <th data-testid="quote-total">{q.total}</th>
        </tr>
      </tfoot>
    </table>
  );
}

function Release({ product }: { product: string }) {
  const apps = useLoad(() => ok(api.GET('/v1/release-applications', { params: { query: { limit: 100 } } })), [product]);
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const submit = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await ok(api.POST('/v1/products/{id}/release-applications', { params: { path: { id: product } } }));
      apps.reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="panel">
      <h2>Release</h2>
      <button type="button" disabled={busy} onClick={submit}>
        Submit a release application
      </button>
      <ErrorNote error={error} />
      <Show l={apps}>
        {(data) => {
          const mine = data.applications.filter((a) => a['product-id'] === product);
          return mine.length === 0 ? (
            <Empty>No application yet.</Empty>
          ) : (
            <ul class="applications">
              {mine.map((a) => (
                <li key={a.id} data-application={a.id}>
                  <code>{a.id}</code> <span class={`badge ${a.state}`}>{a.state}</span> submitted <Time ms={a['submitted-at']} />
                  {a.review && (
                    <span>
                      {' '}
                      — {a.review.blockers} blocker(s), {a.review['failing-cases']} failing case(s)
                    </span>
                  )}
                  {a.reason && <span> — {a.reason}</span>}
                </li>
              ))}
            </ul>
          );
        }}
      </Show>
    </div>
  );
}
