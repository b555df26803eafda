/** The signed-in account: its token lives in sessionStorage only, so closing the tab signs out. */
import { signal } from '@preact/signals';

const KEY = 'bazaar.token';

export interface Account {
  id: string;
  role: 'seller' | 'customer' | 'operator';
  name: string;
}

/** The token of the session, or null when signed out. */
export const token = signal<string | null>(sessionStorage.getItem(KEY));
/** Who the token belongs to (read from `GET /v1/me` at sign-in). */
export const account = signal<Account | null>(null);

export function signIn(t: string, who: Account) {
  sessionStorage.setItem(KEY, t);
  endedBecause.value = null;
  token.value = t;
  account.value = who;
}

/** Why the session ended, when it was not the user's choice (shown on the sign-in page). */
export const endedBecause = signal<string | null>(null);

export function signOut(reason?: string) {
  sessionStorage.removeItem(KEY);
  endedBecause.value = reason ?? null;
  token.value = null;
  account.value = null;
  location.hash = '#/';
}
