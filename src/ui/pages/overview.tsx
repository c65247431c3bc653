/**
 * Overview: the service's health (GET /health/summary: one store ping, never the per-model
 * report), what runs and waits, the open alerts, and per tenant each model's champion, its age,
 * last run, next slot, live metric and trend.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { ChampionLive, HealthSummary, TrendResult } from '../api-types.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { formatMetric, relative, utcTitle } from '../format.ts';
import { href } from '../router.ts';
import { useCursorPages } from '../use-cursor-pages.ts';
import { useData } from '../use-data.ts';

const PAGE = 25;
const ARROW: Record<TrendResult['trend'], string | null> = { improving: '↑', stable: '→', declining: '↓', insufficient: null };

function HealthPanel({ health }: { health: HealthSummary }) {
  const ready = health.status === 'ok';
  return (
    <section aria-labelledby="health-h" class="panel">
      <h2 id="health-h">Service health</h2>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <Status value={ready ? 'ok' : 'unavailable'} label={ready ? 'ready' : 'not ready'} />
          </dd>
        </div>
        <div>
          <dt>Store</dt>
          <dd>
            {health.store.dialect}, {health.store.reachable ? 'reachable' : `unreachable: ${health.store.error ?? ''}`}
          </dd>
        </div>
        <div>
          <dt>Scheduler</dt>
          <dd>{health.scheduler}</dd>
        </div>
        <div>
          <dt>Workers</dt>
          <dd>
            {health.workers}, {health.running} of {health.concurrency} slots busy
          </dd>
        </div>
        <div>
          <dt>Draining</dt>
          <dd>{health.draining ? 'yes: shutting down' : 'no'}</dd>
        </div>
        <div>
          <dt>Node</dt>
          <dd>{health.node}</dd>
        </div>
      </dl>
      {health.reasons.length ? (
        <ul class="reasons" aria-label="Why it is not ready">
          {health.reasons.slice(0, 10).map((r) => (
            <li key={r}>{r}</li>
          ))}
          {health.reasons.length > 10 ? <li>… and {health.reasons.length - 10} more</li> : null}
        </ul>
      ) : null}
    </section>
  );
}

function InFlight() {
  const runs = useData(() => api.inFlight(20), [], { pollMs: 5000 });
  const list = runs.data ? [...runs.data.running, ...runs.data.queued] : [];
  return (
    <section aria-labelledby="inflight-h" class="panel">
      <h2 id="inflight-h">Running and queued runs</h2>
      <ErrorBox error={runs.error} />
      {runs.data === null ? (
        <Loading what="runs" />
      ) : list.length === 0 ? (
        <p>Nothing is running or queued.</p>
      ) : (
        <ul class="plain">
          {list.map((r) => (
            <li key={r.id}>
              <Status value={r.status} /> <a href={href(['runs', r.id])}>{r.jobId}</a> for {r.tenantId}, {r.status === 'running' && r.startedAt ? <>started {relative(r.startedAt)}</> : <>queued {relative(r.queuedAt)}</>}
              {r.eta ? <>, ETA <Time iso={r.eta} /></> : null}
            </li>
          ))}
        </ul>
      )}
      {runs.data && (runs.data.running.length === 20 || runs.data.queued.length === 20) ? <a href={href(['runs'], { status: 'running,queued' })}>All of them</a> : null}
    </section>
  );
}

const ALERTS = 10;

/** The open alerts (acknowledged ones are handled: the alerts page lists them). */
function OpenAlerts() {
  const alerts = useData(() => api.alerts({ status: 'open', limit: ALERTS }), [], { pollMs: 15_000 });
  const list = alerts.data?.alerts ?? [];
  return (
    <section aria-labelledby="alerts-h" class="panel">
      <h2 id="alerts-h">Open alerts</h2>
      <ErrorBox error={alerts.error} />
      {alerts.data === null && !alerts.error ? (
        <Loading what="alerts" />
      ) : alerts.data && list.length === 0 ? (
        <p>No open alert.</p>
      ) : (
        <ul class="plain">
          {list.map((a) => (
            <li key={a.id}>
              <Status value={a.severity} /> <strong>{a.type}</strong> · {a.tenantId}
              {a.model ? <> · <a href={href(['models', a.tenantId, a.model])}>{a.model}</a></> : a.subject ? ` · ${a.subject}` : ''}, opened <Time iso={a.openedAt} />
              <br />
              <span class="muted">{a.message}</span>
            </li>
          ))}
        </ul>
      )}
      {alerts.data ? <a href={href(['alerts'], { status: 'open' })}>{alerts.data.nextCursor ? `All open alerts (more than ${ALERTS})` : 'Acknowledge them on the alerts page'}</a> : null}
    </section>
  );
}

