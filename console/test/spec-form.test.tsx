import { describe, expect, it, vi } from 'vitest';
import { render } from 'preact-render-to-string';
import { isValidElement, type ComponentChildren, type VNode } from 'preact';
import type { Spec } from '../src/pages/spec-form';

// The client reads the session and the page's origin as it loads.
vi.stubGlobal('sessionStorage', { getItem: () => null, setItem: () => {}, removeItem: () => {} });
vi.stubGlobal('location', { origin: 'http://127.0.0.1:8080', hash: '' });
const { ApiFailure } = await import('../src/api/client');
const { SpecsForm, priceProblems } = await import('../src/pages/spec-form');
const { toTiers, toUnit } = await import('../src/pages/spec-prices');

/** The metered specification of tests/tests/api/billing.rs, with packages, a trial and a limit. */
const metered = (): Spec => ({
  id: 'metered',
  name: 'Metered',
  'billing-modes': ['pay-per-use'],
  'pricing-model': 'tiered',
  'billing-cycle': 'hourly',
  skus: [{ id: 'calls', prices: { 'pay-per-use': [{ 'up-to': '3', 'unit-price': '0.30' }, { 'unit-price': '0.20' }] } }],
  packages: [{ id: 'm10', name: '10 minutes a month', 'billing-item': 'calls', quota: '10', period: 'monthly', reset: true, price: '5.00' }],
  trial: { days: 7 },
  'purchase-limit': { 'once-per-customer': true },
});

const standard = (): Spec => ({
  id: 'standard',
  name: 'Standard',
  'billing-modes': ['monthly', 'yearly'],
  attributes: [{ name: 'edition', values: ['basic', 'pro'] }],
  quantity: { name: 'users', unit: 'user', min: 1, max: 100, step: 1 },
  skus: [
    { id: 'basic', values: { edition: 'basic' }, prices: { monthly: '10.00', yearly: '100.00' } },
    { id: 'pro', values: { edition: 'pro' }, prices: { monthly: '25.00', yearly: '250.00' } },
  ],
});

/** Expands the (hook-free) form components into plain elements, to find a control and call its handler. */
function expand(node: ComponentChildren): VNode[] {
  if (Array.isArray(node)) return node.flatMap(expand);
  if (!isValidElement(node)) return [];
  if (typeof node.type === 'function') return expand((node.type as (p: unknown) => ComponentChildren)(node.props));
  const props = node.props as { children?: ComponentChildren };
  return [node, ...expand(props.children)];
}

/** Renders the form for `specs`, fires `handler` on the element with `id`, returns what the form passed on. */
function edit(specs: Spec[], pick: (el: VNode) => boolean, handler: string, target: Record<string, unknown> = {}): Spec[] {
  let out: Spec[] | undefined;
  const els = expand(<SpecsForm specs={specs} onChange={(s) => (out = s)} />);
  const el = els.find(pick);
  if (!el) throw new Error('no such control');
  (el.props as Record<string, (e: unknown) => void>)[handler]({ currentTarget: target });
  if (!out) throw new Error('no change');
  return out;
}
const byId = (id: string) => (el: VNode) => (el.props as { id?: string }).id === id;
const byText = (text: string) => (el: VNode) => el.type === 'button' && render(el).includes(text);

