/** Decisions: a model's retrain assessments, each rule's value against its threshold; trained or skipped. */
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { AssessmentView } from '../components/assessment-view.tsx';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Field, useTenants } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Time } from '../components/time.tsx';
import { href, navigate, type Route } from '../router.ts';
import { useData } from '../use-data.ts';

export function DecisionsPage({ route }: { route: Route }) {
  const tenants = useTenants();
  const asked = route.query.get('tenant') ?? '';
  const name = route.query.get('model') ?? '';
  const show = route.query.get('show') ?? 'all';
  // Without a tenant in the address: the first model of all (by tenant, then name) names both.
  const first = useData(() => (asked ? Promise.resolve(null) : api.modelOverview(undefined, { limit: 1 })), [asked]);
  const tenant = asked || first.data?.models[0]?.tenantId || '';
  // The picker lists one tenant's models (at most 500), not every model of every tenant.
  const models = useData(() => (tenant ? api.modelOverview(tenant, { limit: 500 }) : Promise.resolve(null)), [tenant]);
  // The decisions do not wait for the picker's list when the model is known already (named in the
  // address, or the first model of all, which is its tenant's first): both load at once. Once the
  // list is in, a name it does not hold falls back to the tenant's first model, as before.
  const chosen = useMemo(() => {
    if (models.data) {
      const list = models.data.models;
      const found = list.find((m) => m.model === name) ?? list[0];
      return found ? { tenantId: found.tenantId, name: found.model } : null;
    }
    if (tenant && name) return { tenantId: tenant, name };
    const top = asked ? undefined : first.data?.models[0];
    return top ? { tenantId: top.tenantId, name: top.model } : null;
  }, [models.data, tenant, name, asked, first.data]);
  const [cursors, setCursors] = useState<string[]>([]);
  const cursor = cursors.at(-1);
  const page = useData(
    () => (chosen ? api.assessments(chosen.tenantId, chosen.name, { limit: 25, ...(cursor ? { cursor } : {}) }) : Promise.resolve(null)),
    [chosen?.tenantId, chosen?.name, cursor],
  );
  const rows = (page.data?.assessments ?? []).filter((a) => show === 'all' || (show === 'trained') === a.assessment.train);
  const pick = (t: string, m: string) => {
    setCursors([]);
    navigate(['decisions'], { tenant: t, model: m, show });
  };
  return (
    <>
      <h1>Retrain decisions</h1>
      <ErrorBox error={models.error} />
      <form class="filters" aria-label="Decision filters" onSubmit={(e) => e.preventDefault()}>
        <Field id="decisions-tenant" label="Tenant">
          <select id="decisions-tenant" value={tenant} disabled={!tenant} onChange={(e) => pick((e.target as HTMLSelectElement).value, '')}>
            {tenants.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name} ({t.id})
              </option>
            ))}
          </select>
        </Field>
        {chosen && models.data ? (
          <Field id="decisions-model" label="Model">
            <select id="decisions-model" value={chosen.name} onChange={(e) => pick(tenant, (e.target as HTMLSelectElement).value)}>
              {models.data.models.map((m) => (
                <option key={m.model} value={m.model}>
                  {m.model}
                </option>
              ))}
            </select>
          </Field>
        ) : null}
        {chosen ? (
            <Field id="decisions-show" label="Show">
              <select id="decisions-show" value={show} onChange={(e) => navigate(['decisions'], { tenant: chosen.tenantId, model: chosen.name, show: (e.target as HTMLSelectElement).value })}>
                <option value="all">all decisions</option>
                <option value="trained">the ones that trained</option>
                <option value="skipped">the ones that skipped</option>
              </select>
            </Field>
        ) : null}
      </form>
      {models.data === null && !models.error && !chosen && (asked || !first.data || first.data.models.length > 0) ? <Loading what="models" /> : null}
      {first.data && first.data.models.length === 0 ? <p>No model is declared yet.</p> : null}
      {models.data && !chosen ? <p>No model is declared for this tenant yet.</p> : null}
      {chosen ? (
        <>
          <p>
            <a href={href(['models', chosen.tenantId, chosen.name])}>Model {chosen.name} of {chosen.tenantId}</a>
          </p>
          <ErrorBox error={page.error} />
          {page.data === null && !page.error ? <Loading what="decisions" /> : null}
          {page.data && rows.length === 0 ? <p>No decision on this page matches.</p> : null}
          <ol class="decisions">
            {rows.map((a) => (
              <li key={a.id} class="panel wide">
                <h2 class="h3">
                  <Time iso={a.at} />
                  {a.runId ? (
                    <>
                      {' '}
                      · <a href={href(['runs', a.runId])}>run {a.runId}</a>
                    </>
                  ) : null}
                </h2>
                <AssessmentView assessment={a.assessment} caption={`Rules of the decision at ${a.at}`} />
              </li>
            ))}
          </ol>
          <Pager label="Decision" canBack={cursors.length > 0} next={!!page.data?.nextCursor} onBack={() => setCursors(cursors.slice(0, -1))} onNext={() => setCursors([...cursors, page.data!.nextCursor!])} />
        </>
      ) : null}
    </>
  );
}
