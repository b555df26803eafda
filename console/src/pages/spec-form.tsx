/**
 * The specifications of a product definition as a form: id, name, billing
 * modes and each SKU's price per mode. Everything else of a specification
 * (attributes, quantity, trials, tiers, packages) is kept as it is and
 * edited in the JSON view. Refusals show at their field
 * (`specifications[0].skus[1].prices.monthly`).
 */
import { ApiFailure } from '../api/client';
import { FieldError } from '../ui/bits';
import { DECIMAL } from '../wit/validate';

const MODES = ['monthly', 'yearly', 'one-time', 'pay-per-use'] as const;

interface Sku {
  id: string;
  values?: Record<string, string>;
  prices: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Spec {
  id: string;
  name: string;
  'billing-modes': string[];
  skus: Sku[];
  [k: string]: unknown;
}

/** Prices that are not decimals, by field path: the service refuses them before it can say which one. */
export function priceProblems(specs: Spec[]): Map<string, string> {
  const out = new Map<string, string>();
  specs.forEach((spec, i) =>
    spec.skus.forEach((sku, k) =>
      Object.entries(sku.prices ?? {}).forEach(([m, price]) => {
        if (typeof price === 'string' && !DECIMAL.test(price)) out.set(`specifications[${i}].skus[${k}].prices.${m}`, 'expected a decimal such as "9.99"');
      }),
    ),
  );
  return out;
}

export function SpecsForm({ specs, onChange, failure }: { specs: Spec[]; onChange: (s: Spec[]) => void; failure?: ApiFailure }) {
  const local = priceProblems(specs);
  const at = (path: string) => local.get(path) ?? failure?.at(path);
  const set = (i: number, spec: Spec) => onChange(specs.map((s, j) => (j === i ? spec : s)));
  return (
    <fieldset class="field specs">
      <legend>Specifications</legend>
      <FieldError message={at('specifications')} />
      {specs.map((spec, i) => {
        const p = `specifications[${i}]`;
        const id = `spec-${i}`;
        return (
          <fieldset class="field record" key={i} data-path={p}>
            <legend>
              {spec.name || spec.id || `specification ${i + 1}`}{' '}
              <button type="button" class="small" onClick={() => onChange(specs.filter((_, j) => j !== i))}>
                Remove specification {i + 1}
              </button>
            </legend>
            <div class="row">
              <div class="field">
                <label for={`${id}-id`}>Specification id</label>
                <input id={`${id}-id`} value={spec.id} aria-invalid={at(`${p}.id`) ? true : undefined} onInput={(e) => set(i, { ...spec, id: e.currentTarget.value })} />
                <FieldError message={at(`${p}.id`)} />
              </div>
              <div class="field">
                <label for={`${id}-name`}>Specification name</label>
                <input id={`${id}-name`} value={spec.name} aria-invalid={at(`${p}.name`) ? true : undefined} onInput={(e) => set(i, { ...spec, name: e.currentTarget.value })} />
                <FieldError message={at(`${p}.name`)} />
              </div>
            </div>
            <fieldset class="field">
              <legend>Billing modes</legend>
              {MODES.map((m) => (
                <label class="check" key={m}>
                  <input
                    type="checkbox"
                    checked={spec['billing-modes'].includes(m)}
                    onChange={(e) => {
                      const on = e.currentTarget.checked;
                      const modes = MODES.filter((x) => (x === m ? on : spec['billing-modes'].includes(x)));
                      set(i, { ...spec, 'billing-modes': modes });
                    }}
                  />
                  {m}
                </label>
              ))}
              <FieldError message={at(`${p}.billing-modes`)} />
            </fieldset>
            <table class="skus">
              <thead>
                <tr>
                  <th>SKU</th>
                  {spec['billing-modes'].map((m) => (
                    <th key={m}>{m} price</th>
                  ))}
                  <th />
                </tr>
              </thead>
              <tbody>
                {spec.skus.map((sku, k) => {
                  const sp = `${p}.skus[${k}]`;
                  const setSku = (next: Sku) => set(i, { ...spec, skus: spec.skus.map((x, j) => (j === k ? next : x)) });
                  return (
                    <tr key={k}>
                      <td>
                        <label class="sr-only" for={`${id}-sku-${k}`}>
                          SKU {k + 1} id
                        </label>
                        <input id={`${id}-sku-${k}`} value={sku.id} onInput={(e) => setSku({ ...sku, id: e.currentTarget.value })} />
                        <FieldError message={at(`${sp}.id`) ?? at(sp)} />
                      </td>
                      {spec['billing-modes'].map((m) => {
                        const price = sku.prices?.[m];
                        const path = `${sp}.prices.${m}`;
                        return (
                          <td key={m}>
                            {typeof price === 'object' && price !== null ? (
                              <span class="muted">tiers (JSON view)</span>
                            ) : (
                              <>
                                <label class="sr-only" for={`${id}-sku-${k}-${m}`}>
                                  SKU {k + 1} {m} price
                                </label>
                                <input
                                  id={`${id}-sku-${k}-${m}`}
                                  inputMode="decimal"
                                  value={typeof price === 'string' ? price : ''}
                                  aria-invalid={at(path) ? true : undefined}
                                  onInput={(e) => setSku({ ...sku, prices: { ...sku.prices, [m]: e.currentTarget.value } })}
                                />
                              </>
                            )}
                            <FieldError message={at(path)} />
                          </td>
                        );
                      })}
                      <td>
                        <button type="button" class="small" onClick={() => set(i, { ...spec, skus: spec.skus.filter((_, j) => j !== k) })}>
                          Remove SKU {k + 1}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
            <FieldError message={at(`${p}.skus`)} />
            <button type="button" class="small" onClick={() => set(i, { ...spec, skus: [...spec.skus, { id: `sku-${spec.skus.length + 1}`, prices: {} }] })}>
              Add a SKU
            </button>
          </fieldset>
        );
      })}
      <button
        type="button"
        class="small"
        onClick={() => onChange([...specs, { id: `spec-${specs.length + 1}`, name: 'New specification', 'billing-modes': ['monthly'], skus: [{ id: 'standard', prices: { monthly: '10.00' } }] }])}
      >
        Add a specification
      </button>
    </fieldset>
  );
}
