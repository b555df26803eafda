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
  token.value = t;
  account.value = who;
}

export function signOut() {
  sessionStorage.removeItem(KEY);
  token.value = null;
  account.value = null;
  location.hash = '#/';
}
