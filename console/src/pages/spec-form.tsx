/**
 * The specifications of a product definition as a form: id, name, billing
 * modes, attributes, quantity, pricing model and cycles, each SKU's attribute
 * values and price per mode (a unit price or tiers), usage packages, the
 * trial, purchase limit and upgradability. The form edits the same object as
 * the JSON view; fields it does not know are kept as they are. Refusals show
 * at their field (`specifications[0].skus[1].prices.monthly`).
 */
import { ApiFailure } from '../api/client';
import { FieldError } from '../ui/bits';
import { AttributesForm, PricingForm, QuantityForm, TermsForm, type SpecExtras } from './spec-extras';
import { pathId, type At } from './spec-fields';
import { PackagesForm, packageProblemsAt, type Package } from './spec-packages';
import { PriceCell, priceProblemsAt } from './spec-prices';

const MODES = ['monthly', 'yearly', 'one-time', 'pay-per-use'] as const;

interface Sku {
  id: string;
  values?: Record<string, string>;
  prices: Record<string, unknown>;
  [k: string]: unknown;
}

export interface Spec extends SpecExtras {
  id: string;
  name: string;
  'billing-modes': string[];
  skus: Sku[];
  packages?: Package[];
}

/** Prices, tier bounds, quotas that are not decimals, by field path: the service refuses them before it can say which one. */
export function priceProblems(specs: Spec[]): Map<string, string> {
  const out = new Map<string, string>();
  specs.forEach((spec, i) => {
    (spec.skus ?? []).forEach((sku, k) =>
      Object.entries(sku.prices ?? {}).forEach(([m, price]) => priceProblemsAt(`specifications[${i}].skus[${k}].prices.${m}`, price, out)),
    );
    packageProblemsAt(`specifications[${i}].packages`, spec.packages, out);
  });
  return out;
}

