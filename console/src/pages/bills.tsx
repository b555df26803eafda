/** A seller's settlement bills: the list, one bill's lines, its CSV, and confirming a sent bill. */
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api/client';
import { token } from '../session';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, Show, Time } from '../ui/bits';
import { href, route } from '../router';

export function Bills() {
  const id = route.value.args[1];
  return id ? <Bill id={id} /> : <BillList />;
}

function BillList() {
  // The route also answers CSV; the console asks for JSON.
  const bills = useLoad(() => ok(api.GET('/v1/bills', {})) as Promise<Schemas['BillList']>, []);
  return (
    <Show l={bills}>
      {(data) =>
        data.bills.length === 0 ? (
          <Empty>No bill yet: bills are generated from the 7th of each month for the month before.</Empty>
        ) : (
          <table>
            <thead>
              <tr>
                <th>month</th>
                <th>state</th>
                <th>lines</th>
                <th>sales</th>
                <th>taxes</th>
                <th>platform fee</th>
                <th>settlement</th>
              </tr>
            </thead>
            <tbody>
              {data.bills.map((b) => (
                <tr key={b.id}>
                  <td>
                    <a href={href('operations', ['bills', b.id])}>{b.id}</a>
                  </td>
                  <td>
                    <span class="badge">{b.state}</span>
                  </td>
                  <td>{b.lines}</td>
                  <td>{b.sales}</td>
                  <td>{b.taxes}</td>
                  <td>{b['platform-fee']}</td>
                  <td>{b.settlement}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      }
    </Show>
  );
}

function Bill({ id }: { id: string }) {
  const bill = useLoad(() => ok(api.GET('/v1/bills/{id}', { params: { path: { id }, query: {} } })) as Promise<Schemas['BillDetail']>, [id]);
  const [error, setError] = useState<unknown>();
  const csv = async () => {
    const res = await fetch(`/v1/bills/${id}?format=csv`, { headers: { Authorization: `Bearer ${token.value}` } });
    if (!res.ok) return setError(new Error(`CSV: ${res.status}`));
    const url = URL.createObjectURL(await res.blob());
    const a = document.createElement('a');
    a.href = url;
    a.download = `bill-${id}.csv`;
    a.click();
    URL.revokeObjectURL(url);
  };
  const confirm = async () => {
    setError(undefined);
    try {
      await ok(api.POST('/v1/bills/{id}/confirm', { params: { path: { id } } }));
      bill.reload();
    } catch (e) {
      setError(e);
    }
  };
  return (
    <>
      <p>
        <a href={href('operations', ['bills'])}>← Bills</a>
      </p>
      <Show l={bill}>
        {({ bill: b, lines }) => (
          <>
            <h2>
              Bill {b.id} <span class="badge">{b.state}</span>
            </h2>
            <p class="muted">
              generated <Time ms={b['generated-at']} />, sales {b.sales}, taxes {b.taxes}, platform fee {b['platform-fee']}, settlement{' '}
              <strong>{b.settlement}</strong>
            </p>
            <div class="actions">
              <button type="button" class="small" onClick={csv}>
                Download CSV
              </button>
              {b.state === 'sent' && (
                <button type="button" onClick={confirm}>
                  Confirm the bill
                </button>
              )}
            </div>
            <ErrorNote error={error} />
            <table>
              <thead>
                <tr>
                  <th>#</th>
                  <th>kind</th>
                  <th>description</th>
                  <th>effective</th>
                  <th>sales</th>
                  <th>fee %</th>
                  <th>platform fee</th>
                  <th>taxes (WHT/DST)</th>
                  <th>settlement</th>
                </tr>
              </thead>
              <tbody>
                {lines.map((l) => (
                  <tr key={l.line}>
                    <td>{l.line}</td>
                    <td>{l.kind}</td>
                    <td>{l.description}</td>
                    <td>
                      <Time ms={l['effective-at']} />
                    </td>
                    <td>{l.sales}</td>
                    <td>{l['fee-percent']}</td>
                    <td>{l['platform-fee']}</td>
                    <td>
                      {l['customer-wht']}/{l['customer-dst']} · {l['seller-wht']}/{l['seller-dst']}
                    </td>
                    <td>{l.settlement}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </>
        )}
      </Show>
    </>
  );
}
