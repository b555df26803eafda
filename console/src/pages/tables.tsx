/** Orders and instances as tables, shared by the seller's and the customer's pages. */
import type { Schemas } from '../api/client';
import { Empty, Time } from '../ui/bits';

type Order = Schemas['OrderView'];
type Instance = Schemas['InstanceView'];

export function OrderTable({ orders }: { orders: Order[] }) {
  if (orders.length === 0) return <Empty>No order yet.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th>order</th>
          <th>kind</th>
          <th>state</th>
          <th>payment</th>
          <th>amount</th>
          <th>placed</th>
        </tr>
      </thead>
      <tbody>
        {orders.map((o) => (
          <tr key={o.id} data-order={o.id}>
            <td>
              <code>{o.id}</code>
            </td>
            <td>{o.kind}</td>
            <td>
              <span class={`badge ${o.state}`}>{o.state}</span>
              {o.failure && <div class="field-error">{o.failure}</div>}
            </td>
            <td>{o.payment}</td>
            <td>{o.amount}</td>
            <td>
              <Time ms={o['created-at']} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

export interface App {
  'frontend-url'?: string;
  'admin-url'?: string | null;
  username?: string;
  password?: string;
  memo?: string | null;
}

/** How the customer reaches the instance: its URL, and the credentials behind a disclosure. */
export function Access({ app }: { app?: App | null }) {
  if (!app) return <span class="muted">—</span>;
  return (
    <>
      {app['frontend-url'] && (
        <a href={app['frontend-url']} target="_blank" rel="noreferrer">
          {app['frontend-url']}
        </a>
      )}
      <details>
        <summary>credentials</summary>
        <dl>
          <dt>user</dt>
          <dd>
            <code>{app.username}</code>
          </dd>
          <dt>password</dt>
          <dd>
            <code>{app.password}</code>
          </dd>
          {app['admin-url'] && (
            <>
              <dt>admin</dt>
              <dd>{app['admin-url']}</dd>
            </>
          )}
          {app.memo && (
            <>
              <dt>memo</dt>
              <dd>{app.memo}</dd>
            </>
          )}
        </dl>
      </details>
    </>
  );
}

export function InstanceTable({ instances, onPick }: { instances: Instance[]; onPick?: (id: string) => void }) {
  if (instances.length === 0) return <Empty>No instance yet.</Empty>;
  return (
    <table>
      <thead>
        <tr>
          <th>instance</th>
          <th>product</th>
          <th>SKU</th>
          <th>state</th>
          <th>expires</th>
        </tr>
      </thead>
      <tbody>
        {instances.map((i) => (
          <tr key={i.id} data-instance={i.id}>
            <td>
              {onPick && (i.state === 'active' || i.state === 'frozen') ? (
                <button type="button" class="small" onClick={() => onPick(i.id)} aria-label={`Change ${i.id}`}>
                  <code>{i.id}</code>
                </button>
              ) : (
                <code>{i.id}</code>
              )}
            </td>
            <td>
              <code>{i['product-id']}</code>
            </td>
            <td>{i.sku}</td>
            <td>
              <span class={`badge ${i.state}`} data-testid="instance-state">
                {i.state}
              </span>
            </td>
            <td>
              <Time ms={i['expires-at']} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
