/** The console's frame: sign-in, the navigation of the account's role, and the page of the URL. */
import type { ComponentChildren, ComponentType } from 'preact';
import { useEffect, useErrorBoundary, useState } from 'preact/hooks';
import { account, signOut, token, type Account } from './session';
import { route, href } from './router';
import { api, ok } from './api/client';
import { SignIn } from './pages/signin';
import { Plugins } from './pages/plugins';
import { Workbench } from './pages/workbench';
import { Cases } from './pages/cases';
import { Products } from './pages/products';
import { Operations } from './pages/operations';
import { Review } from './pages/review';
import { Rules } from './pages/rules';
import { Accounts } from './pages/accounts';
import { Catalogue } from './pages/catalogue';
import { MyInstances } from './pages/instances';
import { ErrorNote, Loading } from './ui/bits';

interface Page {
  id: string;
  title: string;
  view: ComponentType;
}

const PAGES: Record<Account['role'], Page[]> = {
  seller: [
    { id: 'plugins', title: 'Plugins', view: Plugins },
    { id: 'workbench', title: 'Debug workbench', view: Workbench },
    { id: 'cases', title: 'Cases', view: Cases },
    { id: 'products', title: 'Products', view: Products },
    { id: 'operations', title: 'Operations', view: Operations },
  ],
  operator: [
    { id: 'review', title: 'Review queue', view: Review },
    { id: 'rules', title: 'Rules', view: Rules },
    { id: 'accounts', title: 'Accounts', view: Accounts },
    { id: 'plugins', title: 'Plugins', view: Plugins },
    { id: 'workbench', title: 'Debug workbench', view: Workbench },
    { id: 'cases', title: 'Cases', view: Cases },
  ],
  customer: [
    { id: 'catalogue', title: 'Catalogue', view: Catalogue },
    { id: 'instances', title: 'My instances', view: MyInstances },
  ],
};

/** A page that throws shows the error instead of taking the whole console down. */
function Guard({ children }: { children: ComponentChildren }) {
  const [failed, reset] = useErrorBoundary();
  if (failed) {
    return (
      <div class="error" role="alert">
        This page failed: {String((failed as Error).message ?? failed)}{' '}
        <button type="button" class="small" onClick={reset}>
          Try again
        </button>
      </div>
    );
  }
  return <>{children}</>;
}

export function App() {
  const t = token.value;
  const who = account.value;
  const [error, setError] = useState<unknown>();
  const page = route.value.page;
  useEffect(() => {
    // A new page takes the focus to its heading, so keyboard and screen-reader users start there.
    const h1 = document.querySelector<HTMLElement>('main h1');
    if (h1 && !document.querySelector('main')?.contains(document.activeElement)) {
      h1.tabIndex = -1;
      h1.focus({ preventScroll: true });
    }
  }, [page, who?.id]);
  useEffect(() => {
    // A reload keeps the token (sessionStorage) but not who it is.
    if (t && !who) {
      ok(api.GET('/v1/me')).then(
        (me) => (account.value = me.account as unknown as Account),
        (e) => {
          setError(e);
          signOut();
        },
      );
    }
  }, [t, who]);
  if (!t) return <SignIn error={error} />;
  if (!who) return <Loading />;
  const pages = PAGES[who.role];
  const current = pages.find((p) => p.id === route.value.page) ?? pages[0];
  const View = current.view;
  document.title = `${current.title} · Bazaar`;
  return (
    <div class="frame">
      <header>
        <span class="brand">Bazaar</span>
        <nav aria-label="Pages">
          {pages.map((p) => (
            <a key={p.id} href={href(p.id)} aria-current={p.id === current.id ? 'page' : undefined}>
              {p.title}
            </a>
          ))}
        </nav>
        <span class="who">
          {who.name} <span class="role">{who.role}</span>
          <button type="button" class="small" onClick={() => signOut()}>
            Sign out
          </button>
        </span>
      </header>
      <main>
        <ErrorNote error={error} />
        <Guard key={route.value.page}>
          <View />
        </Guard>
      </main>
    </div>
  );
}
