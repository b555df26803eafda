import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseWit } from '../src/wit/parse';
import { exampleInput, exampleValue } from '../src/wit/example';
import { validate } from '../src/wit/validate';

const wit = parseWit(readFileSync(new URL('../../wit/plugin.wit', import.meta.url), 'utf8'));

describe('parseWit on wit/plugin.wit', () => {
  it('finds every plugin interface and its functions', () => {
    expect(wit.package).toMatch(/^bazaar:plugin@\d+\.\d+\.\d+$/);
    expect(Object.keys(wit.interfaces.lifecycle.functions)).toEqual([
      'create-instance',
      'query-instance',
      'update-instance',
      'release-instance',
    ]);
    expect(wit.interfaces.pricing.functions.quote.params.map((p) => p.name)).toEqual(['request']);
    expect(wit.interfaces.review.functions['check-listing']).toBeDefined();
    expect(wit.interfaces.metering.functions['collect-usage'].params.map((p) => p.name)).toEqual(['window', 'instances']);
  });

  it('resolves types used from another interface, keeping alias names and docs', () => {
    const sub = wit.interfaces.lifecycle.functions['create-instance'].params[0].type;
    expect(sub.kind).toBe('record');
    if (sub.kind !== 'record') return;
    const field = (n: string) => sub.fields.find((f) => f.name === n)!;
    expect(field('quantity').type).toMatchObject({ kind: 'string', alias: 'decimal' });
    expect(field('billing-mode').type).toMatchObject({ kind: 'enum', name: 'billing-mode' });
    expect(field('attributes').type).toMatchObject({ kind: 'list', element: { kind: 'record', name: 'attribute' } });
    expect(field('expires-at').type).toMatchObject({ kind: 'option', inner: { kind: 'int', name: 's64', alias: 'timestamp' } });
    expect(field('order-id').docs).toContain('marketplace order id');
  });

  it('parses variants with and without payloads, and results', () => {
    const change = wit.interfaces.lifecycle.functions['update-instance'].params[0].type;
    if (change.kind !== 'record') throw new Error('record expected');
    const v = change.fields.find((f) => f.name === 'change')!.type;
    expect(v.kind).toBe('variant');
    if (v.kind !== 'variant') return;
    expect(v.cases.map((c) => c.name)).toEqual(['renew', 'trial-to-formal', 'upgrade', 'freeze', 'unfreeze']);
    expect(v.cases.find((c) => c.name === 'unfreeze')!.type).toBeUndefined();
    const res = wit.interfaces.lifecycle.functions['update-instance'].result!;
    expect(res).toMatchObject({ kind: 'result', err: { kind: 'variant', name: 'plugin-error' } });
    expect(res.kind === 'result' && res.ok).toBeUndefined();
  });

  it('gives every function of the contract a valid example input', () => {
    for (const [iface, { functions }] of Object.entries(wit.interfaces)) {
      for (const f of Object.values(functions)) {
        const input = exampleInput(f.params);
        for (const p of f.params) {
          expect(validate(p.type, input[p.name], p.name), `${iface}.${f.name}`).toEqual([]);
        }
      }
    }
  });
});

describe('parseWit on the rest of the language', () => {
  const src = `
    package test:all@1.0.0;
    interface shapes {
      /// Money.
      type money = string;
      flags perms { read, write, %package }
      record r { a: tuple<u8, string>, b: result, c: result<u32>, d: result<_, string>, e: list<list<bool>>, f: char, g: f64, h: perms }
      resource thing;
      /* a block comment */
      use other.{thing2 as t2};
      go: func(x: r, y: money, z: t2) -> option<u64>;
    }
    interface other { enum thing2 { one, two } }
    world w { export shapes; }
  `;
  const parsed = parseWit(src);
  const go = parsed.interfaces.shapes.functions.go;

  it('parses tuples, results of every shape, flags, escaped names, renamed uses', () => {
    const r = go.params[0].type;
    if (r.kind !== 'record') throw new Error('record expected');
    const t = (n: string) => r.fields.find((f) => f.name === n)!.type;
    expect(t('a')).toMatchObject({ kind: 'tuple', items: [{ kind: 'int', name: 'u8' }, { kind: 'string' }] });
    expect(t('b')).toEqual({ kind: 'result' });
    expect(t('c')).toMatchObject({ kind: 'result', ok: { kind: 'int', name: 'u32' } });
    expect(t('d')).toMatchObject({ kind: 'result', err: { kind: 'string' } });
    expect(t('e')).toMatchObject({ kind: 'list', element: { kind: 'list', element: { kind: 'bool' } } });
    expect(t('h')).toMatchObject({ kind: 'flags', flags: [{ name: 'read' }, { name: 'write' }, { name: 'package' }] });
    expect(go.params[1].type).toMatchObject({ kind: 'string', alias: 'money', docs: 'Money.' });
    expect(go.params[2].type).toMatchObject({ kind: 'enum', cases: [{ name: 'one' }, { name: 'two' }] });
    expect(go.result).toMatchObject({ kind: 'option', inner: { kind: 'int', name: 'u64' } });
  });

  it('makes examples that validate', () => {
    for (const p of go.params) expect(validate(p.type, exampleValue(p.type, p.name), p.name)).toEqual([]);
  });

  it('says where a document is wrong', () => {
    expect(() => parseWit('interface x { f: func(a: nope); }')).toThrow(/unknown type nope/);
    expect(() => parseWit('interface x { f func(); }')).toThrow(/line 1: expected :/);
  });
});
