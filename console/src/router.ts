/** Hash routing: `#/page/arg?key=value`, so every page has a URL that survives a reload. */
import { signal } from '@preact/signals';

export interface Route {
  /** `plugins`, `workbench`, `cases`... */
  page: string;
  /** Path segments after the page (`#/cases/case_1` → `['case_1']`). */
  args: string[];
  query: URLSearchParams;
}

export function parse(hash: string): Route {
  const [path, q = ''] = hash.replace(/^#\/?/, '').split('?');
  const [page = '', ...args] = path.split('/').filter(Boolean).map(decodeURIComponent);
  return { page, args, query: new URLSearchParams(q) };
}

export const route = signal<Route>(parse(location.hash));
addEventListener('hashchange', () => {
  route.value = parse(location.hash);
});

/** The URL of a page. */
export function href(page: string, args: string[] = [], query: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams(Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined));
  const path = [page, ...args.map(encodeURIComponent)].join('/');
  return `#/${path}${q.size ? `?${q}` : ''}`;
}

export function go(page: string, args: string[] = [], query: Record<string, string | undefined> = {}) {
  location.hash = href(page, args, query);
}
