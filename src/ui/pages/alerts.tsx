/**
 * Alerts: open, acknowledged and resolved, filtered in the address (tenant, status, type, model),
 * newest first, paged on the server; an open alert has an acknowledge button (operator and above).
 */
import { useState } from 'preact/hooks';
import { addressFilters } from '../address-filters.ts';
import { api } from '../api.ts';
import type { Alert } from '../api-types.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Field, TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { formatMetric } from '../format.ts';
import { href, type Route } from '../router.ts';
import { useCursorPages } from '../use-cursor-pages.ts';
import { useData } from '../use-data.ts';

// src/monitor/alert-rules.ts's ALERT_TYPES (the UI bundle does not import the server's modules).
const TYPES = ['LOW_ACCURACY', 'TRAINING_FAILURE', 'REPEATED_FAILURES', 'STUCK_JOB', 'MODEL_DEGRADATION', 'DATA_DRIFT', 'STALE_MODEL', 'NOTIFICATION_FAILING'];
const KEYS = ['tenant', 'status', 'type', 'model'] as const;
const PAGE = 50;

function State({ alert }: { alert: Alert }) {
  if (alert.status === 'resolved') {
    return (
      <>
        <Status value="resolved" /> <Time iso={alert.resolvedAt} />
        {alert.resolution ? <span class="muted"> ({alert.resolution})</span> : null}
      </>
    );
  }
  if (alert.status === 'acknowledged') {
    return (
      <>
        <Status value="acknowledged" /> <Time iso={alert.acknowledgedAt} />
        {alert.acknowledgedBy ? <span class="muted"> by {alert.acknowledgedBy}</span> : null}
      </>
    );
  }
  return <Status value="open" />;
}

export function AlertsPage({ route }: { route: Route }) {
  const f = addressFilters(route, 'alerts', KEYS);
  const q = f.values;
  const pages = useCursorPages(f.key);
  const alerts = useData(
    () => api.alerts({ tenantId: q.tenant, status: q.status, type: q.type, model: q.model, limit: PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) }),
    [f.key, pages.cursor],
  );
  const [acting, setActing] = useState<{ id: string; error: Error | null } | null>(null);
  const [done, setDone] = useState('');
  const acknowledge = async (a: Alert) => {
    setActing({ id: a.id, error: null });
    setDone('');
    try {
      const acked = await api.acknowledge(a.id, a.tenantId);
      setDone(`Acknowledged ${acked.type} of ${acked.tenantId}${acked.model ? `/${acked.model}` : ''}${acked.acknowledgedBy ? ` as ${acked.acknowledgedBy}` : ''}.`);
      setActing(null);
      alerts.reload();
    } catch (error) {
      setActing({ id: a.id, error: error as Error });
    }
  };

  return (
    <>
      <h1>Alerts</h1>
      <p>
        <a href={href(['notifications'])}>Notifications and their delivery history</a>
      </p>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Alert filters">
        <TenantSelect id="alerts-tenant" value={q.tenant} onChange={(v) => f.set('tenant', v)} />
        <Field id="alerts-status" label="Status">
          <select id="alerts-status" value={q.status} onChange={(e) => f.set('status', (e.target as HTMLSelectElement).value)}>
            <option value="">Any status</option>
            <option value="active">open or acknowledged</option>
            <option value="open">open</option>
            <option value="acknowledged">acknowledged</option>
            <option value="resolved">resolved</option>
          </select>
        </Field>
        <Field id="alerts-type" label="Type">
          <select id="alerts-type" value={q.type} onChange={(e) => f.set('type', (e.target as HTMLSelectElement).value)}>
            <option value="">Any type</option>
            {TYPES.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
        <Field id="alerts-model" label="Model">
          <input id="alerts-model" value={q.model} placeholder="any model" onChange={(e) => f.set('model', (e.target as HTMLInputElement).value.trim())} />
        </Field>
      </form>
      <p role="status" class="muted">
        {done}
      </p>
      <ErrorBox error={alerts.error ?? acting?.error ?? null} />
      {alerts.data === null && !alerts.error ? <Loading what="alerts" /> : null}
      {alerts.data ? (
        <div class="scroll" role="region" aria-label="Alerts table" tabIndex={0}>
          <table>
            <caption class="sr-only">Alerts, newest first, page {pages.page + 1}</caption>
            <thead>
              <tr>
                <th scope="col">Alert</th>
                <th scope="col">Tenant · model</th>
                <th scope="col">What</th>
                <th scope="col">Value (threshold)</th>
                <th scope="col">Opened</th>
                <th scope="col">State</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {alerts.data.alerts.map((a) => (
                <tr key={a.id}>
                  <th scope="row">
                    <Status value={a.severity} /> {a.type}
                  </th>
                  <td>
                    {a.tenantId} · {a.model ? <a href={href(['models', a.tenantId, a.model])}>{a.model}</a> : (a.subject ?? 'the tenant')}
                  </td>
                  <td class="message">{a.message}</td>
                  <td>
                    {a.value === null ? '—' : formatMetric(a.value)}
                    {a.threshold === null ? '' : ` (${formatMetric(a.threshold)})`}
                  </td>
                  <td>
                    <Time iso={a.openedAt} />
                  </td>
                  <td>
                    <State alert={a} />
                  </td>
                  <td>
                    {a.status === 'open' ? (
                      <button type="button" disabled={acting?.id === a.id && !acting.error} onClick={() => void acknowledge(a)} aria-label={`Acknowledge ${a.type} of ${a.tenantId}${a.model ? `/${a.model}` : a.subject ? ` ${a.subject}` : ''}`}>
                        Acknowledge
                      </button>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          {alerts.data.alerts.length === 0 ? <p>No alert matches these filters.</p> : null}
        </div>
      ) : null}
      <Pager label="Alerts" canBack={pages.page > 0} next={!!alerts.data?.nextCursor} onBack={pages.back} onNext={() => pages.next(alerts.data!.nextCursor!)} />
    </>
  );
}
