/**
 * Checks a JSON value against a WIT type the way the service will
 * (`host/runtime/src/values.rs`), so a form shows each problem at its field
 * before the call is sent. Paths use the service's spelling:
 * `subscription.attributes[0].value`.
 */
import type { WitType } from './types';

/** One problem at one path. */
export interface Problem {
  path: string;
  message: string;
}

export const DECIMAL = /^-?\d+(\.\d+)?$/;

const RANGES: Record<string, [bigint, bigint]> = {
  u8: [0n, 255n],
  u16: [0n, 65535n],
  u32: [0n, 4294967295n],
  u64: [0n, 18446744073709551615n],
  s8: [-128n, 127n],
  s16: [-32768n, 32767n],
  s32: [-2147483648n, 2147483647n],
  s64: [-9223372036854775808n, 9223372036854775807n],
};

/** `path.field`, or `field` at the top. */
export const join = (path: string, name: string) => (path ? `${path}.${name}` : name);

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The variant or result case a value selects, and its payload. */
export function caseOf(value: unknown): [string, unknown] | undefined {
  if (typeof value === 'string') return [value, undefined];
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 1) return [keys[0], value[keys[0]]];
  }
  return undefined;
}

/** Every problem of `value` as a `type`, at `path`. */
export function validate(type: WitType, value: unknown, path = ''): Problem[] {
  const at = (message: string): Problem[] => [{ path, message }];
  if (type.alias === 'decimal') {
    return typeof value === 'string' && DECIMAL.test(value) ? [] : at('expected a decimal string such as "12.50"');
  }
  switch (type.kind) {
    case 'bool':
      return typeof value === 'boolean' ? [] : at('expected true or false');
    case 'string':
      return typeof value === 'string' ? [] : at('expected a string');
    case 'char':
      return typeof value === 'string' && [...value].length === 1 ? [] : at('expected a single character');
    case 'int': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return at('expected an integer');
      const [lo, hi] = RANGES[type.name];
      const n = BigInt(value);
      return n < lo || n > hi ? at(`${value} is out of range for ${type.name}`) : [];
    }
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) ? [] : at('expected a number');
    case 'list':
      if (!Array.isArray(value)) return at('expected a list');
      return value.flatMap((v, i) => validate(type.element, v, `${path}[${i}]`));
    case 'tuple':
      if (!Array.isArray(value) || value.length !== type.items.length) return at(`expected ${type.items.length} elements`);
      return type.items.flatMap((t, i) => validate(t, value[i], `${path}[${i}]`));
    case 'option':
      return value === null || value === undefined ? [] : validate(type.inner, value, path);
    case 'record': {
      if (!isObject(value)) return at('expected an object');
      const problems = type.fields.flatMap((f) => {
        const fpath = join(path, f.name);
        if (!(f.name in value)) return f.type.kind === 'option' ? [] : [{ path: fpath, message: 'missing field' }];
        return validate(f.type, value[f.name], fpath);
      });
      for (const k of Object.keys(value)) {
        if (!type.fields.some((f) => f.name === k)) problems.push({ path: join(path, k), message: 'unknown field' });
      }
      return problems;
    }
    case 'variant': {
      const c = caseOf(value);
      const found = c && type.cases.find((x) => x.name === c[0]);
      if (!c || !found) return at(`expected one of ${type.cases.map((x) => x.name).join(', ')}`);
      if (!found.type) return c[1] === undefined || c[1] === null ? [] : at(`${found.name} takes no value`);
      if (typeof value === 'string') return at(`${found.name} needs a value`);
      return validate(found.type, c[1], join(path, found.name));
    }
    case 'result': {
      const c = caseOf(value);
      if (!c || (c[0] !== 'ok' && c[0] !== 'err') || typeof value === 'string') return at('expected {"ok": ...} or {"err": ...}');
      const t = c[0] === 'ok' ? type.ok : type.err;
      return t ? validate(t, c[1], join(path, c[0])) : [];
    }
    case 'enum':
      return typeof value === 'string' && type.cases.some((c) => c.name === value)
        ? []
        : at(`expected one of ${type.cases.map((c) => c.name).join(', ')}`);
    case 'flags':
      if (!Array.isArray(value)) return at('expected a list of flags');
      return value.flatMap((v, i) =>
        typeof v === 'string' && type.flags.some((f) => f.name === v) ? [] : [{ path: `${path}[${i}]`, message: `unknown flag ${String(v)}` }],
      );
  }
}
