import { describe, expect, it } from 'vitest';
import { parse, stringify } from '../src/api/json';

describe('64-bit integers', () => {
  it('survive a round trip exactly', () => {
    const text = '{"seed":9597120097353410571,"now-ms":1767225600000,"f":1.5,"nested":[{"n":18446744073709551615}]}';
    const value = parse(text) as Record<string, unknown>;
    expect(stringify(value)).toBe(text);
    expect(value['now-ms']).toBe(1767225600000);
  });
  it('write BigInt as digits, indented too', () => {
    expect(stringify({ seed: 12345678901234567890n }, 2)).toBe('{\n  "seed": 12345678901234567890\n}');
  });
});

describe('strings', () => {
  it('are never taken for numbers', () => {
    const text = '{"s":"12345678901234567890","q":"a \\" 98765432109876543210"}';
    expect(parse(text)).toEqual({ s: '12345678901234567890', q: 'a " 98765432109876543210' });
  });
});

describe('other numbers', () => {
  it('keep their value: fractions and exponents with long digit runs', () => {
    const text = '{"load-ms":0.12345678901234567,"e":1e-12345678901234567,"n":-12345678901234567890,"x":[1.5,2]}';
    const value = parse(text) as Record<string, unknown>;
    expect(value['load-ms']).toBe(0.12345678901234567);
    expect(value.e).toBe(0);
    expect(value.n).toBe(-12345678901234567890n);
    expect(value.x).toEqual([1.5, 2]);
  });
});
