/**
 * A parser for the subset of WIT that `wit/plugin.wit` uses (interfaces with
 * `use`, type aliases, records, variants, enums, flags and functions; worlds
 * are skipped). It runs at build time (vite.config.ts) so the console's forms
 * always follow the WIT the service was built with.
 */
import type { Case, Field, IntName, Named, Param, WitFunction, WitPackage, WitType } from './types';

interface Token {
  text: string;
  docs: string;
  line: number;
}

const PUNCT = ['->', '{', '}', '(', ')', '<', '>', ',', ';', ':', '=', '.', '@', '/', '*', '_'];

/** Splits WIT source into tokens, attaching `///` comments to the token after them. */
export function tokenize(src: string): Token[] {
  const out: Token[] = [];
  let docs: string[] = [];
  let i = 0;
  let line = 1;
  while (i < src.length) {
    const c = src[i];
    if (c === '\n') {
      line++;
      i++;
    } else if (/\s/.test(c)) {
      i++;
    } else if (src.startsWith('///', i)) {
      const end = src.indexOf('\n', i);
      const stop = end < 0 ? src.length : end;
      docs.push(src.slice(i + 3, stop).trim());
      i = stop;
    } else if (src.startsWith('//', i)) {
      const end = src.indexOf('\n', i);
      i = end < 0 ? src.length : end;
    } else if (src.startsWith('/*', i)) {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? src.length : end + 2;
      line += src.slice(i, stop).split('\n').length - 1;
      i = stop;
    } else {
      const m = /^%?[A-Za-z0-9][A-Za-z0-9-]*/.exec(src.slice(i, i + 200));
      let text: string;
      if (m) {
        text = m[0];
      } else {
        const p = PUNCT.find((p) => src.startsWith(p, i));
        if (!p) throw new Error(`line ${line}: unexpected character ${JSON.stringify(c)}`);
        text = p;
      }
      out.push({ text, docs: docs.join('\n'), line });
      docs = [];
      i += text.length;
    }
  }
  return out;
}

/** A type as written, before names are resolved. */
type Ref =
  | { kind: 'name'; name: string }
  | { kind: 'list' | 'option'; of: Ref }
  | { kind: 'result'; ok?: Ref; err?: Ref }
  | { kind: 'tuple'; items: Ref[] };

type Decl =
  | { kind: 'alias'; name: string; docs: string; target: Ref }
  | { kind: 'record'; name: string; docs: string; fields: { name: string; docs: string; type: Ref }[] }
  | { kind: 'variant'; name: string; docs: string; cases: { name: string; docs: string; type?: Ref }[] }
  | { kind: 'enum' | 'flags'; name: string; docs: string; cases: Named[] };

interface RawInterface {
  name: string;
  docs: string;
  decls: Map<string, Decl>;
  /** Local name → [interface, name there]. */
  uses: Map<string, [string, string]>;
  functions: { name: string; docs: string; params: { name: string; type: Ref }[]; result?: Ref }[];
}

const ident = (t: string) => (t.startsWith('%') ? t.slice(1) : t);

class Parser {
  private pos = 0;
  constructor(private readonly toks: Token[]) {}

  private peek(offset = 0): string | undefined {
    return this.toks[this.pos + offset]?.text;
  }
  private next(): Token {
    const t = this.toks[this.pos++];
    if (!t) throw new Error('unexpected end of the WIT document');
    return t;
  }
  private expect(text: string): Token {
    const t = this.next();
    if (t.text !== text) throw new Error(`line ${t.line}: expected ${text}, found ${t.text}`);
    return t;
  }
  private eat(text: string): boolean {
    if (this.peek() === text) {
      this.pos++;
      return true;
    }
    return false;
  }
  private name(): string {
    const t = this.next();
    if (!/^%?[A-Za-z]/.test(t.text)) throw new Error(`line ${t.line}: expected a name, found ${t.text}`);
    return ident(t.text);
  }
  /** Skips a balanced `{ ... }` block. */
  private skipBlock() {
    this.expect('{');
    let depth = 1;
    while (depth > 0) {
      const t = this.next().text;
      if (t === '{') depth++;
      if (t === '}') depth--;
    }
  }

