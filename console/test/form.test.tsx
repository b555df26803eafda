import { describe, expect, it } from 'vitest';
import { render } from 'preact-render-to-string';
import { WitField, fieldId } from '../src/wit/form';
import { exampleValue } from '../src/wit/example';
import { validate } from '../src/wit/validate';
import type { WitType } from '../src/wit/types';

const html = (type: WitType, value: unknown = exampleValue(type, 'x'), problems = new Map<string, string>()) =>
  render(<WitField type={type} value={value} onChange={() => {}} path="x" label="x" problems={problems} />);

const attribute: WitType = {
  kind: 'record',
  name: 'attribute',
  fields: [
    { name: 'code', docs: 'The code.', type: { kind: 'string' } },
    { name: 'value', docs: '', type: { kind: 'string', alias: 'decimal' } },
  ],
};

/** One case per kind of WIT type: the control the form shows for it. */
describe('the form generated for each WIT type', () => {
  it('bool: a checkbox', () => {
    expect(html({ kind: 'bool' }, true)).toMatch(/<input id="in-x" type="checkbox" checked/);
  });
  it('string and char: text inputs', () => {
    expect(html({ kind: 'string' }, 'hello')).toMatch(/type="text"[^>]*value="hello"/);
    expect(html({ kind: 'char' }, 'a')).toMatch(/maxlength="2"/i);
  });
  it('decimal: a text input that only takes canonical decimals', () => {
    const out = html({ kind: 'string', alias: 'decimal' }, '1');
    expect(out).toMatch(/inputmode="decimal"/i);
    expect(out).toContain('pattern="^-?\\d+(\\.\\d+)?$"');
    expect(out).toContain('decimal');
  });
  it('integers: number inputs, unsigned ones from 0; timestamps show their date', () => {
    expect(html({ kind: 'int', name: 'u32' }, 7)).toMatch(/type="number"[^>]*step="1"[^>]*min="0"[^>]*value="7"/);
    expect(html({ kind: 'int', name: 's8' }, -1)).not.toMatch(/min=/);
    expect(html({ kind: 'int', name: 's64', alias: 'timestamp' }, 1767225600000)).toContain('2026-01-01T00:00:00.000Z');
  });
  it('floats: number inputs of any step', () => {
    expect(html({ kind: 'float', name: 'f64' }, 1.5)).toMatch(/step="any"/);
  });
  it('enum: a select of its cases, the value chosen', () => {
    const out = html({ kind: 'enum', name: 'mode', cases: [{ name: 'monthly', docs: '' }, { name: 'yearly', docs: '' }] }, 'yearly');
    expect(out).toMatch(/<select id="in-x"/);
    expect(out).toMatch(/<option value="monthly"/);
    expect(out).toMatch(/<option value="yearly"[^>]*selected/);
  });
  it('record: a fieldset with a control per field, docs as hints, paths joined', () => {
    const out = html(attribute);
    expect(out).toMatch(/<fieldset[^>]*data-path="x"/);
    expect(out).toContain(`id="${fieldId('x.code')}"`);
    expect(out).toContain(`id="${fieldId('x.value')}"`);
    expect(out).toContain('The code.');
  });
  it('variant: a case picker and the payload of the chosen case only', () => {
    const change: WitType = {
      kind: 'variant',
      name: 'change',
      cases: [
        { name: 'renew', docs: '', type: { kind: 'int', name: 's64', alias: 'timestamp' } },
        { name: 'upgrade', docs: '', type: attribute },
        { name: 'unfreeze', docs: '' },
      ],
    };
    const renew = html(change, { renew: 5 });
    expect(renew).toMatch(/<option value="renew"[^>]*selected/);
    expect(renew).toContain(`id="${fieldId('x.renew')}"`);
    expect(renew).not.toContain(fieldId('x.upgrade.code'));
    const upgrade = html(change, { upgrade: exampleValue(attribute) });
    expect(upgrade).toContain(fieldId('x.upgrade.code'));
    const bare = html(change, 'unfreeze');
    expect(bare).toMatch(/<option value="unfreeze"[^>]*selected/);
    expect(bare).not.toContain(fieldId('x.unfreeze'));
  });
  it('option: a "set" toggle, and the inner control only when set', () => {
    const t: WitType = { kind: 'option', inner: { kind: 'string' } };
    expect(html(t, null)).toMatch(/id="in-x-set" type="checkbox"/);
    expect(html(t, null)).not.toMatch(/id="in-x" type="text"/);
    expect(html(t, 'some')).toMatch(/id="in-x" type="text"[^>]*value="some"/);
  });
  it('list: one control per item, remove per item and add', () => {
    const out = html({ kind: 'list', element: attribute }, [exampleValue(attribute), exampleValue(attribute)]);
    expect(out).toContain(fieldId('x[0].code'));
    expect(out).toContain(fieldId('x[1].code'));
    expect(out).toContain('Remove x[1]');
    expect(out).toContain('Add to x');
  });
  it('tuple: one control per element, no add or remove', () => {
    const out = html({ kind: 'tuple', items: [{ kind: 'int', name: 'u8' }, { kind: 'string' }] }, [1, 'a']);
    expect(out).toContain(fieldId('x[0]'));
    expect(out).toContain(fieldId('x[1]'));
    expect(out).not.toContain('Add to');
  });
  it('result: ok or err, with the payload of that side', () => {
    const t: WitType = { kind: 'result', ok: { kind: 'int', name: 'u32' }, err: { kind: 'string' } };
    expect(html(t, { ok: 3 })).toContain(fieldId('x.ok'));
    const err = html(t, { err: 'no' });
    expect(err).toMatch(/<option value="err"[^>]*selected/);
    expect(err).toContain(fieldId('x.err'));
  });
  it('flags: a checkbox per flag, the set ones checked', () => {
    const out = html({ kind: 'flags', name: 'p', flags: [{ name: 'read', docs: '' }, { name: 'write', docs: '' }] }, ['write']);
    expect(out.match(/type="checkbox"/g)).toHaveLength(2);
    expect(out).toMatch(/checked[^>]*\/?>\s*write|write/);
  });
  it('shows a problem at its field and marks the control', () => {
    const problems = new Map(validate(attribute, { code: 'c', value: 'ten' }, 'x').map((p) => [p.path, p.message]));
    const out = html(attribute, { code: 'c', value: 'ten' }, problems);
    expect(out).toContain(`id="${fieldId('x.value')}-error"`);
    expect(out).toMatch(/aria-invalid="true"/);
    expect(out).toContain('expected a decimal string');
  });
});

describe('validate', () => {
  it('finds every problem, at the paths the service uses', () => {
    const t: WitType = { kind: 'list', element: attribute };
    expect(validate(t, [{ code: 'a', value: '1' }, { code: 2, value: '1.' , extra: 1 }], 'attributes')).toEqual([
      { path: 'attributes[1].code', message: 'expected a string' },
      { path: 'attributes[1].value', message: 'expected a decimal string such as "12.50"' },
      { path: 'attributes[1].extra', message: 'unknown field' },
    ]);
    expect(validate({ kind: 'int', name: 'u8' }, 256, 'n')).toEqual([{ path: 'n', message: '256 is out of range for u8' }]);
    expect(validate({ kind: 'record', name: 'r', fields: [{ name: 'o', docs: '', type: { kind: 'option', inner: { kind: 'bool' } } }] }, {}, '')).toEqual([]);
  });
});
