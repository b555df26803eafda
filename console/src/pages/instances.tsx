/** The customer's instances and orders. */
import { api, ok } from '../api/client';
import { useLoad } from '../ui/async';
import { Show } from '../ui/bits';
import { InstanceTable, OrderTable } from './tables';

export function MyInstances() {
  const instances = useLoad(() => ok(api.GET('/v1/instances', { params: { query: { limit: 100 } } })), []);
  const orders = useLoad(() => ok(api.GET('/v1/orders', { params: { query: { limit: 100 } } })), []);
  return (
    <section>
      <h1>My instances</h1>
      <button
        type="button"
        class="small"
        onClick={() => {
          instances.reload();
          orders.reload();
        }}
      >
        Refresh
      </button>
      <Show l={instances}>{(data) => <InstanceTable instances={data.instances} />}</Show>
      <h2>Orders</h2>
      <Show l={orders}>{(data) => <OrderTable orders={data.orders} />}</Show>
    </section>
  );
}
