/** Schedules: each in plain words, its next fire times in its zone and the viewer's, on or off. */
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { Schedule } from '../api-types.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { TenantSelect } from '../components/fields.tsx';
import { Pager } from '../components/pager.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { viewerZone } from '../format.ts';
import { href, navigate, type Route } from '../router.ts';
import { useCursorPages } from '../use-cursor-pages.ts';
import { useData } from '../use-data.ts';

const PAGE = 50;
/** The next fire times a row shows (the API computes only these: each is a search in the schedule's zone). */
const SHOWN_FIRES = 2;

export function EnableButton({ schedule, onChanged }: { schedule: Schedule; onChanged: (s: Schedule) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const toggle = async () => {
    setBusy(true);
    setError(null);
    try {
      onChanged(await api.setScheduleEnabled(schedule.id, !schedule.enabled));
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={toggle} aria-label={`${schedule.enabled ? 'Disable' : 'Enable'} schedule ${schedule.id}`}>
        {schedule.enabled ? 'Disable' : 'Enable'}
      </button>
      <ErrorBox error={error} />
    </>
  );
}

/** The next fire times in the schedule's zone and in the viewer's. */
export function NextFires({ schedule, count = 5 }: { schedule: Schedule; count?: number }) {
  if (!schedule.enabled) return <span class="muted">disabled: no slot fires</span>;
  if (schedule.nextRuns.length === 0) return <span class="muted">none</span>;
  return (
    <ol class="fires">
      {schedule.nextRuns.slice(0, count).map((iso) => (
        <li key={iso}>
          <Time iso={iso} zone={schedule.timezone} />
          <span class="muted"> · yours: </span>
          <Time iso={iso} />
        </li>
      ))}
    </ol>
  );
}

export function SchedulesPage({ route }: { route: Route }) {
  const tenant = route.query.get('tenant') ?? '';
  const pages = useCursorPages(tenant);
  const list = useData(() => api.schedules(tenant || undefined, { limit: PAGE, upcoming: SHOWN_FIRES, ...(pages.cursor ? { cursor: pages.cursor } : {}) }), [tenant, pages.cursor]);
  const [changed, setChanged] = useState<Record<string, Schedule>>({});
  const rows = useMemo(() => (list.data?.schedules ?? []).map((s) => changed[s.id] ?? s), [list.data, changed]);
  return (
    <>
      <h1>Schedules</h1>
      <p class="muted">Fire times are shown in each schedule's zone and in yours ({viewerZone()}); hover a time for UTC.</p>
      <div class="filters">
        <TenantSelect id="schedules-tenant" value={tenant} onChange={(v) => navigate(['schedules'], { tenant: v })} />
      </div>
      <ErrorBox error={list.error} />
      {list.data === null && !list.error ? <Loading what="schedules" /> : null}
      {list.data ? (
        <div class="scroll" role="region" aria-label="Schedules table" tabIndex={0}>
          <table>
            <caption class="sr-only">Schedules, page {pages.page + 1}</caption>
            <thead>
              <tr>
                <th scope="col">Schedule</th>
                <th scope="col">Tenant · job</th>
                <th scope="col">When</th>
                <th scope="col">State</th>
                <th scope="col">Next fire times</th>
                <th scope="col">Action</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((s) => (
                <tr key={s.id}>
                  <th scope="row">
                    <a href={href(['schedules', s.id])}>{s.id}</a>
                  </th>
                  <td>
                    {s.tenantId} · {s.jobId}
                  </td>
                  <td>{s.description}</td>
                  <td>
                    <Status value={s.enabled ? 'ok' : 'skipped'} label={s.enabled ? 'enabled' : 'disabled'} />
                  </td>
                  <td>
                    <NextFires schedule={s} count={SHOWN_FIRES} />
                  </td>
                  <td>
                    <EnableButton schedule={s} onChanged={(n) => setChanged({ ...changed, [n.id]: n })} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      ) : null}
      <Pager label="Schedules" canBack={pages.page > 0} next={!!list.data?.nextCursor} onBack={pages.back} onNext={() => pages.next(list.data!.nextCursor!)} />
    </>
  );
}
