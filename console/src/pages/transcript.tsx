/** A transcript as a timeline: each host call the plugin made, in order, with its arguments and answer. */
import { Empty } from '../ui/bits';
import { stringify } from '../api/json';

export function Transcript({ calls, highlight }: { calls: Record<string, unknown>[]; highlight?: number }) {
  return (
    <>
      <h3>Host calls</h3>
      {calls.length === 0 ? (
        <Empty>The plugin made no host call.</Empty>
      ) : (
        <ol class="timeline" aria-label="transcript">
          {calls.map((c, i) => {
            const { call, result, ...args } = c;
            return (
              <li key={i} class={i === highlight ? 'diverged' : undefined}>
                <span class="index">#{i}</span> <strong>{String(call)}</strong>
                {Object.keys(args).length > 0 && <code class="args">{stringify(args)}</code>}
                {result !== undefined && <code class="answer">→ {stringify(result)}</code>}
              </li>
            );
          })}
        </ol>
      )}
    </>
  );
}
