/**
 * The typed client of the public `/v1` API, generated from the service's
 * OpenAPI document (`openapi.json` → `schema.d.ts` by openapi-typescript) and
 * driven by openapi-fetch. Every request carries the session's token.
 */
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';
import { signOut, token } from '../session';
import { parse, stringify } from './json';

export type Schemas = components['schemas'];

/** An answer the API refused: its `{error, message, field?, errors?, detail?}` body and status. */
export class ApiFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly field?: string,
    readonly errors: { field?: string; message?: string }[] = [],
    readonly detail?: unknown,
  ) {
    super(message);
  }

  /** The message for `field`: its own in the `errors` list, else the answer's when it names that field. */
  at(field: string): string | undefined {
    const own = this.errors.find((e) => e.field === field)?.message;
    if (own) return own;
    return this.field === field ? this.message : undefined;
  }
}

const auth: Middleware = {
  onRequest({ request }) {
    if (!request.headers.has('Authorization') && token.value) request.headers.set('Authorization', `Bearer ${token.value}`);
    return request;
  },
  onResponse({ request, response }) {
    // The session's token was revoked or expired: back to the sign-in page, saying why.
    if (response.status === 401 && token.value && request.headers.get('Authorization') === `Bearer ${token.value}`) {
      signOut('The token is no longer valid (revoked or expired): sign in again.');
    }
    return response;
  },
};

/** `fetch` whose answers parse 64-bit integers exactly (`json.ts`). */
async function exactFetch(input: Request): Promise<Response> {
  const res = await fetch(input);
  res.json = async () => parse(await res.text());
  return res;
}

export const api = createClient<paths>({ baseUrl: location.origin, fetch: exactFetch, bodySerializer: (body) => stringify(body) });
api.use(auth);

/** Turns an error body into an [`ApiFailure`]. */
export function failure(status: number, body: unknown): ApiFailure {
  const b = (body ?? {}) as Record<string, unknown>;
  return new ApiFailure(
    status,
    String(b.error ?? 'error'),
    String(b.message ?? `the service answered ${status}`),
    typeof b.field === 'string' ? b.field : undefined,
    Array.isArray(b.errors) ? (b.errors as { field?: string; message?: string }[]) : [],
    b.detail,
  );
}

/** The data of an openapi-fetch answer, or throws its [`ApiFailure`]. */
export async function ok<R extends { data?: unknown; error?: unknown; response: Response }>(p: Promise<R>): Promise<NonNullable<R['data']>> {
  const { data, error, response } = await p;
  if (error !== undefined || !response.ok) throw failure(response.status, error);
  return data as NonNullable<R['data']>;
}

/** Raw bytes to a route the generated client has no body type for (plugin upload, listing files). */
export async function sendBytes(method: string, path: string, body: Blob, contentType: string): Promise<unknown> {
  const res = await fetch(path, {
    method,
    body,
    headers: { 'Content-Type': contentType, ...(token.value ? { Authorization: `Bearer ${token.value}` } : {}) },
  });
  const json = await res.text().then(parse).catch(() => ({}));
  if (!res.ok) throw failure(res.status, json);
  return json;
}
