/**
 * Audit: who changed what and when, filtered in the address (tenant, action or action prefix,
 * subject, target, time), newest first, paged on the server. An admin reads its tenant's entries;
 * the installation's own only a super admin.
 */
import { addressFilters, isoToLocal, localToIso } from '../address-filters.ts';
import { api } from '../api.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Field, TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Time } from '../components/time.tsx';
import { href, type Route } from '../router.ts';
import { useCursorPages } from '../use-cursor-pages.ts';
import { useData } from '../use-data.ts';

const KEYS = ['tenant', 'action', 'subject', 'target', 'from', 'to'] as const;
const PAGE = 50;
const SHOWN = 160;

/** A state summary as compact JSON, cut at SHOWN characters (the whole of it on hover). */
function Change({ value }: { value: unknown }) {
  if (value === null || value === undefined) return <span class="muted">—</span>;
  const text = JSON.stringify(value);
  return <code title={text.length > SHOWN ? text : undefined}>{text.length > SHOWN ? `${text.slice(0, SHOWN)}…` : text}</code>;
}

/** A target that is a run or a model links to its page. */
function Target({ target }: { target: string }) {
  const [kind, a, b] = target.split('/');
  if (kind === 'run' && a) return <a href={href(['runs', a])}>{target}</a>;
  if (kind === 'model' && a && b) return <a href={href(['models', a, b])}>{target}</a>;
  if (kind === 'schedule' && a) return <a href={href(['schedules', a])}>{target}</a>;
  return <span>{target}</span>;
}

export function AuditPage({ route }: { route: Route }) {
  const f = addressFilters(route, 'audit', KEYS);
  const q = f.values;
  const pages = useCursorPages(f.key);
  const list = useData(
    () => api.audit({ tenantId: q.tenant, action: q.action, subject: q.subject, target: q.target, from: q.from, to: q.to, limit: PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) }),
    [f.key, pages.cursor],
  );
  return (
    <>
      <h1>Audit log</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Audit filters">
        <TenantSelect id="audit-tenant" value={q.tenant} onChange={(v) => f.set('tenant', v)} />
        <Field id="audit-action" label="Action" hint="model.promote, or model. for all of a kind">
          <input id="audit-action" value={q.action} placeholder="any action" aria-describedby="audit-action-hint" onChange={(e) => f.set('action', (e.target as HTMLInputElement).value.trim())} />
        </Field>
        <Field id="audit-subject" label="Who">
          <input id="audit-subject" value={q.subject} placeholder="anyone" onChange={(e) => f.set('subject', (e.target as HTMLInputElement).value.trim())} />
        </Field>
        <Field id="audit-target" label="Target" hint="run/…, model/acme/failure">
          <input id="audit-target" value={q.target} placeholder="any target" aria-describedby="audit-target-hint" onChange={(e) => f.set('target', (e.target as HTMLInputElement).value.trim())} />
        </Field>
        <Field id="audit-from" label="From (your time)">
          <input id="audit-from" type="datetime-local" value={isoToLocal(q.from || null)} onChange={(e) => f.set('from', localToIso((e.target as HTMLInputElement).value))} />
        </Field>
        <Field id="audit-to" label="Until (your time)">
          <input id="audit-to" type="datetime-local" value={isoToLocal(q.to || null)} onChange={(e) => f.set('to', localToIso((e.target as HTMLInputElement).value))} />
        </Field>
      </form>
      <ErrorBox error={list.error} />
      {list.data === null && !list.error ? <Loading what="audit entries" /> : null}
      {list.data ? (
        <div class="scroll" role="region" aria-label="Audit table" tabIndex={0}>
          <table>
            <caption class="sr-only">Audit entries, newest first, page {pages.page + 1}</caption>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">Action</th>
                <th scope="col">Target</th>
                <th scope="col">Tenant</th>
                <th scope="col">Before</th>
                <th scope="col">After</th>
                <th scope="col">Request</th>
              </tr>
            </thead>
            <tbody>
              {list.data.entries.map((e) => (
                <tr key={e.id}>
                  <th scope="row">
                    <Time iso={e.at} />
                  </th>
                  <td>
                    {e.subject} <span class="muted">({e.via})</span>
                  </td>
                  <td>{e.action}</td>
                  <td>
                    <Target target={e.target} />
                  </td>
                  <td>{e.tenantId ?? <span class="muted">installation</span>}</td>
                  <td>
                    <Change value={e.before} />
                  </td>
                  <td>
                    <Change value={e.after} />
                  </td>
                  <td>{e.requestId ?? '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {list.data.entries.length === 0 ? <p>No audit entry matches these filters.</p> : null}
        </div>
      ) : null}
      <Pager label="Audit" canBack={pages.page > 0} next={!!list.data?.nextCursor} onBack={pages.back} onNext={() => pages.next(list.data!.nextCursor!)} />
    </>
  );
}
