/** A seller's operations: the change feed, orders, instances and settlement bills. */
import { useEffect } from 'preact/hooks';
import { api, ok } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, Json, Show, Time } from '../ui/bits';
import { href, route } from '../router';
import { InstanceTable, OrderTable } from './tables';

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
  const feed = useLoad(() => ok(api.GET('/v1/feed', { params: { query: { limit: 1000 } } })), []);
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

function Bills() {
  const bills = useLoad(() => ok(api.GET('/v1/bills', {})), []);
  return (
    <Show l={bills}>
      {(data) => {
        const list = (data as unknown as { bills: Record<string, unknown>[] }).bills ?? [];
        return list.length === 0 ? (
          <Empty>No bill yet: bills are generated from the 7th of each month for the month before.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>month</th>
                <th>state</th>
                <th>sales</th>
                <th>platform fee</th>
                <th>settlement</th>
              </tr>
            </thead>
            <tbody>
              {list.map((b) => (
                <tr key={String(b.id)}>
                  <td>{String(b.id)}</td>
                  <td>{String(b.state)}</td>
                  <td>{String(b.sales)}</td>
                  <td>{String(b['platform-fee'])}</td>
                  <td>{String(b.settlement)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        );
      }}
    </Show>
  );
}
