/** Upstream notifications: webhooks and G2P Connect callbacks delivered, and dead letters (given up). */
import { useState } from 'preact/hooks';
import { api, query, type NotificationPage } from './api';
import { Card, ErrorNote, Figure, StatusBadge, Updated, usePoll } from './components';
import { count, shortId, when } from './format';

const TABS: Array<[string, string]> = [['', 'All'], ['dead', 'Dead letters'], ['delivered', 'Delivered'], ['pending', 'Pending']];

export function Notifications() {
  const [outcome, setOutcome] = useState('dead');
  const q = query({ outcome, limit: 200 });
  const page = usePoll(() => api<NotificationPage>(`/v1/notifications${q}`), 3000, q);
  const n = page.data?.counts;
  const durable = page.data?.source === 'outbox';
  return (
    <div class="page">
      <div class="figures">
        <Figure label="Dead letters" value={count(n?.dead)} tone={n?.dead ? 'bad' : ''} sub="given up after every attempt"
          testid="fig-dead" />
        <Figure label="Delivered" value={count(n?.delivered)} tone="good" />
        <Figure label="Pending" value={durable ? count(n?.pending) : '—'}
          sub={durable ? 'waiting in the outbox' : 'shown once deliveries are stored'} />
      </div>
      {page.data && !durable && (
        <div class="note info">
          Kept in memory since the orchestrator started ({when(page.data.since)}): a restart forgets them, and a delivery being retried
          when it stops is not resumed. Once deliveries go through a durable outbox, pending ones are listed here too.
        </div>
      )}
      <Card title="Notifications" actions={<Updated at={page.updatedAt} error={page.error} />} testid="notifications">
        <div class="tabs">
          {TABS.map(([v, label]) => <button key={v} class={`tab ${outcome === v ? 'on' : ''}`}
            onClick={() => setOutcome(v)}>{label}</button>)}
        </div>
        <ErrorNote error={page.error} />
        <div class="table-wrap">
          <table class="grid compact">
            <thead><tr><th>When</th><th>Channel</th><th>Event</th><th>Batch</th><th>Sent to</th><th
              class="r">Attempts</th><th>Outcome</th><th>Last error</th></tr></thead>
            <tbody>
              {page.data?.items.map((e) => (
                <tr key={e.id} data-testid="notification-row" data-outcome={e.outcome}>
                  <td class="nowrap">{when(e.at)}</td><td>{e.channel}</td><td>{e.event}</td>
                  <td><a href={`#/batches/${encodeURIComponent(e.batchId)}`} class="mono">{shortId(e.batchId)}</a></td>
                  <td class="mono small wrap">{e.url}</td><td class="r num">{e.attempts}</td>
                  <td><StatusBadge status={e.outcome === 'dead' ? 'FAILED' : e.outcome === 'delivered' ? 'COMPLETED' : 'PROCESSING'} /></td>
                  <td class="small wrap">{e.lastError ?? '—'}</td>
                </tr>
              ))}
              {page.data && page.data.items.length === 0 && <tr><td colSpan={8}
                class="empty">{outcome === 'dead' ? 'No dead letters: every notification was delivered or is still being tried.'
                  : 'Nothing here yet.'}</td></tr>}
            </tbody>
          </table>
        </div>
      </Card>
    </div>
  );
}
