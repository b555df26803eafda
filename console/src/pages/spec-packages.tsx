/**
 * A specification's usage packages: a quota of one billing item (a SKU id)
 * bought for a price per period, optionally reset every period and
 * optionally stopping the instance before any excess. Refusals show at
 * `specifications[0].packages[1].quota`.
 */
import { DECIMAL } from '../wit/validate';
import { FieldError } from '../ui/bits';
import { CheckField, SelectField, TextField, without, type At } from './spec-fields';

export interface Package {
  id: string;
  name: string;
  'billing-item': string;
  quota: string;
  period: string;
  reset?: boolean;
  price: string;
  'stop-before-excess'?: boolean;
}

const PERIODS = ['monthly', 'yearly', 'one-time', 'pay-per-use'] as const;

/** Quotas and prices that are not decimals, by path. */
export function packageProblemsAt(path: string, packages: unknown, out: Map<string, string>) {
  if (!Array.isArray(packages)) return;
  (packages as Package[]).forEach((o, k) =>
    (['quota', 'price'] as const).forEach((f) => {
      if (typeof o[f] !== 'string' || !DECIMAL.test(o[f])) out.set(`${path}[${k}].${f}`, 'expected a decimal such as "10"');
    }),
  );
}

export function PackagesForm<T extends { packages?: Package[]; skus: { id: string }[] }>({ spec, path, at, onChange }: { spec: T; path: string; at: At; onChange: (s: T) => void }) {
  const list = spec.packages ?? [];
  const pp = `${path}.packages`;
  const set = (next: Package[]) => onChange(without({ ...spec, packages: next.length ? next : undefined }));
  const setOne = (k: number, o: Package) => set(list.map((x, j) => (j === k ? o : x)));
  const items = (spec.skus ?? []).map((s) => s.id);
  return (
    <fieldset class="field" data-path={pp}>
      <legend>Usage packages</legend>
      {list.map((o, k) => {
        const op = `${pp}[${k}]`;
        const n = k + 1;
        return (
          <fieldset class="field record" key={k} data-path={op}>
            <legend>
              {o.name || o.id || `package ${n}`}{' '}
              <button type="button" class="small" onClick={() => set(list.filter((_, j) => j !== k))}>
                Remove package {n}
              </button>
            </legend>
            <FieldError message={at(op)} />
            <div class="row">
              <TextField path={`${op}.id`} label={`Package ${n} id`} at={at} value={o.id} onChange={(id) => setOne(k, { ...o, id })} />
              <TextField path={`${op}.name`} label={`Package ${n} name`} at={at} value={o.name} onChange={(name) => setOne(k, { ...o, name })} />
              <SelectField
                path={`${op}.billing-item`}
                label={`Package ${n} billing item`}
                at={at}
                value={o['billing-item']}
                options={items.includes(o['billing-item']) || !o['billing-item'] ? items : [o['billing-item'], ...items]}
                onChange={(v) => setOne(k, { ...o, 'billing-item': v ?? '' })}
              />
            </div>
            <div class="row">
              <TextField path={`${op}.quota`} label={`Package ${n} quota`} decimal at={at} value={o.quota} onChange={(quota) => setOne(k, { ...o, quota })} />
              <TextField path={`${op}.price`} label={`Package ${n} price`} decimal at={at} value={o.price} onChange={(price) => setOne(k, { ...o, price })} />
              <SelectField path={`${op}.period`} label={`Package ${n} period`} at={at} value={o.period} options={PERIODS} onChange={(period) => setOne(k, { ...o, period: period ?? 'monthly' })} />
            </div>
            <div class="row">
              <CheckField path={`${op}.reset`} label={`Package ${n} resets every period`} at={at} checked={!!o.reset} onChange={(v) => setOne(k, without({ ...o, reset: v || undefined }))} />
              <CheckField
                path={`${op}.stop-before-excess`}
                label={`Package ${n} stops before any excess`}
                at={at}
                checked={!!o['stop-before-excess']}
                onChange={(v) => setOne(k, without({ ...o, 'stop-before-excess': v || undefined }))}
              />
            </div>
          </fieldset>
        );
      })}
      <FieldError message={at(pp)} />
      <button
        type="button"
        class="small"
        onClick={() => set([...list, { id: `package-${list.length + 1}`, name: 'New package', 'billing-item': items[0] ?? '', quota: '10', period: 'monthly', reset: true, price: '5.00' }])}
      >
        Add a package
      </button>
    </fieldset>
  );
}
