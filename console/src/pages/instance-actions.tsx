/** What a customer can do with an instance: renew, convert a trial, or unsubscribe — each quoted first, then ordered. */
import { useState } from 'preact/hooks';
import { api, ApiFailure, ok, type Schemas } from '../api/client';
import { ErrorNote, FieldError } from '../ui/bits';
import { QuoteTable } from './products';

type Instance = Schemas['InstanceView'];
type Action = 'renew' | 'convert' | 'unsubscribe';

export function InstanceActions({ instance, onDone }: { instance: Instance; onDone: () => void }) {
  const actions: Action[] = instance.trial ? ['convert', 'unsubscribe'] : ['renew', 'unsubscribe'];
  const [action, setAction] = useState<Action>(actions[0]);
  const [periods, setPeriods] = useState('1');
  const [quote, setQuote] = useState<unknown>();
  const [error, setError] = useState<unknown>();
  const [busy, setBusy] = useState(false);
  const path = { params: { path: { id: instance.id } } };
  const body = action === 'unsubscribe' ? { action } : { action, periods: Number(periods) };
  const price = async () => {
    setError(undefined);
    try {
      setQuote(await ok(api.POST('/v1/instances/{id}/quote', { ...path, body: body as never })));
    } catch (e) {
      setError(e);
      setQuote(undefined);
    }
  };
  const order = async () => {
    setBusy(true);
    setError(undefined);
    const headers = { 'Idempotency-Key': crypto.randomUUID() };
    try {
      if (action === 'unsubscribe') await ok(api.POST('/v1/instances/{id}/unsubscribe', { ...path, body: {} as never, headers }));
      else if (action === 'renew') await ok(api.POST('/v1/instances/{id}/renew', { ...path, body: { periods: Number(periods) }, headers }));
      else await ok(api.POST('/v1/instances/{id}/convert', { ...path, body: { periods: Number(periods) }, headers }));
      setQuote(undefined);
      onDone();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  const failure = error instanceof ApiFailure ? error : undefined;
  const id = `act-${instance.id}`;
  return (
    <form
      class="panel"
      aria-label={`Change ${instance.id}`}
      onSubmit={(e) => {
        e.preventDefault();
        void order();
      }}
    >
      <div class="row">
        <div class="field">
          <label for={`${id}-action`}>Change</label>
          <select
            id={`${id}-action`}
            value={action}
            onChange={(e) => {
              setAction(e.currentTarget.value as Action);
              setQuote(undefined);
            }}
          >
            {actions.map((a) => (
              <option key={a}>{a}</option>
            ))}
          </select>
        </div>
        {action !== 'unsubscribe' && (
          <div class="field">
            <label for={`${id}-periods`}>Periods</label>
            <input id={`${id}-periods`} type="number" min={1} value={periods} onInput={(e) => setPeriods(e.currentTarget.value)} />
            <FieldError message={failure?.at('periods')} />
          </div>
        )}
        <button type="button" onClick={price}>
          Quote the change
        </button>
        <button type="submit" disabled={busy}>
          {action === 'unsubscribe' ? 'Unsubscribe' : `${action[0].toUpperCase()}${action.slice(1)}`}
        </button>
      </div>
      <ErrorNote error={error} />
      {quote !== undefined && <QuoteTable quote={quote} />}
    </form>
  );
}
