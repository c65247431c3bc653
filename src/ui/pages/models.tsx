/** Models: a page at a time (by tenant and name), each with its champion. */
import { api } from '../api.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Time } from '../components/time.tsx';
import { formatMetric } from '../format.ts';
import { href, navigate, type Route } from '../router.ts';
import { useCursorPages } from '../use-cursor-pages.ts';
import { useData } from '../use-data.ts';

const PAGE = 50;

export function ModelsPage({ route }: { route: Route }) {
  const tenant = route.query.get('tenant') ?? '';
  const pages = useCursorPages(tenant);
  const list = useData(() => api.modelOverview(tenant || undefined, { limit: PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) }), [tenant, pages.cursor]);
  const models = list.data?.models ?? [];
  return (
    <>
      <h1>Models</h1>
      <div class="filters">
        <TenantSelect id="models-tenant" value={tenant} onChange={(v) => navigate(['models'], { tenant: v })} />
      </div>
      <ErrorBox error={list.error} />
      {list.data === null && !list.error ? <Loading what="models" /> : null}
      {list.data ? (
        <div class="scroll" role="region" aria-label="Models table" tabIndex={0}>
          <table>
            <caption class="sr-only">
              {list.data.total} models, page {pages.page + 1}
            </caption>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Tenant</th>
                <th scope="col">Task</th>
                <th scope="col">Champion</th>
                <th scope="col">Primary metric</th>
                <th scope="col">Champion since</th>
              </tr>
            </thead>
            <tbody>
              {models.map((m) => (
                <tr key={`${m.tenantId}/${m.model}`}>
                  <th scope="row">
                    <a href={href(['models', m.tenantId, m.model])}>{m.model}</a>
                  </th>
                  <td>{m.tenantId}</td>
                  <td>{m.task}</td>
                  <td>{m.champion ? m.champion.name : 'none yet'}</td>
                  <td>
                    {m.primaryMetric} {m.champion ? formatMetric(m.champion.metrics[m.primaryMetric]) : ''}
                  </td>
                  <td>
                    <Time iso={m.champion?.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">
            {list.data.total.toLocaleString('en-US')} models; page {pages.page + 1} of {Math.max(1, Math.ceil(list.data.total / PAGE))}
          </p>
        </div>
      ) : null}
      <Pager label="Models" canBack={pages.page > 0} next={!!list.data?.nextCursor} onBack={pages.back} onNext={() => pages.next(list.data!.nextCursor!)} />
    </>
  );
}
