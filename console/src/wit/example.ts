/** A valid example value, in the API's JSON convention, for every WIT type: what a new form starts with. */
import type { WitType } from './types';

/** 2026-01-01T00:00:00Z: a plausible logical time for timestamps. */
export const EXAMPLE_TIME_MS = 1767225600000;

/** An example string for a field or parameter called `name`. */
function exampleString(name: string): string {
  if (name === 'currency') return 'USD';
  if (name.endsWith('-url')) return 'https://example.com';
  if (name.endsWith('-id')) return `${name.slice(0, -3)}-1`;
  if (name.endsWith('-ids')) return `${name.slice(0, -4)}-1`;
  return name || 'text';
}

/** The example value of `type`; `name` is the field or parameter it fills. */
export function exampleValue(type: WitType, name = ''): unknown {
  if (type.alias === 'decimal') return '1';
  if (type.alias === 'timestamp') return EXAMPLE_TIME_MS;
  switch (type.kind) {
    case 'bool':
      return false;
    case 'string':
      return exampleString(name);
    case 'char':
      return 'a';
    case 'int':
      return 1;
    case 'float':
      return 1.5;
    case 'list':
      return [exampleValue(type.element, name)];
    case 'option':
      return null;
    case 'result':
      return { ok: type.ok ? exampleValue(type.ok, name) : null };
    case 'tuple':
      return type.items.map((t) => exampleValue(t, name));
    case 'record':
      return Object.fromEntries(type.fields.map((f) => [f.name, exampleValue(f.type, f.name)]));
    case 'variant': {
      const first = type.cases[0];
      if (!first) return null;
      return first.type ? { [first.name]: exampleValue(first.type, first.name) } : first.name;
    }
    case 'enum':
      return type.cases[0]?.name ?? '';
    case 'flags':
      return [];
  }
}

/** The example input of a function: an object keyed by parameter name. */
export function exampleInput(params: { name: string; type: WitType }[]): Record<string, unknown> {
  return Object.fromEntries(params.map((p) => [p.name, exampleValue(p.type, p.name)]));
}
