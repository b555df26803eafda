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
