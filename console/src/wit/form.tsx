/**
 * The form generated from a WIT type: one control per primitive, a fieldset
 * per record, a case picker per variant, enum and result, a toggle per
 * option, add/remove per list. The value edited is the call's JSON itself
 * (the API's convention), so the raw-JSON view and the form never disagree.
 */
import type { WitType } from './types';
import { exampleValue } from './example';
import { caseOf, join, DECIMAL } from './validate';

export interface FieldProps {
  type: WitType;
  value: unknown;
  onChange: (v: unknown) => void;
  /** The value's path in the input, as the service spells it (`subscription.attributes[0]`). */
  path: string;
  label: string;
  docs?: string;
  /** Problems by path. */
  problems: Map<string, string>;
}

/** A stable DOM id for a path. */
export const fieldId = (path: string) => `in-${path.replace(/[^A-Za-z0-9-]/g, '_')}`;

function Hint({ docs, path, problems }: { docs?: string; path: string; problems: Map<string, string> }) {
  const problem = problems.get(path);
  return (
    <>
      {docs && <small class="hint">{docs.split('\n')[0]}</small>}
      {problem && (
        <span class="field-error" role="alert" id={`${fieldId(path)}-error`}>
          {problem}
        </span>
      )}
    </>
  );
}

const typeName = (t: WitType): string => {
  if (t.alias) return t.alias;
  switch (t.kind) {
    case 'int':
    case 'float':
      return t.name;
    case 'record':
    case 'variant':
    case 'enum':
    case 'flags':
      return t.name;
    case 'list':
      return `list<${typeName(t.element)}>`;
    case 'option':
      return `option<${typeName(t.inner)}>`;
    default:
      return t.kind;
  }
};

