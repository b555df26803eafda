/** The customer's catalogue: listed products, a quote for a chosen SKU, and subscribing (paid from the balance). */
import { useState } from 'preact/hooks';
import { api, ApiFailure, ok, type Schemas } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, FieldError, Show } from '../ui/bits';
import { go, href, route } from '../router';
import { QuoteTable } from './products';

type Product = Schemas['ProductView'];

interface Spec {
  id: string;
  name?: string;
  'billing-modes': string[];
  skus: { id: string; prices?: Record<string, unknown> }[];
  quantity?: { name: string; unit?: string; min?: number; max?: number };
  trial?: { days: number } | null;
}

interface Definition {
  name?: string;
  overview?: string;
  description?: string;
  currency?: string;
  specifications?: Spec[];
}

export function Catalogue() {
  const id = route.value.args[0];
  return id ? <ProductPage id={id} /> : <List />;
}

function List() {
  const list = useLoad(() => ok(api.GET('/v1/products', { params: { query: { limit: 100 } } })), []);
  return (
    <section>
      <h1>Catalogue</h1>
      <Balance />
      <Show l={list}>
        {(data) =>
          data.products.length === 0 ? (
            <Empty>Nothing is listed yet.</Empty>
          ) : (
            <div class="cards">
              {data.products.map((p) => {
                const d = p.live as Definition;
                return (
                  <article class="card" key={p.id} data-product={p.id}>
                    <h3>
                      <a href={href('catalogue', [p.id])}>{d?.name ?? p.id}</a>
                    </h3>
                    <p>{d?.overview ?? d?.description?.slice(0, 140)}</p>
                  </article>
                );
              })}
            </div>
          )
        }
      </Show>
    </section>
  );
}

function Balance() {
  const b = useLoad(() => ok(api.GET('/v1/balance')), []);
  const [amount, setAmount] = useState('100.00');
  const [error, setError] = useState<unknown>();
  const topUp = async (e: Event) => {
    e.preventDefault();
    setError(undefined);
    try {
      await ok(api.POST('/v1/balance/top-up', { body: { amount } as never, headers: { 'Idempotency-Key': crypto.randomUUID() } }));
      b.reload();
    } catch (err) {
      setError(err);
    }
  };
  const failure = error instanceof ApiFailure ? error : undefined;
  return (
    <form class="panel row" aria-label="Balance" onSubmit={topUp}>
      <p>
        Balance: <strong data-testid="balance">{b.data?.amount ?? '…'}</strong>
      </p>
      <div class="field inline">
        <label for="top-up">Amount</label>
        <input id="top-up" value={amount} aria-invalid={failure ? true : undefined} onInput={(e) => setAmount(e.currentTarget.value)} />
        <FieldError message={failure?.message} />
      </div>
      <button type="submit">Top up</button>
    </form>
  );
}

function ProductPage({ id }: { id: string }) {
  const p = useLoad(() => ok(api.GET('/v1/products/{id}', { params: { path: { id } } })), [id]);
  return (
    <section>
      <p>
        <a href={href('catalogue')}>← Catalogue</a>
      </p>
      <Show l={p}>{(product) => <Subscribe product={product} />}</Show>
    </section>
  );
}

function Subscribe({ product }: { product: Product }) {
  const d = (product.live ?? {}) as Definition;
  const specs = d.specifications ?? [];
  const [specId, setSpec] = useState(specs[0]?.id ?? '');
  const spec = specs.find((s) => s.id === specId) ?? specs[0];
  const [sku, setSku] = useState(spec?.skus[0]?.id ?? '');
  const [mode, setMode] = useState(spec?.['billing-modes'][0] ?? '');
  const [periods, setPeriods] = useState('1');
  const [quantity, setQuantity] = useState(String(spec?.quantity?.min ?? 1));
  const [trial, setTrial] = useState(false);
  const [quote, setQuote] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  if (!spec) return <Empty>This product has no specification.</Empty>;
  const body = () => ({
    product: product.id,
    specification: spec.id,
    sku,
    'billing-mode': mode,
    ...(mode === 'monthly' || mode === 'yearly' ? { periods: Number(periods) } : {}),
    ...(spec.quantity ? { quantity: Number(quantity) } : {}),
    ...(trial ? { trial: true } : {}),
  });
  const price = async () => {
    setError(undefined);
    try {
      setQuote(await ok(api.POST('/v1/quotes', { body: body() as never })));
    } catch (e) {
      setError(e);
      setQuote(undefined);
    }
  };
  const order = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await ok(api.POST('/v1/orders', { body: body() as never, headers: { 'Idempotency-Key': crypto.randomUUID() } }));
      go('instances');
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const failure = error instanceof ApiFailure ? error : undefined;
  return (
    <>
      <h1>{d.name ?? product.id}</h1>
      <p>{d.overview}</p>
      <details>
        <summary>Description</summary>
        <p class="prose">{d.description}</p>
      </details>
      <form
        class="panel"
        aria-label="Subscribe"
        onSubmit={(e) => {
          e.preventDefault();
          void order();
        }}
      >
        <div class="row">
          <div class="field">
            <label for="c-spec">Specification</label>
            <select id="c-spec" value={spec.id} onChange={(e) => setSpec(e.currentTarget.value)}>
              {specs.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name ?? s.id}
                </option>
              ))}
            </select>
          </div>
          <div class="field">
            <label for="c-sku">SKU</label>
            <select id="c-sku" value={sku} onChange={(e) => setSku(e.currentTarget.value)}>
              {spec.skus.map((s) => (
                <option key={s.id}>{s.id}</option>
              ))}
            </select>
            <FieldError message={failure?.at('sku')} />
          </div>
          <div class="field">
            <label for="c-mode">Billing</label>
            <select id="c-mode" value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
              {spec['billing-modes'].map((m) => (
                <option key={m}>{m}</option>
              ))}
            </select>
          </div>
          {(mode === 'monthly' || mode === 'yearly') && (
            <div class="field">
              <label for="c-periods">Periods</label>
              <input id="c-periods" type="number" min={1} value={periods} onInput={(e) => setPeriods(e.currentTarget.value)} />
              <FieldError message={failure?.at('periods')} />
            </div>
          )}
          {spec.quantity && (
            <div class="field">
              <label for="c-quantity">
                {spec.quantity.name} ({spec.quantity.min}–{spec.quantity.max})
              </label>
              <input id="c-quantity" value={quantity} onInput={(e) => setQuantity(e.currentTarget.value)} />
              <FieldError message={failure?.at('quantity')} />
            </div>
          )}
          {spec.trial && (
            <label class="check">
              <input type="checkbox" checked={trial} onChange={(e) => setTrial(e.currentTarget.checked)} /> {spec.trial.days}-day trial
            </label>
          )}
        </div>
        <div class="actions">
          <button type="button" onClick={price}>
            Quote
          </button>
          <button type="submit" disabled={busy}>
            Subscribe
          </button>
        </div>
        <ErrorNote error={error} />
        {quote !== undefined && <QuoteTable quote={quote} />}
      </form>
    </>
  );
}
