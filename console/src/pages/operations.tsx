/** A seller's operations: the change feed, orders, instances and settlement bills. */
import { useEffect } from 'preact/hooks';
import { api, ok } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, Json, Show, Time } from '../ui/bits';
import { href, route } from '../router';
import { InstanceTable, OrderTable } from './tables';
import { Bills } from './bills';

const TABS = [
  { id: 'feed', title: 'Change feed' },
  { id: 'orders', title: 'Orders' },
  { id: 'instances', title: 'Instances' },
  { id: 'bills', title: 'Bills' },
];

export function Operations() {
  const tab = TABS.find((t) => t.id === route.value.args[0]) ?? TABS[0];
  return (
    <section>
      <h1>Operations</h1>
      <nav class="tabs" aria-label="Operations">
        {TABS.map((t) => (
          <a key={t.id} href={href('operations', [t.id])} aria-current={t.id === tab.id ? 'page' : undefined}>
            {t.title}
          </a>
        ))}
      </nav>
      {tab.id === 'feed' && <Feed />}
      {tab.id === 'orders' && <Orders />}
      {tab.id === 'instances' && <Instances />}
      {tab.id === 'bills' && <Bills />}
    </section>
  );
}

interface Event {
  seq: number;
  kind: string;
  at?: number;
  [k: string]: unknown;
}

function Feed() {
  const feed = useLoad(() => ok(api.GET('/v1/feed', { params: { query: { limit: 1000, latest: true } } })), []);
  // New events arrive as the worker provisions orders: poll while the page is open.
  useEffect(() => {
    const timer = setInterval(feed.reload, 5000);
    return () => clearInterval(timer);
  }, [feed.reload]);
  return (
    <Show l={feed}>
      {(data) => {
        const events = [...((data as unknown as { events: Event[] }).events ?? [])].reverse();
        return (
          <>
            <button type="button" class="small" onClick={feed.reload}>
              Refresh
            </button>
            {events.length === 0 ? (
              <Empty>No event yet: events appear as customers' orders are provisioned.</Empty>
            ) : (
              <ol class="feed" aria-label="change feed">
                {events.map((e) => {
                  const { seq, kind, at, ...rest } = e;
                  return (
                    <li key={seq} data-kind={kind}>
                      <span class="index">#{seq}</span> <strong>{kind}</strong> {at !== undefined && <Time ms={at} />}
                      <details>
                        <summary>details</summary>
                        <Json value={rest} />
                      </details>
                    </li>
                  );
                })}
              </ol>
            )}
          </>
        );
      }}
    </Show>
  );
}

function Orders() {
  const orders = useLoad(() => ok(api.GET('/v1/orders', { params: { query: { limit: 100 } } })), []);
  return <Show l={orders}>{(data) => <OrderTable orders={data.orders} />}</Show>;
}

function Instances() {
  const list = useLoad(() => ok(api.GET('/v1/instances', { params: { query: { limit: 100 } } })), []);
  return <Show l={list}>{(data) => <InstanceTable instances={data.instances} />}</Show>;
}
