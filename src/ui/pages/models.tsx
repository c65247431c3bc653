/** Models: every model with its champion, by tenant. */
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Time } from '../components/time.tsx';
import { formatMetric } from '../format.ts';
import { href, navigate, type Route } from '../router.ts';
import { useData } from '../use-data.ts';

const PAGE = 50;

export function ModelsPage({ route }: { route: Route }) {
  const tenant = route.query.get('tenant') ?? '';
  const list = useData(() => api.models(tenant || undefined), [tenant]);
  const [page, setPage] = useState(0);
  const models = useMemo(() => list.data?.models ?? [], [list.data]);
  return (
    <>
      <h1>Models</h1>
      <div class="filters">
        <TenantSelect
          id="models-tenant"
          value={tenant}
          onChange={(v) => {
            setPage(0);
            navigate(['models'], { tenant: v });
          }}
        />
      </div>
      <ErrorBox error={list.error} />
      {list.data === null && !list.error ? <Loading what="models" /> : null}
      {list.data ? (
        <div class="scroll" role="region" aria-label="Models table" tabIndex={0}>
          <table>
            <caption class="sr-only">{models.length} models</caption>
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
              {models.slice(page * PAGE, (page + 1) * PAGE).map((m) => (
                <tr key={`${m.tenantId}/${m.name}`}>
                  <th scope="row">
                    <a href={href(['models', m.tenantId, m.name])}>{m.name}</a>
                  </th>
                  <td>{m.tenantId}</td>
                  <td>{m.definition.task}</td>
                  <td>{m.champion ? m.champion.name : 'none yet'}</td>
                  <td>
                    {m.definition.primaryMetric} {m.champion ? formatMetric(m.champion.metrics[m.definition.primaryMetric]) : ''}
                  </td>
                  <td>
                    <Time iso={m.champion?.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager label="Models" canBack={page > 0} next={(page + 1) * PAGE < models.length} onBack={() => setPage(page - 1)} onNext={() => setPage(page + 1)} />
    </>
  );
}