export function WitField(props: FieldProps) {
  const { type, value, onChange, path, label, docs, problems } = props;
  const id = fieldId(path);
  const invalid = problems.has(path) ? true : undefined;
  const describedBy = problems.has(path) ? `${id}-error` : undefined;
  const head = (
    <label for={id}>
      {label} <span class="type">{typeName(type)}</span>
    </label>
  );
  switch (type.kind) {
    case 'bool':
      return (
        <div class="field check" data-path={path}>
          <input id={id} type="checkbox" checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} />
          {head}
          <Hint docs={docs} path={path} problems={problems} />
        </div>
      );
    case 'string':
    case 'char': {
      const decimal = type.alias === 'decimal';
      return (
        <div class="field" data-path={path}>
          {head}
          <input
            id={id}
            type="text"
            inputMode={decimal ? 'decimal' : undefined}
            pattern={decimal ? DECIMAL.source : undefined}
            maxLength={type.kind === 'char' ? 2 : undefined}
            value={typeof value === 'string' ? value : ''}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onInput={(e) => onChange(e.currentTarget.value)}
          />
          <Hint docs={docs} path={path} problems={problems} />
        </div>
      );
    }
    case 'int':
    case 'float': {
      const time = type.alias === 'timestamp' && typeof value === 'number' && Number.isFinite(value);
      return (
        <div class="field" data-path={path}>
          {head}
          <input
            id={id}
            type="number"
            step={type.kind === 'float' ? 'any' : 1}
            min={type.kind === 'int' && type.name.startsWith('u') ? 0 : undefined}
            value={typeof value === 'number' ? String(value) : ''}
            aria-invalid={invalid}
            aria-describedby={describedBy}
            onInput={(e) => {
              const raw = e.currentTarget.value;
              onChange(raw === '' ? null : Number(raw));
            }}
          />
          {time && <small class="hint">{new Date(value as number).toISOString()}</small>}
          <Hint docs={docs} path={path} problems={problems} />
        </div>
      );
    }
    case 'enum':
      return (
        <div class="field" data-path={path}>
          {head}
          <select id={id} value={String(value)} aria-invalid={invalid} onChange={(e) => onChange(e.currentTarget.value)}>
            {type.cases.map((c) => (
              <option key={c.name} value={c.name} title={c.docs} selected={c.name === value}>
                {c.name}
              </option>
            ))}
          </select>
          <Hint docs={docs} path={path} problems={problems} />
        </div>
      );
    case 'flags': {
      const set = new Set(Array.isArray(value) ? (value as string[]) : []);
      return (
        <fieldset class="field" data-path={path}>
          <legend>
            {label} <span class="type">{typeName(type)}</span>
          </legend>
          {type.flags.map((f) => (
            <label key={f.name} class="check" title={f.docs}>
              <input
                type="checkbox"
                checked={set.has(f.name)}
                onChange={(e) => {
                  const next = new Set(set);
                  if (e.currentTarget.checked) next.add(f.name);
                  else next.delete(f.name);
                  onChange(type.flags.map((x) => x.name).filter((n) => next.has(n)));
                }}
              />
              {f.name}
            </label>
          ))}
          <Hint docs={docs} path={path} problems={problems} />
        </fieldset>
      );
    }
    case 'record': {
      const obj = (value && typeof value === 'object' && !Array.isArray(value) ? value : {}) as Record<string, unknown>;
      return (
        <fieldset class="field record" data-path={path}>
          <legend>
            {label} <span class="type">{typeName(type)}</span>
          </legend>
          <Hint docs={docs} path={path} problems={problems} />
          {type.fields.map((f) => (
            <WitField
              key={f.name}
              type={f.type}
              value={obj[f.name]}
              onChange={(v) => onChange({ ...obj, [f.name]: v })}
              path={join(path, f.name)}
              label={f.name}
              docs={f.docs}
              problems={problems}
            />
          ))}
        </fieldset>
      );
    }
    case 'variant':
    case 'result': {
      const cases =
        type.kind === 'variant'
          ? type.cases
          : [
              { name: 'ok', docs: '', type: type.ok },
              { name: 'err', docs: '', type: type.err },
            ];
      const [current, payload] = caseOf(value) ?? [cases[0]?.name ?? '', undefined];
      const chosen = cases.find((c) => c.name === current);
      const pick = (name: string) => {
        const c = cases.find((x) => x.name === name);
        if (!c) return;
        if (type.kind === 'result') onChange({ [name]: c.type ? exampleValue(c.type, name) : null });
        else onChange(c.type ? { [name]: exampleValue(c.type, name) } : name);
      };
      return (
        <fieldset class="field variant" data-path={path}>
          <legend>
            {label} <span class="type">{typeName(type)}</span>
          </legend>
          <label for={id} class="sr-only">
            {label} case
          </label>
          <select id={id} value={current} aria-invalid={invalid} onChange={(e) => pick(e.currentTarget.value)}>
            {cases.map((c) => (
              <option key={c.name} value={c.name} title={c.docs} selected={c.name === current}>
                {c.name}
              </option>
            ))}
          </select>
          <Hint docs={docs} path={path} problems={problems} />
          {chosen?.type && (
            <WitField
              type={chosen.type}
              value={payload}
              onChange={(v) => onChange({ [chosen.name]: v })}
              path={join(path, chosen.name)}
              label={chosen.name}
              docs={chosen.docs}
              problems={problems}
            />
          )}
        </fieldset>
      );
    }
    case 'option': {
      const set = value !== null && value !== undefined;
      return (
        <fieldset class="field option" data-path={path}>
          <legend>
            {label} <span class="type">{typeName(type)}</span>
          </legend>
          <label class="check">
            <input
              id={`${id}-set`}
              type="checkbox"
              checked={set}
              onChange={(e) => onChange(e.currentTarget.checked ? exampleValue(type.inner, label) : null)}
            />
            set
          </label>
          <Hint docs={docs} path={path} problems={problems} />
          {set && <WitField {...props} type={type.inner} label={label} docs={undefined} />}
        </fieldset>
      );
    }
    case 'list':
    case 'tuple': {
      const items = Array.isArray(value) ? value : [];
      const isList = type.kind === 'list';
      return (
        <fieldset class="field list" data-path={path}>
          <legend>
            {label} <span class="type">{typeName(type)}</span>
          </legend>
          <Hint docs={docs} path={path} problems={problems} />
          {items.map((item, i) => {
            const t = isList ? type.element : type.items[i];
            if (!t) return null;
            return (
              <div class="item" key={i}>
                <WitField
                  type={t}
                  value={item}
                  onChange={(v) => onChange(items.map((x, j) => (j === i ? v : x)))}
                  path={`${path}[${i}]`}
                  label={`${label}[${i}]`}
                  problems={problems}
                />
                {isList && (
                  <button type="button" class="small" onClick={() => onChange(items.filter((_, j) => j !== i))}>
                    Remove {label}[{i}]
                  </button>
                )}
              </div>
            );
          })}
          {isList && (
            <button type="button" class="small" onClick={() => onChange([...items, exampleValue(type.element, label)])}>
              Add to {label}
            </button>
          )}
        </fieldset>
      );
    }
  }
}
