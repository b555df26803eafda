/** The WIT types a plugin function's parameters can have, as the form generator sees them. */

/** Integer types of WIT. */
export type IntName = 'u8' | 'u16' | 'u32' | 'u64' | 's8' | 's16' | 's32' | 's64';

/** One documented name: a record field, a variant or enum case, a flag. */
export interface Named {
  name: string;
  docs: string;
}

/** A field of a record. */
export interface Field extends Named {
  type: WitType;
}

/** A case of a variant; `type` is absent for a case without payload. */
export interface Case extends Named {
  type?: WitType;
}

/** A WIT type, aliases resolved; `alias` keeps the name an alias gave it (`decimal`, `timestamp`). */
export type WitType = { alias?: string; docs?: string } & (
  | { kind: 'bool' }
  | { kind: 'string' }
  | { kind: 'char' }
  | { kind: 'int'; name: IntName }
  | { kind: 'float'; name: 'f32' | 'f64' }
  | { kind: 'list'; element: WitType }
  | { kind: 'option'; inner: WitType }
  | { kind: 'result'; ok?: WitType; err?: WitType }
  | { kind: 'tuple'; items: WitType[] }
  | { kind: 'record'; name: string; fields: Field[] }
  | { kind: 'variant'; name: string; cases: Case[] }
  | { kind: 'enum'; name: string; cases: Named[] }
  | { kind: 'flags'; name: string; flags: Named[] }
);

/** A function's parameter. */
export interface Param {
  name: string;
  type: WitType;
}

/** A function of an interface. */
export interface WitFunction {
  name: string;
  docs: string;
  params: Param[];
  result?: WitType;
}

/** Every exported function, by interface (`lifecycle`, `pricing`...) then function name. */
export interface WitPackage {
  package: string;
  interfaces: Record<string, { docs: string; functions: Record<string, WitFunction> }>;
}
