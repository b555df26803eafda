/** The customer's instances and orders. */
import { api, ok } from '../api/client';
import { useLoad } from '../ui/async';
import { Show } from '../ui/bits';
import { useState } from 'preact/hooks';
import { Access, InstanceTable, OrderTable, type App } from './tables';
import { InstanceActions } from './instance-actions';

export function MyInstances() {
  const [picked, setPicked] = useState<string>();
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
      <Show l={instances}>
        {(data) => {
          const live = data.instances.filter((i) => i.state === 'active' || i.state === 'frozen');
          const chosen = live.find((i) => i.id === picked) ?? live[0];
          return (
            <>
              <InstanceTable instances={data.instances} onPick={live.length ? setPicked : undefined} />
              {chosen && (
                <>
                  <h2>
                    Change <code>{chosen.id}</code>
                  </h2>
                  <InstanceAccess key={`access-${chosen.id}`} id={chosen.id} />
                  <InstanceActions
                    key={chosen.id}
                    instance={chosen}
                    onDone={() => {
                      instances.reload();
                      orders.reload();
                    }}
                  />
                </>
              )}
            </>
          );
        }}
      </Show>
      <h2>Orders</h2>
      <Show l={orders}>{(data) => <OrderTable orders={data.orders} />}</Show>
    </section>
  );
}

/** The instance's credentials: only its own page carries them. */
function InstanceAccess({ id }: { id: string }) {
  const one = useLoad(() => ok(api.GET('/v1/instances/{id}', { params: { path: { id } } })), [id]);
  return <div class="panel">{one.data ? <Access app={one.data.app as App | null} /> : null}</div>;
}
