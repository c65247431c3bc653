/** One run: its attempts, stages, assessment, metrics and log tail (followed while it runs); cancel, re-trigger. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { RunDetail } from '../api-types.ts';
import { AssessmentView } from '../components/assessment-view.tsx';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { formatDuration, formatMetric } from '../format.ts';
import { href, navigate } from '../router.ts';
import { useData } from '../use-data.ts';

const active = (r: RunDetail) => r.status === 'queued' || r.status === 'running';

function Actions({ run, reload }: { run: RunDetail; reload: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<Error | null>(null);
  const [message, setMessage] = useState('');
  const act = async (what: () => Promise<void>) => {
    setBusy(true);
    setError(null);
    try {
      await what();
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };
  const cancel = () =>
    act(async () => {
      const r = await api.cancelRun(run.id);
      setMessage(r.result === 'cancelled' ? 'Cancelled: the queued run will not start.' : 'Cancel requested: the run is being stopped.');
      reload();
    });
  const retrigger = () =>
    act(async () => {
      const r = await api.trigger(run.jobId, { tenantId: run.tenantId, mode: 'queue', ...(run.params ? { params: run.params } : {}) });
      navigate(['runs', r.runId]);
    });
  return (
    <div class="actions">
      {active(run) ? (
        <button type="button" disabled={busy} onClick={cancel}>
          Cancel run
        </button>
      ) : null}
      <button type="button" disabled={busy} onClick={retrigger}>
        Re-trigger {run.jobId}
      </button>
      {message ? <span role="status">{message}</span> : null}
      <ErrorBox error={error} />
    </div>
  );
}

function LogTail({ text, following }: { text: string; following: boolean }) {
  const ref = useRef<HTMLPreElement>(null);
  useEffect(() => {
    if (ref.current) ref.current.scrollTop = ref.current.scrollHeight;
  }, [text]);
  return (
    <section class="panel wide" aria-labelledby="log-h">
      <h2 id="log-h">Log tail {following ? <span class="muted">(following while it runs)</span> : null}</h2>
      <pre ref={ref} class="log" tabIndex={0} aria-label="Log tail">
        {text || '(empty)'}
      </pre>
    </section>
  );
}

export function RunDetailPage({ id }: { id: string }) {
  const run = useData(() => api.run(id), [id], { pollMs: 2000, poll: active });
  const r = run.data;
  if (!r) return run.error ? <ErrorBox error={run.error} /> : <Loading what="the run" />;
  const metrics = Object.entries(r.metrics);
  return (
    <>
      <p>
        <a href={href(['runs'])}>← Runs</a>
      </p>
      <h1>Run {r.id}</h1>
      <Actions run={r} reload={run.reload} />
      <div class="grid">
        <section class="panel" aria-labelledby="run-h">
          <h2 id="run-h">Summary</h2>
          <dl class="facts">
            <div>
              <dt>Status</dt>
              <dd>
                <Status value={r.status} /> {r.outcome ? `outcome ${r.outcome}` : ''} {r.reason ? `(${r.reason})` : ''}
              </dd>
            </div>
            <div>
              <dt>Tenant · job</dt>
              <dd>
                {r.tenantId} · {r.jobId}
              </dd>
            </div>
            <div>
              <dt>Trigger</dt>
              <dd>
                {r.trigger}
                {r.scheduleId ? (
                  <>
                    {' '}
                    by <a href={href(['schedules', r.scheduleId])}>{r.scheduleId}</a>, slot <Time iso={r.slotAt} />
                  </>
                ) : null}
              </dd>
            </div>
            <div>
              <dt>Attempt</dt>
              <dd>
                {r.attempt} of {r.maxAttempts}
              </dd>
            </div>
            <div>
              <dt>Queued · started · finished</dt>
              <dd>
                <Time iso={r.queuedAt} /> · <Time iso={r.startedAt} /> · <Time iso={r.finishedAt} />
              </dd>
            </div>
            <div>
              <dt>Duration</dt>
              <dd>{formatDuration(r.durationMs)}</dd>
            </div>
            {r.lateMs ? (
              <div>
                <dt>Late</dt>
                <dd>{formatDuration(r.lateMs)}</dd>
              </div>
            ) : null}
            {active(r) ? (
              <div>
                <dt>ETA</dt>
                <dd>{r.eta ? <Time iso={r.eta} ago /> : 'unknown (no earlier success to go by)'}</dd>
              </div>
            ) : null}
            {r.error ? (
              <div>
                <dt>Error</dt>
                <dd>
                  {r.error.code}: {r.error.message}
                </dd>
              </div>
            ) : null}
          </dl>
        </section>
        <section class="panel" aria-labelledby="metrics-h">
          <h2 id="metrics-h">Metrics</h2>
          {metrics.length ? (
            <dl class="facts">
              {metrics.map(([k, v]) => (
                <div key={k}>
                  <dt>{k}</dt>
                  <dd>{/Ms$/.test(k) ? formatDuration(v) : formatMetric(v)}</dd>
                </div>
              ))}
            </dl>
          ) : (
            <p class="muted">None recorded.</p>
          )}
        </section>
      </div>
      <section class="panel wide" aria-labelledby="attempts-h">
        <h2 id="attempts-h">Attempts</h2>
        {r.attempts.length ? (
          <div class="scroll" role="region" aria-labelledby="attempts-h" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Attempt</th>
                  <th scope="col">Status</th>
                  <th scope="col">Worker</th>
                  <th scope="col">Started</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Exit code</th>
                  <th scope="col">Error</th>
                </tr>
              </thead>
              <tbody>
                {r.attempts.map((a) => (
                  <tr key={a.attempt}>
                    <th scope="row">{a.attempt}</th>
                    <td>
                      <Status value={a.status} />
                    </td>
                    <td>{a.worker}</td>
                    <td>
                      <Time iso={a.startedAt} />
                    </td>
                    <td>{formatDuration(a.durationMs)}</td>
                    <td>{a.exitCode ?? '—'}</td>
                    <td>{a.error ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p class="muted">Not started yet.</p>
        )}
      </section>
      {r.stages.length ? (
        <section class="panel wide" aria-labelledby="stages-h">
          <h2 id="stages-h">Stages</h2>
          <div class="scroll" role="region" aria-labelledby="stages-h" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">Stage</th>
                  <th scope="col">Attempt</th>
                  <th scope="col">Duration</th>
                  <th scope="col">Counts</th>
                  <th scope="col">Note</th>
                </tr>
              </thead>
              <tbody>
                {r.stages.map((s) => (
                  <tr key={`${s.attempt}.${s.stage}`}>
                    <th scope="row">{s.stage}</th>
                    <td>{s.attempt}</td>
                    <td>{formatDuration(s.durationMs)}</td>
                    <td>
                      {Object.entries(s.counts)
                        .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
                        .join(', ')}
                    </td>
                    <td>{s.note ?? ''}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </section>
      ) : null}
      {r.assessment ? (
        <section class="panel wide" aria-labelledby="assess-h">
          <h2 id="assess-h">Retrain decision</h2>
          <AssessmentView assessment={r.assessment} caption="The rules of this run's decision" />
        </section>
      ) : null}
      <LogTail text={r.logTail} following={active(r)} />
    </>
  );
}
