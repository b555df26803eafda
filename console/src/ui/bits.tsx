/** Small pieces every page uses: loading and empty states, errors, JSON, times. */
import type { ComponentChildren } from 'preact';
import { ApiFailure } from '../api/client';
import type { Loaded } from './async';
import { stringify } from '../api/json';

export function Loading() {
  return (
    <p class="muted" role="status">
      Loading…
    </p>
  );
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="empty">{children}</p>;
}

/** A refusal shown plainly: its code, message, field and every listed problem. */
export function ErrorNote({ error }: { error?: unknown }) {
  if (!error) return null;
  if (error instanceof ApiFailure) {
    return (
      <div class="error" role="alert">
        <strong>{error.code}</strong> ({error.status}): {error.message}
        {error.field && (
          <span>
            {' '}
            — at <code>{error.field}</code>
          </span>
        )}
        {error.errors.length > 0 && (
          <ul>
            {error.errors.map((e, i) => (
              <li key={i}>
                {e.field && <code>{e.field}</code>} {e.message}
              </li>
            ))}
          </ul>
        )}
      </div>
    );
  }
  return (
    <div class="error" role="alert">
      {String((error as Error).message ?? error)}
    </div>
  );
}

/** Renders a loaded value, or its loading state or failure. */
export function Show<T>({ l, children }: { l: Loaded<T>; children: (data: T) => ComponentChildren }) {
  if (l.error) return <ErrorNote error={l.error} />;
  if (l.data === undefined) return <Loading />;
  return <>{children(l.data)}</>;
}

export function Json({ value, label }: { value: unknown; label?: string }) {
  return (
    <pre class="json" aria-label={label}>
      {stringify(value, 2)}
    </pre>
  );
}

export function Time({ ms }: { ms?: number | null }) {
  if (ms === undefined || ms === null) return <span class="muted">—</span>;
  return <time dateTime={new Date(ms).toISOString()}>{new Date(ms).toISOString().replace('T', ' ').slice(0, 19)}</time>;
}

export const short = (sha: string) => sha.slice(0, 12);

/** An error message beside a form field. */
export function FieldError({ message, id }: { message?: string; id?: string }) {
  if (!message) return null;
  return (
    <span class="field-error" id={id} role="alert">
      {message}
    </span>
  );
}
