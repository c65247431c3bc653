/**
 * Notifications: what the outbox sent to each channel, filtered in the address (tenant, status,
 * event, channel), newest first, paged on the server; each one's delivery history (every attempt,
 * its node, status code, error and duration) is read when its row is opened.
 */
import { useState } from 'preact/hooks';
import { addressFilters } from '../address-filters.ts';
import { api } from '../api.ts';
import type { DeliveryAttempt } from '../api-types.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Field, TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { formatCount, formatDuration } from '../format.ts';
import { href, type Route } from '../router.ts';
import { useCursorPages } from '../use-cursor-pages.ts';
import { useData } from '../use-data.ts';

// src/monitor/notify/events.ts's NOTIFICATION_EVENTS.
const EVENTS = ['run.succeeded', 'run.failed', 'run.skipped', 'version.promoted', 'version.rejected', 'model.rollback', 'alert.opened', 'alert.resolved'];
const KEYS = ['tenant', 'status', 'event', 'channel'] as const;
const PAGE = 50;

function Attempts({ attempts }: { attempts: DeliveryAttempt[] }) {
  if (attempts.length === 0) return <p class="muted">No attempt yet.</p>;
  return (
    <ol class="attempts">
      {attempts.map((a) => (
        <li key={a.attempt}>
          attempt {a.attempt}: <Status value={a.ok ? 'delivered' : 'failed'} label={a.ok ? 'delivered' : 'failed'} /> <Time iso={a.at} /> on {a.node}, {formatDuration(a.durationMs)}
          {a.statusCode !== null ? `, HTTP ${a.statusCode}` : ''}
          {a.error ? <span class="muted">: {a.error}</span> : null}
        </li>
      ))}
    </ol>
  );
}

/** The delivery history of an opened row, read when it opens. */
function HistoryDetail({ id }: { id: string }) {
  const detail = useData(() => api.notification(id), [id]);
  return (
    <>
      <ErrorBox error={detail.error} />
      {detail.data === null && !detail.error ? <Loading what="the delivery history" /> : null}
      {detail.data ? <Attempts attempts={detail.data.history} /> : null}
    </>
  );
}

/**
 * The delivery history, read when the row is opened. A closed row runs no loader: the first view
 * of 50 rows would otherwise render each row twice more (a load of nothing, then its answer).
 */
function History({ id, attempts }: { id: string; attempts: number }) {
  const [open, setOpen] = useState(false);
  return (
    <details onToggle={(e) => setOpen((e.currentTarget as HTMLDetailsElement).open)}>
      <summary>{formatCount(attempts, 'attempt')}</summary>
      {open ? <HistoryDetail id={id} /> : null}
    </details>
  );
}

export function NotificationsPage({ route }: { route: Route }) {
  const f = addressFilters(route, 'notifications', KEYS);
  const q = f.values;
  const pages = useCursorPages(f.key);
  const list = useData(
    () => api.notifications({ tenant: q.tenant, status: q.status, event: q.event, channel: q.channel, limit: PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) }),
    [f.key, pages.cursor],
  );
  return (
    <>
      <h1>Notifications</h1>
      <p>
        <a href={href(['alerts'])}>Alerts</a>
      </p>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Notification filters">
        <TenantSelect id="notifications-tenant" value={q.tenant} onChange={(v) => f.set('tenant', v)} />
        <Field id="notifications-status" label="Delivery">
          <select id="notifications-status" value={q.status} onChange={(e) => f.set('status', (e.target as HTMLSelectElement).value)}>
            <option value="">Any delivery state</option>
            <option value="delivered">delivered</option>
            <option value="pending">pending (retrying)</option>
            <option value="dead">dead (given up)</option>
          </select>
        </Field>
        <Field id="notifications-event" label="Event">
          <select id="notifications-event" value={q.event} onChange={(e) => f.set('event', (e.target as HTMLSelectElement).value)}>
            <option value="">Any event</option>
            {EVENTS.map((ev) => (
              <option key={ev} value={ev}>
                {ev}
              </option>
            ))}
          </select>
        </Field>
        <Field id="notifications-channel" label="Channel id">
          <input id="notifications-channel" value={q.channel} placeholder="any channel" onChange={(e) => f.set('channel', (e.target as HTMLInputElement).value.trim())} />
        </Field>
      </form>
      <ErrorBox error={list.error} />
      {list.data === null && !list.error ? <Loading what="notifications" /> : null}
      {list.data ? (
        <div class="scroll" role="region" aria-label="Notifications table" tabIndex={0}>
          <table>
            <caption class="sr-only">Notifications, newest first, page {pages.page + 1}</caption>
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Tenant · channel</th>
                <th scope="col">Created</th>
                <th scope="col">Delivery</th>
                <th scope="col">Last answer</th>
                <th scope="col">Delivery history</th>
              </tr>
            </thead>
            <tbody>
              {list.data.notifications.map((n) => (
                <tr key={n.id}>
                  <th scope="row">{n.event}</th>
                  <td>
                    {n.tenant} · {n.channel}
                  </td>
                  <td>
                    <Time iso={n.createdAt} />
                  </td>
                  <td>
                    <Status value={n.status} />{' '}
                    {n.status === 'delivered' ? (
                      <Time iso={n.deliveredAt} />
                    ) : n.nextAttemptAt ? (
                      <>
                        next try <Time iso={n.nextAttemptAt} />
                      </>
                    ) : null}
                  </td>
                  <td>{n.lastStatusCode !== null ? `HTTP ${n.lastStatusCode}` : n.lastError ? '' : '—'}{n.lastError ? <span class="muted"> {n.lastError}</span> : null}</td>
                  <td>
                    <History id={n.id} attempts={n.attempts} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.notifications.length === 0 ? <p>No notification matches these filters.</p> : null}
        </div>
      ) : null}
      <Pager label="Notifications" canBack={pages.page > 0} next={!!list.data?.nextCursor} onBack={pages.back} onNext={() => pages.next(list.data!.nextCursor!)} />
    </>
  );
}
