/**
 * The parts of a specification beside its SKUs: enumeration attributes, the
 * quantity attribute, the pricing model and pay-per-use cycles, the trial
 * (and who may take it), the purchase limit and upgradability. A part that is
 * not offered is left out of the definition (`trial` absent, not `null`).
 */
import { CheckField, ListField, NumberField, SelectField, TextField, without, type At } from './spec-fields';

export interface Attribute {
  name: string;
  values: string[];
}

export interface Quantity {
  name: string;
  unit: string;
  min: number;
  max: number;
  step: number;
}

export interface Limit {
  'once-per-customer'?: boolean;
  'max-quantity'?: number;
}

/** The specification fields edited here (the rest of the object is kept as it is). */
export interface SpecExtras {
  attributes?: Attribute[];
  quantity?: Quantity | null;
  trial?: { days: number } | null;
  'trial-allow-list'?: string[];
  'purchase-limit'?: Limit | null;
  upgradable?: boolean;
  'pricing-model'?: string;
  'billing-cycle'?: string;
  'accumulation-cycle'?: string;
  [k: string]: unknown;
}

export const PRICING_MODELS = ['linear', 'tiered', 'volume'] as const;
export const BILLING_CYCLES = ['hourly', 'daily'] as const;
export const ACCUMULATION_CYCLES = ['monthly'] as const;

interface Props<T> {
  spec: T;
  path: string;
  at: At;
  onChange: (s: T) => void;
}

export function AttributesForm<T extends SpecExtras>({ spec, path, at, onChange }: Props<T>) {
  const attrs = spec.attributes ?? [];
  const set = (next: Attribute[]) => onChange(without({ ...spec, attributes: next.length ? next : undefined }));
  return (
    <fieldset class="field" data-path={`${path}.attributes`}>
      <legend>Attributes</legend>
      {attrs.map((a, k) => {
        const ap = `${path}.attributes[${k}]`;
        return (
          <div class="row" key={k}>
            <TextField path={`${ap}.name`} label={`Attribute ${k + 1} name`} at={at} value={a.name} onChange={(name) => set(attrs.map((x, j) => (j === k ? { ...x, name } : x)))} />
            <ListField path={`${ap}.values`} label={`Attribute ${k + 1} values`} at={at} value={a.values} onChange={(values) => set(attrs.map((x, j) => (j === k ? { ...x, values } : x)))} />
            <button type="button" class="small" onClick={() => set(attrs.filter((_, j) => j !== k))}>
              Remove attribute {k + 1}
            </button>
          </div>
        );
      })}
      <button type="button" class="small" onClick={() => set([...attrs, { name: `attribute-${attrs.length + 1}`, values: ['a', 'b'] }])}>
        Add an attribute
      </button>
    </fieldset>
  );
}

export function QuantityForm<T extends SpecExtras>({ spec, path, at, onChange }: Props<T>) {
  const q = spec.quantity ?? undefined;
  const qp = `${path}.quantity`;
  const set = (next: Partial<Quantity>) => onChange({ ...spec, quantity: { ...(q as Quantity), ...next } });
  return (
    <fieldset class="field" data-path={qp}>
      <legend>Quantity</legend>
      <CheckField
        path={qp}
        label="Sold by quantity (otherwise exactly 1)"
        at={at}
        checked={!!q}
        onChange={(on) => onChange(without({ ...spec, quantity: on ? { name: 'users', unit: 'user', min: 1, max: 100, step: 1 } : undefined }))}
      />
      {q && (
        <div class="row">
          <TextField path={`${qp}.name`} label="Quantity name" at={at} value={q.name} onChange={(name) => set({ name })} />
          <TextField path={`${qp}.unit`} label="Quantity unit" at={at} value={q.unit} onChange={(unit) => set({ unit })} />
          <NumberField path={`${qp}.min`} label="Minimum" at={at} value={q.min} onChange={(min) => set({ min: min ?? 0 })} />
          <NumberField path={`${qp}.max`} label="Maximum" at={at} value={q.max} onChange={(max) => set({ max: max ?? 0 })} />
          <NumberField path={`${qp}.step`} label="Step" at={at} value={q.step} onChange={(step) => set({ step: step ?? 0 })} />
        </div>
      )}
    </fieldset>
  );
}