/** The champion's live metric and the monitor's trend of its latest points, read with the page's rows. */
function LiveCell({ live }: { live: ChampionLive | null }) {
  if (!live) return <span class="muted">no labels yet</span>;
  const t = live.trend;
  const arrow = ARROW[t.trend];
  return (
    <span>
      {live.metric} {formatMetric(live.value)} <span class="muted">({live.labelled} rows)</span>
      {arrow ? (
        <span class={`trend trend-${t.trend}`} title={`${t.trend} over the last ${t.points} live points (Theil–Sen slope)`}>
          {' '}
          {arrow} <span class="sr-only">{t.trend}</span>
        </span>
      ) : null}
    </span>
  );
}

function ModelsTable() {
  const [tenant, setTenant] = useState('');
  const pages = useCursorPages(tenant);
  const data = useData(() => api.modelOverview(tenant || undefined, { limit: PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) }), [tenant, pages.cursor]);
  const rows = data.data?.models ?? [];
  return (
    <section aria-labelledby="models-h" class="panel wide">
      <h2 id="models-h">Models and their champions</h2>
      <div class="filters">
        <TenantSelect id="overview-tenant" value={tenant} onChange={setTenant} />
      </div>
      <ErrorBox error={data.error} />
      {data.data === null && !data.error ? <Loading what="models" /> : null}
      {data.data ? (
        <div class="scroll" role="region" aria-labelledby="models-h" tabIndex={0}>
          <table>
            <caption class="sr-only">
              {data.data.total} models{tenant ? ` of ${tenant}` : ''}, page {pages.page + 1}
            </caption>
            <thead>
              <tr>
                <th scope="col">Tenant</th>
                <th scope="col">Model</th>
                <th scope="col">Champion</th>
                <th scope="col">Age</th>
                <th scope="col">Last run</th>
                <th scope="col">Next slot</th>
                <th scope="col">Live metric</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((m) => (
                <tr key={`${m.tenantId}/${m.model}`}>
                  <td>{m.tenantId}</td>
                  <th scope="row">
                    <a href={href(['models', m.tenantId, m.model])}>{m.model}</a>
                  </th>
                  <td>{m.champion ? `v${m.champion.version} (${m.primaryMetric} ${formatMetric(m.champion.metrics[m.primaryMetric])})` : 'none yet'}</td>
                  <td>{m.champion ? <span title={utcTitle(m.champion.createdAt)}>{relative(m.champion.createdAt).replace(' ago', '')}</span> : '—'}</td>
                  <td>
                    {m.lastRun ? (
                      <>
                        <Status value={m.lastRun.status} />{' '}
                        <a href={href(['runs', m.lastRun.id])}>
                          <Time iso={m.lastRun.finishedAt ?? m.lastRun.queuedAt} />
                        </a>
                      </>
                    ) : (
                      'never'
                    )}
                  </td>
                  <td>
                    <Time iso={m.nextSlotAt} />
                  </td>
                  <td>{m.champion ? <LiveCell live={m.live} /> : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {data.data.total > 0 ? (
            <p class="muted">
              {data.data.total.toLocaleString('en-US')} models{tenant ? ` of ${tenant}` : ''}; page {pages.page + 1} of {Math.ceil(data.data.total / PAGE)}
            </p>
          ) : (
            <p>No model is declared yet.</p>
          )}
        </div>
      ) : null}
      <Pager label="Models" canBack={pages.page > 0} next={!!data.data?.nextCursor} onBack={pages.back} onNext={() => pages.next(data.data!.nextCursor!)} />
    </section>
  );
}

export function OverviewPage() {
  const health = useData(() => api.health(), [], { pollMs: 10_000 });
  return (
    <>
      <h1>Overview</h1>
      <div class="grid">
        {health.data ? <HealthPanel health={health.data} /> : <ErrorBox error={health.error} />}
        <InFlight />
        <OpenAlerts />
      </div>
      <ModelsTable />
    </>
  );
}