  document(): { pkg: string; interfaces: RawInterface[] } {
    let pkg = '';
    const interfaces: RawInterface[] = [];
    while (this.pos < this.toks.length) {
      const t = this.next();
      if (t.text === 'package') {
        const parts: string[] = [];
        while (this.peek() !== ';') parts.push(this.next().text);
        this.expect(';');
        pkg = parts.join('');
      } else if (t.text === 'interface') {
        interfaces.push(this.iface(t.docs));
      } else if (t.text === 'world') {
        this.name();
        this.skipBlock();
      } else {
        throw new Error(`line ${t.line}: unexpected ${t.text} at the top level`);
      }
    }
    return { pkg, interfaces };
  }

  private iface(docs: string): RawInterface {
    const iface: RawInterface = { name: this.name(), docs, decls: new Map(), uses: new Map(), functions: [] };
    this.expect('{');
    while (!this.eat('}')) {
      const t = this.next();
      switch (t.text) {
        case 'use':
          this.use(iface);
          break;
        case 'type': {
          const name = this.name();
          this.expect('=');
          iface.decls.set(name, { kind: 'alias', name, docs: t.docs, target: this.type() });
          this.expect(';');
          break;
        }
        case 'record': {
          const name = this.name();
          const fields: { name: string; docs: string; type: Ref }[] = [];
          this.list('{', '}', () => {
            const f = this.next();
            this.expect(':');
            fields.push({ name: ident(f.text), docs: f.docs, type: this.type() });
          });
          iface.decls.set(name, { kind: 'record', name, docs: t.docs, fields });
          break;
        }
        case 'variant': {
          const name = this.name();
          const cases: { name: string; docs: string; type?: Ref }[] = [];
          this.list('{', '}', () => {
            const c = this.next();
            let type: Ref | undefined;
            if (this.eat('(')) {
              type = this.type();
              this.expect(')');
            }
            cases.push({ name: ident(c.text), docs: c.docs, type });
          });
          iface.decls.set(name, { kind: 'variant', name, docs: t.docs, cases });
          break;
        }
        case 'enum':
        case 'flags': {
          const name = this.name();
          const cases: Named[] = [];
          this.list('{', '}', () => {
            const c = this.next();
            cases.push({ name: ident(c.text), docs: c.docs });
          });
          iface.decls.set(name, { kind: t.text, name, docs: t.docs, cases });
          break;
        }
        case 'resource':
          this.name();
          if (!this.eat(';')) this.skipBlock();
          break;
        default: {
          // `name: func(...) -> type;`
          const name = ident(t.text);
          this.expect(':');
          this.eat('async');
          this.expect('func');
          const params: { name: string; type: Ref }[] = [];
          this.list('(', ')', () => {
            const p = this.name();
            this.expect(':');
            params.push({ name: p, type: this.type() });
          });
          const result = this.eat('->') ? this.type() : undefined;
          this.expect(';');
          iface.functions.push({ name, docs: t.docs, params, result });
        }
      }
    }
    return iface;
  }

  /** `use iface.{a, b as c};` (a package-qualified path keeps its last segment). */
  private use(iface: RawInterface) {
    let from = this.name();
    while (this.peek() !== '.' || this.peek(1) !== '{') {
      const t = this.next().text;
      if (/^%?[A-Za-z]/.test(t)) from = ident(t);
    }
    this.expect('.');
    this.list('{', '}', () => {
      const name = this.name();
      const local = this.eat('as') ? this.name() : name;
      iface.uses.set(local, [from, name]);
    });
    this.expect(';');
  }

  /** Items separated by commas (a trailing one allowed) between `open` and `close`. */
  private list(open: string, close: string, item: () => void) {
    this.expect(open);
    while (!this.eat(close)) {
      item();
      if (!this.eat(',')) {
        this.expect(close);
        return;
      }
    }
  }