describe('the specification form', () => {
  it('shows every part of a specification with labelled inputs', () => {
    const html = render(<SpecsForm specs={[standard(), metered()]} onChange={() => {}} />);
    for (const label of ['Attribute 1 name', 'Quantity unit', 'Pricing model', 'Billing cycle (pay-per-use)', 'Tier 1 up to', 'Tier 2 unit price', 'Package 1 quota', 'Package 1 resets every period', 'Trial days', 'Once per customer', 'Upgradable to another SKU'])
      expect(html).toContain(label);
    expect(html).toContain('value="0.30"');
    expect(html).toMatch(/<select id="f-specifications-0-skus-1-values-edition"[^>]*>.*<option selected value="pro"/);
    expect(html).toContain('id="spec-0-sku-0-monthly"');
    // Every input has a label pointing at it.
    const ids = [...html.matchAll(/<(?:input|select)[^>]* id="([^"]+)"/g)].map((m) => m[1]);
    expect(ids.length).toBeGreaterThan(30);
    for (const id of ids) expect(html).toContain(`for="${id}"`);
  });

  it('shows API refusals at their field, tiers and packages included', () => {
    const failure = new ApiFailure(422, 'invalid', 'invalid definition', undefined, [
      { field: 'specifications[0].skus[0].prices.pay-per-use[1].up-to', message: 'tiers must ascend' },
      { field: 'specifications[0].packages[0].billing-item', message: 'not a SKU of the specification' },
      { field: 'specifications[0].trial.days', message: 'must be at least 1' },
      { field: 'specifications[0].purchase-limit.max-quantity', message: 'must be at least 1' },
    ]);
    const html = render(<SpecsForm specs={[metered()]} onChange={() => {}} failure={failure} />);
    expect(html).toMatch(/id="spec-0-sku-0-pay-per-use-1-up-to"[^>]*aria-invalid="true"/);
    expect(html).toContain('tiers must ascend');
    expect(html).toMatch(/data-path="specifications\[0\]\.packages\[0\]\.billing-item".*not a SKU of the specification/);
    expect(html).toMatch(/id="f-specifications-0-trial-days"[^>]*aria-invalid="true"/);
    expect(html).toMatch(/id="f-specifications-0-purchase-limit-max-quantity"[^>]*aria-invalid="true"/);
  });

  it('checks decimals locally: prices, tier bounds and package quotas', () => {
    const s = metered();
    (s.skus[0].prices['pay-per-use'] as { 'unit-price': string }[])[1]['unit-price'] = 'cheap';
    s.packages![0].quota = 'ten';
    const p = priceProblems([standard(), s]);
    expect([...p.keys()]).toEqual(['specifications[1].skus[0].prices.pay-per-use[1].unit-price', 'specifications[1].packages[0].quota']);
    expect(render(<SpecsForm specs={[s]} onChange={() => {}} />)).toMatch(/id="spec-0-sku-0-pay-per-use-1-unit-price"[^>]*aria-invalid="true"/);
  });

  it('edits the same object the JSON view shows', () => {
    // A trial, then its days.
    let specs = edit([standard()], byId('f-specifications-0-trial'), 'onChange', { checked: true });
    expect(specs[0].trial).toEqual({ days: 7 });
    specs = edit(specs, byId('f-specifications-0-trial-days'), 'onInput', { value: '14' });
    expect(specs[0].trial).toEqual({ days: 14 });
    // Switching the trial off removes the key: the JSON has no `"trial": null`.
    specs = edit(specs, byId('f-specifications-0-trial'), 'onChange', { checked: false });
    expect(JSON.stringify(specs[0])).not.toContain('trial');
    // Untouched fields stay as they were.
    expect(specs[0].quantity).toEqual(standard().quantity);
  });

  it('turns a unit price into tiers and back, under a tiered model', () => {
    let specs = edit([standard()], byId('f-specifications-0-pricing-model'), 'onChange', { value: 'volume' });
    expect(specs[0]['pricing-model']).toBe('volume');
    specs = edit(specs, byText('Use tiers for SKU 1 monthly price'), 'onClick');
    expect(specs[0].skus[0].prices.monthly).toEqual([{ 'unit-price': '10.00' }]);
    specs = edit(specs, byText('Add a tier to SKU 1 monthly price'), 'onClick');
    expect(specs[0].skus[0].prices.monthly).toEqual([{ 'up-to': '', 'unit-price': '10.00' }, { 'unit-price': '10.00' }]);
    specs = edit(specs, byId('spec-0-sku-0-monthly-0-up-to'), 'onInput', { value: '5' });
    specs = edit(specs, byId('spec-0-sku-0-monthly-1-unit-price'), 'onInput', { value: '8.00' });
    expect(specs[0].skus[0].prices.monthly).toEqual([{ 'up-to': '5', 'unit-price': '10.00' }, { 'unit-price': '8.00' }]);
    specs = edit(specs, byText('Use one price for SKU 1 monthly price'), 'onClick');
    expect(specs[0].skus[0].prices.monthly).toBe('10.00');
    expect(toTiers('1.00')).toEqual([{ 'unit-price': '1.00' }]);
    expect(toUnit([{ 'up-to': '3', 'unit-price': '0.30' }])).toBe('0.30');
  });

  it('adds, edits and removes packages, quantity, limits and attributes', () => {
    let specs = edit([metered()], byText('Add a package'), 'onClick');
    expect(specs[0].packages![1]).toMatchObject({ 'billing-item': 'calls', period: 'monthly' });
    specs = edit(specs, byId('f-specifications-0-packages-1-stop-before-excess'), 'onChange', { checked: true });
    expect(specs[0].packages![1]['stop-before-excess']).toBe(true);
    specs = edit(specs, byText('Remove package 1'), 'onClick');
    specs = edit(specs, byText('Remove package 1'), 'onClick');
    expect('packages' in specs[0]).toBe(false);
    specs = edit(specs, byId('f-specifications-0-purchase-limit-max-quantity'), 'onInput', { value: '20' });
    expect(specs[0]['purchase-limit']).toEqual({ 'once-per-customer': true, 'max-quantity': 20 });
    specs = edit(specs, byId('f-specifications-0-quantity'), 'onChange', { checked: true });
    expect(specs[0].quantity).toMatchObject({ min: 1, step: 1 });
    specs = edit(specs, byText('Add an attribute'), 'onClick');
    specs = edit(specs, byId('f-specifications-0-attributes-0-values'), 'onInput', { value: 'small, large' });
    expect(specs[0].attributes![0].values).toEqual(['small', 'large']);
    specs = edit(specs, byId('f-specifications-0-skus-0-values-attribute-1'), 'onChange', { value: 'large' });
    expect(specs[0].skus[0].values).toEqual({ 'attribute-1': 'large' });
  });
});
