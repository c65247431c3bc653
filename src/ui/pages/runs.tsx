/** Runs: filters kept in the address (tenant, job, status, trigger, time), newest first, paged on the server. */
import { useState } from 'preact/hooks';
import { isoToLocal, localToIso } from '../address-filters.ts';
import { api, type RunFilter } from '../api.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Field, TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { formatDuration } from '../format.ts';
import { href, navigate, type Route } from '../router.ts';
import { useData } from '../use-data.ts';

const STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out', 'skipped'];
const TRIGGERS = ['slot', 'manual', 'dependency', 'startup'];
const KEYS = ['tenant', 'job', 'status', 'trigger', 'from', 'to'] as const;

export function RunsPage({ route }: { route: Route }) {
  const q = Object.fromEntries(KEYS.map((k) => [k, route.query.get(k) ?? ''])) as Record<(typeof KEYS)[number], string>;
  const [cursors, setCursors] = useState<string[]>([]);
  const key = KEYS.map((k) => q[k]).join('|');
  const [lastKey, setLastKey] = useState(key);
  if (key !== lastKey) {
    setLastKey(key);
    setCursors([]);
  }
  const cursor = key === lastKey ? cursors.at(-1) : undefined;
  const filter: RunFilter = { tenantId: q.tenant, jobId: q.job, status: q.status, trigger: q.trigger, from: q.from, to: q.to, limit: 50, ...(cursor ? { cursor } : {}) };
  const runs = useData(() => api.runs(filter), [key, cursor]);
  const set = (k: (typeof KEYS)[number], v: string) => navigate(['runs'], { ...q, [k]: v });

  return (
    <>
      <h1>Runs</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Run filters">
        <TenantSelect id="runs-tenant" value={q.tenant} onChange={(v) => set('tenant', v)} />
        <Field id="runs-job" label="Job id">
          <input id="runs-job" value={q.job} placeholder="any job" onChange={(e) => set('job', (e.target as HTMLInputElement).value.trim())} />
        </Field>
        <Field id="runs-status" label="Status">
          <select id="runs-status" value={q.status} onChange={(e) => set('status', (e.target as HTMLSelectElement).value)}>
            <option value="">Any status</option>
            <option value="running,queued">running or queued</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </Field>
        <Field id="runs-trigger" label="Trigger">
          <select id="runs-trigger" value={q.trigger} onChange={(e) => set('trigger', (e.target as HTMLSelectElement).value)}>
            <option value="">Any trigger</option>
            {TRIGGERS.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </Field>
        <Field id="runs-from" label="Queued from (your time)">
          <input id="runs-from" type="datetime-local" value={isoToLocal(q.from || null)} onChange={(e) => set('from', localToIso((e.target as HTMLInputElement).value))} />
        </Field>
        <Field id="runs-to" label="Queued until (your time)">
          <input id="runs-to" type="datetime-local" value={isoToLocal(q.to || null)} onChange={(e) => set('to', localToIso((e.target as HTMLInputElement).value))} />
        </Field>
      </form>
      <ErrorBox error={runs.error} />
      {runs.data === null && !runs.error ? <Loading what="runs" /> : null}
      {runs.data ? (
        <div class="scroll" role="region" aria-label="Runs table" tabIndex={0}>
          <table>
            <caption class="sr-only">Runs, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Tenant · job</th>
                <th scope="col">Status</th>
                <th scope="col">Trigger</th>
                <th scope="col">Queued</th>
                <th scope="col">Duration</th>
                <th scope="col">Outcome</th>
              </tr>
            </thead>
            <tbody>
              {runs.data.runs.map((r) => (
                <tr key={r.id}>
                  <th scope="row">
                    <a href={href(['runs', r.id])}>{r.id}</a>
                  </th>
                  <td>
                    {r.tenantId} · {r.jobId}
                  </td>
                  <td>
                    <Status value={r.status} />
                  </td>
                  <td>{r.trigger}</td>
                  <td>
                    <Time iso={r.queuedAt} />
                  </td>
                  <td>{formatDuration(r.durationMs)}</td>
                  <td>{r.outcome ?? r.reason ?? r.error?.code ?? ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {runs.data.runs.length === 0 ? <p>No run matches these filters.</p> : null}
        </div>
      ) : null}
      <Pager label="Runs" canBack={cursors.length > 0} next={!!runs.data?.nextCursor} onBack={() => setCursors(cursors.slice(0, -1))} onNext={() => setCursors([...cursors, runs.data!.nextCursor!])} />
    </>
  );
}
