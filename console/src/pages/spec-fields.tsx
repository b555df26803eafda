/**
 * Labelled inputs for the specification form: each shows the refusal at its
 * field path (`specifications[0].trial.days`) and marks itself invalid.
 */
import { FieldError } from '../ui/bits';

/** The message for a field path, local checks first, then the API's. */
export type At = (path: string) => string | undefined;

/** An id usable in HTML from a field path. */
export const pathId = (path: string) => `f-${path.replace(/[^A-Za-z0-9_-]+/g, '-')}`;

interface Base {
  path: string;
  label: string;
  at: At;
}

export function TextField({ path, label, at, value, onChange, decimal, placeholder }: Base & { value: string; onChange: (v: string) => void; decimal?: boolean; placeholder?: string }) {
  const id = pathId(path);
  const msg = at(path);
  return (
    <div class="field" data-path={path}>
      <label for={id}>{label}</label>
      <input
        id={id}
        value={value}
        placeholder={placeholder}
        inputMode={decimal ? 'decimal' : undefined}
        aria-invalid={msg ? true : undefined}
        onInput={(e) => onChange(e.currentTarget.value)}
      />
      <FieldError message={msg} />
    </div>
  );
}

/** A whole number; an empty input gives `undefined`. */
export function NumberField({ path, label, at, value, onChange, min = 0 }: Base & { value: number | undefined; onChange: (v: number | undefined) => void; min?: number }) {
  const id = pathId(path);
  const msg = at(path);
  return (
    <div class="field" data-path={path}>
      <label for={id}>{label}</label>
      <input
        id={id}
        type="number"
        step={1}
        min={min}
        value={value === undefined ? '' : String(value)}
        aria-invalid={msg ? true : undefined}
        onInput={(e) => {
          const t = e.currentTarget.value.trim();
          onChange(t === '' ? undefined : Number(t));
        }}
      />
      <FieldError message={msg} />
    </div>
  );
}

/** A choice among `options`; `none` adds an empty choice meaning "not set". */
export function SelectField({ path, label, at, value, options, onChange, none }: Base & { value: string | undefined; options: readonly string[]; onChange: (v: string | undefined) => void; none?: string }) {
  const id = pathId(path);
  const msg = at(path);
  return (
    <div class="field" data-path={path}>
      <label for={id}>{label}</label>
      <select id={id} value={value ?? ''} aria-invalid={msg ? true : undefined} onChange={(e) => onChange(e.currentTarget.value || undefined)}>
        {none !== undefined && <option value="">{none}</option>}
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
      <FieldError message={msg} />
    </div>
  );
}

export function CheckField({ path, label, at, checked, onChange }: Base & { checked: boolean; onChange: (v: boolean) => void }) {
  const id = pathId(path);
  const msg = at(path);
  return (
    <div class="field" data-path={path}>
      <label class="check" for={id}>
        <input id={id} type="checkbox" checked={checked} aria-invalid={msg ? true : undefined} onChange={(e) => onChange(e.currentTarget.checked)} /> {label}
      </label>
      <FieldError message={msg} />
    </div>
  );
}

/** A comma-separated list of strings, kept as an array. */
export function ListField({ path, label, at, value, onChange }: Base & { value: string[]; onChange: (v: string[]) => void }) {
  return (
    <TextField
      path={path}
      label={`${label} (comma-separated)`}
      at={(p) => at(p) ?? value.map((_, k) => at(`${p}[${k}]`)).find(Boolean)}
      value={value.join(', ')}
      onChange={(t) => onChange(t.split(',').map((s) => s.trim()).filter((s, k, all) => s !== '' || (k === all.length - 1 && k > 0)))}
    />
  );
}

/** `obj` without the keys whose value is `undefined`. */
export function without<T extends Record<string, unknown>>(obj: T): T {
  return Object.fromEntries(Object.entries(obj).filter(([, v]) => v !== undefined)) as T;
}