  private type(): Ref {
    const t = this.next();
    switch (t.text) {
      case 'list':
      case 'option': {
        this.expect('<');
        const of = this.type();
        this.expect('>');
        return { kind: t.text, of };
      }
      case 'borrow':
      case 'own': {
        this.expect('<');
        const of = this.type();
        this.expect('>');
        return of;
      }
      case 'result': {
        if (!this.eat('<')) return { kind: 'result' };
        const ok = this.eat('_') ? undefined : this.type();
        const err = this.eat(',') ? this.type() : undefined;
        this.expect('>');
        return { kind: 'result', ok, err };
      }
      case 'tuple': {
        const items: Ref[] = [];
        this.list('<', '>', () => items.push(this.type()));
        return { kind: 'tuple', items };
      }
      default:
        return { kind: 'name', name: ident(t.text) };
    }
  }
}

const PRIMITIVES: Record<string, WitType> = {
  bool: { kind: 'bool' },
  string: { kind: 'string' },
  char: { kind: 'char' },
  f32: { kind: 'float', name: 'f32' },
  f64: { kind: 'float', name: 'f64' },
  float32: { kind: 'float', name: 'f32' },
  float64: { kind: 'float', name: 'f64' },
};
for (const n of ['u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 's64'] as IntName[]) {
  PRIMITIVES[n] = { kind: 'int', name: n };
}

/** Parses a WIT document into every interface's functions with their parameter types resolved. */
export function parseWit(src: string): WitPackage {
  const { pkg, interfaces } = new Parser(tokenize(src)).document();
  const byName = new Map(interfaces.map((i) => [i.name, i]));

  const resolveName = (iface: RawInterface, name: string, seen: Set<string>): WitType => {
    const prim = PRIMITIVES[name];
    if (prim) return prim;
    const used = iface.uses.get(name);
    if (used) {
      const from = byName.get(used[0]);
      if (!from) throw new Error(`${iface.name}: use of unknown interface ${used[0]}`);
      return resolveName(from, used[1], seen);
    }
    const decl = iface.decls.get(name);
    if (!decl) throw new Error(`${iface.name}: unknown type ${name}`);
    const key = `${iface.name}.${name}`;
    if (seen.has(key)) throw new Error(`${key} refers to itself`);
    const inner = new Set(seen).add(key);
    const r = (ref: Ref) => resolve(iface, ref, inner);
    switch (decl.kind) {
      case 'alias': {
        const target = r(decl.target);
        return { ...target, alias: target.alias ?? name, docs: decl.docs };
      }
      case 'record':
        return {
          kind: 'record',
          name,
          docs: decl.docs,
          fields: decl.fields.map((f): Field => ({ name: f.name, docs: f.docs, type: r(f.type) })),
        };
      case 'variant':
        return {
          kind: 'variant',
          name,
          docs: decl.docs,
          cases: decl.cases.map((c): Case => (c.type ? { name: c.name, docs: c.docs, type: r(c.type) } : { name: c.name, docs: c.docs })),
        };
      case 'enum':
        return { kind: 'enum', name, docs: decl.docs, cases: decl.cases };
      case 'flags':
        return { kind: 'flags', name, docs: decl.docs, flags: decl.cases };
    }
  };

  const resolve = (iface: RawInterface, ref: Ref, seen: Set<string>): WitType => {
    switch (ref.kind) {
      case 'name':
        return resolveName(iface, ref.name, seen);
      case 'list':
        return { kind: 'list', element: resolve(iface, ref.of, seen) };
      case 'option':
        return { kind: 'option', inner: resolve(iface, ref.of, seen) };
      case 'result':
        return {
          kind: 'result',
          ...(ref.ok ? { ok: resolve(iface, ref.ok, seen) } : {}),
          ...(ref.err ? { err: resolve(iface, ref.err, seen) } : {}),
        };
      case 'tuple':
        return { kind: 'tuple', items: ref.items.map((t) => resolve(iface, t, seen)) };
    }
  };

  const out: WitPackage = { package: pkg, interfaces: {} };
  for (const iface of interfaces) {
    if (iface.functions.length === 0) continue;
    const functions: Record<string, WitFunction> = {};
    for (const f of iface.functions) {
      functions[f.name] = {
        name: f.name,
        docs: f.docs,
        params: f.params.map((p): Param => ({ name: p.name, type: resolve(iface, p.type, new Set()) })),
        ...(f.result ? { result: resolve(iface, f.result, new Set()) } : {}),
      };
    }
    out.interfaces[iface.name] = { docs: iface.docs, functions };
  }
  return out;
}
