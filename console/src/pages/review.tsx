/** The operator's review queue: each application's listing, rule findings and case replays; approve, or reject with a reason. */
import { useState } from 'preact/hooks';
import { api, ok, type Schemas } from '../api/client';
import { useLoad } from '../ui/async';
import { Empty, ErrorNote, FieldError, Json, Show, Time, short } from '../ui/bits';
import { href, route } from '../router';

type Reviewed = Schemas['ReviewedApplication'];

export function Review() {
  const id = route.value.args[0];
  return id ? <Application id={id} /> : <Queue />;
}

function Queue() {
  const all = route.value.query.get('all') === '1';
  const list = useLoad(
    () => ok(api.GET('/v1/release-applications', { params: { query: { limit: 100, ...(all ? {} : { state: 'pending' }) } } })),
    [all],
  );
  return (
    <section>
      <h1>Review queue</h1>
      <p>
        {all ? <a href={href('review')}>Pending only</a> : <a href={href('review', [], { all: '1' })}>Every application</a>}
      </p>
      <Show l={list}>
        {(data) =>
          data.applications.length === 0 ? (
            <Empty>{all ? 'No application yet.' : 'Nothing waits for review.'}</Empty>
          ) : (
            <table>
              <thead>
                <tr>
                  <th>application</th>
                  <th>product</th>
                  <th>state</th>
                  <th>findings</th>
                  <th>cases</th>
                  <th>submitted</th>
                </tr>
              </thead>
              <tbody>
                {data.applications.map((a) => (
                  <tr key={a.id} data-application={a.id}>
                    <td>
                      <a href={href('review', [a.id])}>{String((a.snapshot as { name?: string }).name ?? a.id)}</a>
                    </td>
                    <td>
                      <code>{a['product-id']}</code>
                    </td>
                    <td>
                      <span class={`badge ${a.state}`}>{a.state}</span>
                    </td>
                    <td>{a.review ? `${a.review.findings.length} (${a.review.blockers} blocker)` : '—'}</td>
                    <td>{a.review ? `${a.review.cases.length - a.review['failing-cases']}/${a.review.cases.length} pass` : '—'}</td>
                    <td>
                      <Time ms={a['submitted-at']} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Show>
    </section>
  );
}

interface Finding {
  rule?: string;
  'rule-id'?: string;
  severity?: string;
  field?: string;
  message?: string;
}

function Application({ id }: { id: string }) {
  const a = useLoad(() => ok(api.GET('/v1/release-applications/{id}', { params: { path: { id } } })), [id]);
  return (
    <section>
      <p>
        <a href={href('review')}>← Review queue</a>
      </p>
      <Show l={a}>{(app) => <Decide app={app} reload={a.reload} />}</Show>
    </section>
  );
}

function Decide({ app, reload }: { app: Reviewed; reload: () => void }) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const [reasonMissing, setReasonMissing] = useState(false);
  const act = async (what: 'approve' | 'reject' | 'review') => {
    if (what === 'reject' && !reason.trim()) {
      setReasonMissing(true);
      return;
    }
    setReasonMissing(false);
    setBusy(true);
    setError(undefined);
    try {
      const path = { params: { path: { id: app.id } } };
      if (what === 'approve') await ok(api.POST('/v1/release-applications/{id}/approve', { ...path, body: {} as never }));
      if (what === 'reject') await ok(api.POST('/v1/release-applications/{id}/reject', { ...path, body: { reason: reason.trim() } as never }));
      if (what === 'review') await ok(api.POST('/v1/release-applications/{id}/review', path));
      reload();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const snapshot = app.snapshot as Record<string, unknown>;
  const review = app.review;
  const findings = (review?.findings ?? []) as Finding[];
  return (
    <>
      <h1>
        {String(snapshot.name ?? app.id)} <span class={`badge ${app.state}`}>{app.state}</span>
      </h1>
      <p class="muted">
        <code>{app.id}</code> for product <code>{app['product-id']}</code>, version {app.version}, submitted <Time ms={app['submitted-at']} />
        {app.reason && <> — reason: {app.reason}</>}
      </p>
      {app.state === 'pending' && (
        <div class="panel">
          <h2>Decision</h2>
          <div class="actions">
            <button type="button" disabled={busy} onClick={() => act('approve')}>
              Approve
            </button>
            <span class="field inline">
              <label for="reject-reason">Reason</label>
              <input
                id="reject-reason"
                value={reason}
                aria-invalid={reasonMissing ? true : undefined}
                onInput={(e) => setReason(e.currentTarget.value)}
              />
              <FieldError message={reasonMissing ? 'a rejection needs a reason' : undefined} />
            </span>
            <button type="button" class="danger" disabled={busy} onClick={() => act('reject')}>
              Reject
            </button>
            <button type="button" disabled={busy} onClick={() => act('review')}>
              Review again
            </button>
          </div>
          <ErrorNote error={error} />
        </div>
      )}
      <h2>Rule findings</h2>
      {!review ? (
        <Empty>Not reviewed yet.</Empty>
      ) : findings.length === 0 ? (
        <Empty>No finding ({review.rules.length} rule(s) ran).</Empty>
      ) : (
        <table data-testid="findings">
          <thead>
            <tr>
              <th>severity</th>
              <th>rule</th>
              <th>field</th>
              <th>message</th>
            </tr>
          </thead>
          <tbody>
            {findings.map((f, i) => (
              <tr key={i} class={f.severity}>
                <td>
                  <span class={`badge ${f.severity}`}>{f.severity}</span>
                </td>
                <td>{f['rule-id']}</td>
                <td>
                  <code>{f.field}</code>
                </td>
                <td>{f.message}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Case replays</h2>
      {!review || review.cases.length === 0 ? (
        <Empty>No case replayed.</Empty>
      ) : (
        <table data-testid="case-results">
          <thead>
            <tr>
              <th>scenario</th>
              <th>case</th>
              <th>plugin</th>
              <th>result</th>
            </tr>
          </thead>
          <tbody>
            {review.cases.map((c) => (
              <tr key={c.case}>
                <td>{c.scenario}</td>
                <td>{c.name ?? c.case}</td>
                <td>
                  <code>{short(c.plugin)}</code>
                </td>
                <td>
                  <span class={`verdict ${c.result}`}>{c.result}</span>
                  {c.diff && <Json value={c.diff} />}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <h2>Listing</h2>
      <Json value={snapshot} label="snapshot" />
    </>
  );
}

