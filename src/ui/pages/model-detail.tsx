/**
 * One model: its versions with the gate's numbers, the champion history, promote and rollback
 * (confirmed, naming both versions), charts, and a one-row prediction.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { ChangeCheck, Model, ThresholdCheck, Version } from '../api-types.ts';
import { Confirm } from '../components/confirm.tsx';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { formatCount, formatDuration, formatMetric } from '../format.ts';
import { href, navigate } from '../router.ts';
import { useData, type Loaded } from '../use-data.ts';
import { useModule } from '../use-module.ts';
import { PredictForm } from './predict-form.tsx';

// The charts and uPlot (about half the bundle) are a chunk of their own: only this page loads them.
const loadCharts = () => import('./model-charts.tsx');

function GateCheckText({ c }: { c: ThresholdCheck | ChangeCheck }) {
  if (c.check === 'threshold') {
    return (
      <li>
        {c.passed ? '✓' : '✗'} {c.metric} {formatMetric(c.value)} {c.direction === 'min' ? '≥' : '≤'} {formatMetric(c.bound)} <span class="sr-only">{c.passed ? 'passed' : 'failed'}</span>
      </li>
    );
  }
  return (
    <li>
      {c.passed ? '✓' : '✗'} {c.metric} {formatMetric(c.candidate)} vs champion v{c.championVersion} {formatMetric(c.champion)}, worst allowed {formatMetric(c.limit)}
      {c.maxDecrease !== null ? ` (max decrease ${formatMetric(c.maxDecrease)})` : ''}
      {c.maxRelativeDecrease !== null ? ` (max relative decrease ${formatMetric(c.maxRelativeDecrease * 100)} %)` : ''} <span class="sr-only">{c.passed ? 'passed' : 'failed'}</span>
    </li>
  );
}

interface Pending {
  kind: 'promote' | 'rollback';
  version: Version;
}

function VersionsTable({ model, versions, onAction }: { model: Model; versions: Version[]; onAction: (p: Pending) => void }) {
  const champion = model.champion?.version ?? null;
  const metricNames = [model.definition.primaryMetric, ...Object.keys(versions[0]?.metrics ?? {}).filter((k) => k !== model.definition.primaryMetric)].slice(0, 4);
  return (
    <div class="scroll" role="region" aria-labelledby="versions-h" tabIndex={0}>
      <table>
        <caption class="sr-only">Versions, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Version</th>
            <th scope="col">Created</th>
            {metricNames.map((m) => (
              <th key={m} scope="col">
                {m}
              </th>
            ))}
            <th scope="col">Gate</th>
            <th scope="col">Samples</th>
            <th scope="col">Training time</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          {versions.map((v) => (
            <tr key={v.version} class={v.version === champion ? 'current' : ''}>
              <th scope="row">
                v{v.version}
                {v.version === champion ? <span class="badge">champion</span> : null}
                <div class="muted small">
                  {v.trainer}, {v.trigger}
                  {v.runId ? (
                    <>
                      , <a href={href(['runs', v.runId])}>run</a>
                    </>
                  ) : null}
                </div>
              </th>
              <td>
                <Time iso={v.createdAt} />
              </td>
              {metricNames.map((m) => (
                <td key={m}>{formatMetric(v.metrics[m])}</td>
              ))}
              <td>
                <Status value={v.gate.passed ? 'passed' : 'rejected'} label={v.gate.passed ? 'passed' : 'failed'} />
                <ul class="checks">
                  {v.gate.reasons.map((c, i) => (
                    <GateCheckText key={i} c={c} />
                  ))}
                </ul>
              </td>
              <td>
                {formatCount(v.samples.train, 'row')} train, {formatCount(v.samples.holdout, 'row')} holdout
              </td>
              <td>{formatDuration(v.trainingMs)}</td>
              <td>
                {v.gate.passed && v.version !== champion ? (
                  champion !== null && v.version < champion ? (
                    <button type="button" onClick={() => onAction({ kind: 'rollback', version: v })}>
                      Roll back to v{v.version}
                    </button>
                  ) : (
                    <button type="button" onClick={() => onAction({ kind: 'promote', version: v })}>
                      Promote v{v.version}
                    </button>
                  )
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type HistoryData = Awaited<ReturnType<typeof api.championHistory>>;
type LiveData = Awaited<ReturnType<typeof api.live>>;
type AssessData = Awaited<ReturnType<typeof api.assess>>;

function ChampionHistory({ history }: { history: Loaded<HistoryData> }) {
  if (!history.data) return history.error ? <ErrorBox error={history.error} /> : <Loading what="the champion history" />;
  if (history.data.history.length === 0) return <p>No champion yet.</p>;
  return (
    <div class="scroll" role="region" aria-labelledby="history-h" tabIndex={0}>
      <table>
        <caption class="sr-only">Champion changes, newest first</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Change</th>
            <th scope="col">Who</th>
            <th scope="col">Why</th>
          </tr>
        </thead>
        <tbody>
          {history.data.history.map((h) => (
            <tr key={h.revision}>
              <td>
                <Time iso={h.at} />
              </td>
              <td>
                {h.action} {h.previousVersion !== null ? `v${h.previousVersion} → ` : ''}v{h.version}
              </td>
              <td>{h.actor ?? (h.runId ? 'training run' : '—')}</td>
              <td>
                {h.reason ?? ''}
                {h.runId ? (
                  <>
                    {' '}
                    (<a href={href(['runs', h.runId])}>run</a>)
                  </>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Charts({ model, versions, live, assess }: { model: Model; versions: Version[]; live: Loaded<LiveData>; assess: Loaded<AssessData> }) {
  const charts = useModule(loadCharts);
  if (!charts.module) {
    return (
      <section class="panel wide" aria-labelledby="charts-h">
        <h2 id="charts-h">Charts</h2>
        {charts.error ? <ErrorBox error={charts.error} /> : <Loading what="the charts" />}
      </section>
    );
  }
  const { DriftChart, LiveMetricChart, VersionMetricChart } = charts.module;
  return (
    <section class="panel wide" aria-labelledby="charts-h">
      <h2 id="charts-h">Charts</h2>
      <div class="charts">
        <VersionMetricChart model={model} versions={versions} />
        {live.data ? <LiveMetricChart model={model} live={live.data} /> : live.error ? <ErrorBox error={live.error} /> : <Loading what="the live metric" />}
        {assess.data ? (
          assess.data.drift ? (
            <DriftChart model={model} drift={assess.data.drift} />
          ) : (
            <p class="muted">No drift measured: {assess.data.counts.driftRows === null ? 'the model has no drift rule or no profile' : 'too few recent rows'}.</p>
          )
        ) : assess.error ? (
          <ErrorBox error={assess.error} />
        ) : (
          <Loading what="drift" />
        )}
      </div>
    </section>
  );
}

export function ModelDetailPage({ tenantId, name }: { tenantId: string; name: string }) {
  const [stamp, setStamp] = useState(0);
  // Started now, so the chunk arrives while the model and its versions are read.
  useModule(loadCharts);
  const loaded = useData(() => Promise.all([api.model(tenantId, name), api.versions(tenantId, name, { limit: 100 })]), [tenantId, name, stamp]);
  // Read with the model, not after it (they need only its name): one round trip to the first view, not two.
  const history = useData(() => api.championHistory(tenantId, name), [tenantId, name, stamp]);
  const live = useData(() => api.live(tenantId, name, 30), [tenantId, name, stamp]);
  const assess = useData(() => api.assess(tenantId, name), [tenantId, name, stamp]);
  const [pending, setPending] = useState<Pending | null>(null);
  const [message, setMessage] = useState('');
  const [trainError, setTrainError] = useState<Error | null>(null);
  if (!loaded.data) return loaded.error ? <ErrorBox error={loaded.error} /> : <Loading what="the model" />;
  const [model, { versions }] = loaded.data;
  const champion = model.champion;
  const act = async () => {
    if (!pending) return;
    const v = pending.version.version;
    const r = pending.kind === 'promote' ? await api.promote(tenantId, name, v, champion?.version ?? null, 'promoted from the dashboard') : await api.rollback(tenantId, name, v, 'rolled back from the dashboard');
    setMessage(`${pending.kind === 'promote' ? 'Promoted' : 'Rolled back to'} v${r.change.version}${r.change.previousVersion !== null ? `, replacing v${r.change.previousVersion}` : ''}.`);
    setStamp(stamp + 1);
  };
  const train = async () => {
    setTrainError(null);
    try {
      const r = await api.trigger(model.jobId, { tenantId, mode: 'queue' });
      navigate(['runs', r.runId]);
    } catch (e) {
      setTrainError(e as Error);
    }
  };
  return (
    <>
      <p>
        <a href={href(['models'])}>← Models</a>
      </p>
      <h1>
        {name} <span class="muted">of {tenantId}</span>
      </h1>
      <p>
        {model.definition.description} — {model.definition.task}, primary metric {model.definition.primaryMetric}, champion {champion ? `${champion.name}` : 'none yet'}.
      </p>
      <div class="actions">
        <button type="button" onClick={train}>
          Train now
        </button>
        <a href={href(['decisions'], { tenant: tenantId, model: name })}>Retrain decisions</a>
        {message ? <span role="status">{message}</span> : null}
      </div>
      <ErrorBox error={trainError} />
      <section class="panel wide" aria-labelledby="versions-h">
        <h2 id="versions-h">Versions</h2>
        <VersionsTable model={model} versions={versions} onAction={setPending} />
      </section>
      <section class="panel wide" aria-labelledby="history-h">
        <h2 id="history-h">Champion history</h2>
        <ChampionHistory history={history} />
      </section>
      <Charts model={model} versions={versions} live={live} assess={assess} />
      {champion ? <PredictForm model={model} /> : null}
      {pending ? (
        <Confirm
          title={pending.kind === 'promote' ? `Promote v${pending.version.version}?` : `Roll back to v${pending.version.version}?`}
          confirmLabel={pending.kind === 'promote' ? `Promote v${pending.version.version}` : `Roll back to v${pending.version.version}`}
          onConfirm={act}
          onClose={() => setPending(null)}
        >
          <p>
            {pending.kind === 'promote' ? 'Promote' : 'Roll back to'} <strong>v{pending.version.version}</strong> ({model.definition.primaryMetric} {formatMetric(pending.version.metrics[model.definition.primaryMetric])}), replacing the champion{' '}
            <strong>{champion ? `v${champion.version}` : '(none)'}</strong>
            {champion ? ` (${model.definition.primaryMetric} ${formatMetric(champion.metrics[model.definition.primaryMetric])})` : ''}. Predictions switch at once.
          </p>
        </Confirm>
      ) : null}
    </>
  );
}