/** Pricing model; for pay-per-use, the billing cycle and the accumulation cycle. */
export function PricingForm<T extends SpecExtras>({ spec, path, at, onChange, payPerUse }: Props<T> & { payPerUse: boolean }) {
  return (
    <div class="row">
      <SelectField
        path={`${path}.pricing-model`}
        label="Pricing model"
        at={at}
        value={spec['pricing-model'] ?? 'linear'}
        options={PRICING_MODELS}
        onChange={(m) => onChange(without({ ...spec, 'pricing-model': m === 'linear' && spec['pricing-model'] === undefined ? undefined : m }))}
      />
      {(payPerUse || spec['billing-cycle'] !== undefined) && (
        <SelectField
          path={`${path}.billing-cycle`}
          label="Billing cycle (pay-per-use)"
          at={at}
          value={spec['billing-cycle']}
          options={BILLING_CYCLES}
          none="default (daily)"
          onChange={(c) => onChange(without({ ...spec, 'billing-cycle': c }))}
        />
      )}
      {(payPerUse || spec['accumulation-cycle'] !== undefined) && (
        <SelectField
          path={`${path}.accumulation-cycle`}
          label="Accumulation cycle (tiers over)"
          at={at}
          value={spec['accumulation-cycle']}
          options={ACCUMULATION_CYCLES}
          none="each billing cycle"
          onChange={(c) => onChange(without({ ...spec, 'accumulation-cycle': c }))}
        />
      )}
    </div>
  );
}

/** The trial, its allow-list, the purchase limit and upgradability. */
export function TermsForm<T extends SpecExtras>({ spec, path, at, onChange }: Props<T>) {
  const trial = spec.trial ?? undefined;
  const limit = spec['purchase-limit'] ?? undefined;
  const lp = `${path}.purchase-limit`;
  const setLimit = (next: Limit) => onChange({ ...spec, 'purchase-limit': without({ ...limit, ...next }) });
  return (
    <fieldset class="field" data-path={`${path}.trial`}>
      <legend>Trial and limits</legend>
      <div class="row">
        <CheckField path={`${path}.trial`} label="Offer a trial" at={at} checked={!!trial} onChange={(on) => onChange(without({ ...spec, trial: on ? { days: 7 } : undefined }))} />
        {trial && <NumberField path={`${path}.trial.days`} label="Trial days" min={1} at={at} value={trial.days} onChange={(days) => onChange({ ...spec, trial: { days: days ?? 0 } })} />}
      </div>
      {trial && (
        <ListField
          path={`${path}.trial-allow-list`}
          label="Trial allowed to customers (empty: anyone)"
          at={at}
          value={spec['trial-allow-list'] ?? []}
          onChange={(list) => onChange(without({ ...spec, 'trial-allow-list': list.length ? list : undefined }))}
        />
      )}
      <div class="row">
        <CheckField
          path={lp}
          label="Limit purchases"
          at={at}
          checked={!!limit}
          onChange={(on) => onChange(without({ ...spec, 'purchase-limit': on ? { 'once-per-customer': true } : undefined }))}
        />
        {limit && (
          <>
            <CheckField path={`${lp}.once-per-customer`} label="Once per customer" at={at} checked={!!limit['once-per-customer']} onChange={(v) => setLimit({ 'once-per-customer': v })} />
            <NumberField path={`${lp}.max-quantity`} label="Maximum quantity per purchase" min={1} at={at} value={limit['max-quantity']} onChange={(v) => setLimit({ 'max-quantity': v })} />
          </>
        )}
      </div>
      <CheckField path={`${path}.upgradable`} label="Upgradable to another SKU" at={at} checked={!!spec.upgradable} onChange={(v) => onChange(without({ ...spec, upgradable: v || undefined }))} />
    </fieldset>
  );
}
