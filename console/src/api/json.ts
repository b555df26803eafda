/**
 * JSON with 64-bit integers kept exact: seeds are u64, beyond what a JS
 * number holds, and "repeat exactly" must send back the very seed the
 * service reported. Integers a number cannot hold become BigInt when
 * parsed and are written back as bare digits.
 */

const MARK = '\u0000bigint:';
/** A string literal (skipped as is) or an integer literal of 16 digits or more (not the digits of a fraction or an exponent). */
const TOKENS = /"(?:[^"\\]|\\.)*"|(?<![\d.eE+-])-?\d{16,}(?![.eE\d])/g;

/** `JSON.parse`, integers beyond 2^53 as BigInt. */
export function parse(text: string): unknown {
  const marked = text.replace(TOKENS, (t) => (t.startsWith('"') || Number.isSafeInteger(Number(t)) ? t : `"\\u0000bigint:${t}"`));
  return JSON.parse(marked, (_key, value: unknown) =>
    typeof value === 'string' && value.startsWith(MARK) ? BigInt(value.slice(MARK.length)) : value,
  );
}

/** `JSON.stringify`, BigInt as bare digits. */
export function stringify(value: unknown, indent?: number): string {
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `${MARK}${v}` : v), indent);
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}
