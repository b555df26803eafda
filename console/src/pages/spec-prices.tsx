/**
 * One SKU's price in one billing mode: a unit price (`"9.99"`) or, for the
 * tiered and volume pricing models, a list of tiers
 * (`[{"up-to": "3", "unit-price": "0.30"}, {"unit-price": "0.20"}]`, the last
 * without `up-to`). Refusals show at `…prices.monthly` or `…prices.monthly[1].up-to`.
 */
import { FieldError } from '../ui/bits';
import { DECIMAL } from '../wit/validate';
import { pathId, type At } from './spec-fields';

export interface Tier {
  'up-to'?: string;
  'unit-price': string;
}

export type Price = string | Tier[];

/** Problems the service would refuse, by path: prices and tier bounds that are not decimals. */
export function priceProblemsAt(path: string, price: unknown, out: Map<string, string>) {
  const bad = 'expected a decimal such as "9.99"';
  if (typeof price === 'string') {
    if (!DECIMAL.test(price)) out.set(path, bad);
  } else if (Array.isArray(price)) {
    if (price.length === 0) out.set(path, 'at least one tier');
    (price as Tier[]).forEach((t, k) => {
      if (typeof t['unit-price'] !== 'string' || !DECIMAL.test(t['unit-price'])) out.set(`${path}[${k}].unit-price`, bad);
      if (t['up-to'] !== undefined && !DECIMAL.test(t['up-to'])) out.set(`${path}[${k}].up-to`, bad);
    });
  }
}

/** Tiers from a unit price, or back: the first unit price is kept. */
export const toTiers = (price: unknown): Tier[] => (Array.isArray(price) ? price : [{ 'unit-price': typeof price === 'string' ? price : '' }]);
export const toUnit = (price: unknown): string => (Array.isArray(price) ? String((price as Tier[])[0]?.['unit-price'] ?? '') : typeof price === 'string' ? price : '');

export function PriceCell({ path, id = pathId(path), label, price, tiered, at, onChange }: { path: string; id?: string; label: string; price: unknown; tiered: boolean; at: At; onChange: (p: Price) => void }) {
  if (!Array.isArray(price)) {
    return (
      <div data-path={path}>
        <label class="sr-only" for={id}>
          {label}
        </label>
        <input id={id} inputMode="decimal" value={typeof price === 'string' ? price : ''} aria-invalid={at(path) ? true : undefined} onInput={(e) => onChange(e.currentTarget.value)} />
        <FieldError message={at(path)} />
        {tiered && (
          <button type="button" class="small" onClick={() => onChange(toTiers(price))}>
            Use tiers for {label}
          </button>
        )}
      </div>
    );
  }
  const tiers = price as Tier[];
  const setTier = (k: number, t: Tier) => onChange(tiers.map((x, j) => (j === k ? t : x)));
  return (
    <fieldset class="tiers" data-path={path}>
      <legend>{label} tiers</legend>
      {tiers.map((t, k) => {
        const tp = `${path}[${k}]`;
        const last = k === tiers.length - 1;
        return (
          <div class="row" key={k}>
            <div class="field">
              <label for={`${id}-${k}-up-to`}>Tier {k + 1} up to</label>
              <input
                id={`${id}-${k}-up-to`}
                inputMode="decimal"
                placeholder={last ? 'no limit' : ''}
                value={t['up-to'] ?? ''}
                aria-invalid={at(`${tp}.up-to`) ? true : undefined}
                onInput={(e) => {
                  const v = e.currentTarget.value.trim();
                  const { 'up-to': _old, ...rest } = t;
                  setTier(k, v === '' ? rest : { 'up-to': v, ...rest });
                }}
              />
              <FieldError message={at(`${tp}.up-to`)} />
            </div>
            <div class="field">
              <label for={`${id}-${k}-unit-price`}>Tier {k + 1} unit price</label>
              <input
                id={`${id}-${k}-unit-price`}
                inputMode="decimal"
                value={t['unit-price']}
                aria-invalid={at(`${tp}.unit-price`) ? true : undefined}
                onInput={(e) => setTier(k, { ...t, 'unit-price': e.currentTarget.value })}
              />
              <FieldError message={at(`${tp}.unit-price`) ?? at(tp)} />
            </div>
            {tiers.length > 1 && (
              <button type="button" class="small" onClick={() => onChange(tiers.filter((_, j) => j !== k))}>
                Remove tier {k + 1}
              </button>
            )}
          </div>
        );
      })}
      <FieldError message={at(path)} />
      <button
        type="button"
        class="small"
        onClick={() => {
          // The new tier goes last (no bound); the one before it gets a bound to fill in.
          const prev = tiers[tiers.length - 1];
          const head = tiers.slice(0, -1);
          onChange([...head, { 'up-to': prev?.['up-to'] ?? '', 'unit-price': prev?.['unit-price'] ?? '' }, { 'unit-price': prev?.['unit-price'] ?? '' }]);
        }}
      >
        Add a tier to {label}
      </button>{' '}
      <button type="button" class="small" onClick={() => onChange(toUnit(tiers))}>
        Use one price for {label}
      </button>
    </fieldset>
  );
}