export function SpecsForm({ specs, onChange, failure }: { specs: Spec[]; onChange: (s: Spec[]) => void; failure?: ApiFailure }) {
  const local = priceProblems(specs);
  const at: At = (path) => local.get(path) ?? failure?.at(path);
  const set = (i: number, spec: Spec) => onChange(specs.map((s, j) => (j === i ? spec : s)));
  return (
    <fieldset class="field specs">
      <legend>Specifications</legend>
      <FieldError message={at('specifications')} />
      {specs.map((spec, i) => (
        <SpecForm key={i} spec={spec} i={i} at={at} onChange={(s) => set(i, s)} onRemove={() => onChange(specs.filter((_, j) => j !== i))} />
      ))}
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

function SpecForm({ spec, i, at, onChange, onRemove }: { spec: Spec; i: number; at: At; onChange: (s: Spec) => void; onRemove: () => void }) {
  const p = `specifications[${i}]`;
  const id = `spec-${i}`;
  const modes = spec['billing-modes'] ?? [];
  const tiered = spec['pricing-model'] === 'tiered' || spec['pricing-model'] === 'volume';
  const attrs = spec.attributes ?? [];
  return (
    <fieldset class="field record" data-path={p}>
      <legend>
        {spec.name || spec.id || `specification ${i + 1}`}{' '}
        <button type="button" class="small" onClick={onRemove}>
          Remove specification {i + 1}
        </button>
      </legend>
      <div class="row">
        <div class="field">
          <label for={`${id}-id`}>Specification id</label>
          <input id={`${id}-id`} value={spec.id} aria-invalid={at(`${p}.id`) ? true : undefined} onInput={(e) => onChange({ ...spec, id: e.currentTarget.value })} />
          <FieldError message={at(`${p}.id`)} />
        </div>
        <div class="field">
          <label for={`${id}-name`}>Specification name</label>
          <input id={`${id}-name`} value={spec.name} aria-invalid={at(`${p}.name`) ? true : undefined} onInput={(e) => onChange({ ...spec, name: e.currentTarget.value })} />
          <FieldError message={at(`${p}.name`)} />
        </div>
      </div>
      <fieldset class="field">
        <legend>Billing modes</legend>
        {MODES.map((m) => (
          <label class="check" key={m}>
            <input
              type="checkbox"
              checked={modes.includes(m)}
              onChange={(e) => {
                const on = e.currentTarget.checked;
                onChange({ ...spec, 'billing-modes': MODES.filter((x) => (x === m ? on : modes.includes(x))) });
              }}
            />
            {m}
          </label>
        ))}
        <FieldError message={at(`${p}.billing-modes`) ?? modes.map((_, j) => at(`${p}.billing-modes[${j}]`)).find(Boolean)} />
      </fieldset>
      <PricingForm spec={spec} path={p} at={at} onChange={onChange} payPerUse={modes.includes('pay-per-use')} />
      <AttributesForm spec={spec} path={p} at={at} onChange={onChange} />
      <QuantityForm spec={spec} path={p} at={at} onChange={onChange} />
      <table class="skus">
        <thead>
          <tr>
            <th>SKU</th>
            {attrs.map((a, k) => (
              <th key={`a${k}`}>{a.name}</th>
            ))}
            {modes.map((m) => (
              <th key={m}>{m} price</th>
            ))}
            <th />
          </tr>
        </thead>
        <tbody>
          {(spec.skus ?? []).map((sku, k) => {
            const sp = `${p}.skus[${k}]`;
            const setSku = (next: Sku) => onChange({ ...spec, skus: (spec.skus ?? []).map((x, j) => (j === k ? next : x)) });
            return (
              <tr key={k}>
                <td>
                  <label class="sr-only" for={`${id}-sku-${k}`}>
                    SKU {k + 1} id
                  </label>
                  <input id={`${id}-sku-${k}`} value={sku.id} aria-invalid={at(`${sp}.id`) ? true : undefined} onInput={(e) => setSku({ ...sku, id: e.currentTarget.value })} />
                  <FieldError message={at(`${sp}.id`) ?? at(sp) ?? at(`${sp}.prices`)} />
                </td>
                {attrs.map((a, j) => {
                  const vp = `${sp}.values.${a.name}`;
                  const vid = pathId(vp);
                  const v = sku.values?.[a.name] ?? '';
                  return (
                    <td key={`a${j}`}>
                      <label class="sr-only" for={vid}>
                        SKU {k + 1} {a.name}
                      </label>
                      <select
                        id={vid}
                        value={v}
                        aria-invalid={at(vp) ? true : undefined}
                        onChange={(e) => setSku({ ...sku, values: { ...sku.values, [a.name]: e.currentTarget.value } })}
                      >
                        <option value="">—</option>
                        {(a.values.includes(v) || !v ? a.values : [v, ...a.values]).map((x) => (
                          <option key={x} value={x}>
                            {x}
                          </option>
                        ))}
                      </select>
                      <FieldError message={at(vp) ?? (j === 0 ? at(`${sp}.values`) : undefined)} />
                    </td>
                  );
                })}
                {modes.map((m) => (
                  <td key={m}>
                    <PriceCell
                      path={`${sp}.prices.${m}`}
                      id={`${id}-sku-${k}-${m}`}
                      label={`SKU ${k + 1} ${m} price`}
                      price={sku.prices?.[m]}
                      tiered={tiered}
                      at={at}
                      onChange={(price) => setSku({ ...sku, prices: { ...sku.prices, [m]: price } })}
                    />
                  </td>
                ))}
                <td>
                  <button type="button" class="small" onClick={() => onChange({ ...spec, skus: (spec.skus ?? []).filter((_, j) => j !== k) })}>
                    Remove SKU {k + 1}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <FieldError message={at(`${p}.skus`)} />
      <button type="button" class="small" onClick={() => onChange({ ...spec, skus: [...(spec.skus ?? []), { id: `sku-${(spec.skus ?? []).length + 1}`, prices: {} }] })}>
        Add a SKU
      </button>
      <PackagesForm spec={spec} path={p} at={at} onChange={onChange} />
      <TermsForm spec={spec} path={p} at={at} onChange={onChange} />
    </fieldset>
  );
}
