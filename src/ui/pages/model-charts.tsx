/**
 * A model's charts: the gate metric of every version (with the gate's threshold), the champion's
 * live metric per day (with the gate threshold and the retrain policy's minimum drawn), and the
 * drift of each feature (PSI, with the policy's PSI threshold). Each has a table or sentence for
 * readers who cannot see the canvas.
 */
import { useMemo } from 'preact/hooks';
import uPlot from 'uplot';
import type { Assessment, LiveMetric, Model, Version } from '../api-types.ts';
import { Chart } from '../components/chart.tsx';
import { formatMetric } from '../format.ts';

const INK = '#1f4e8c';
const THRESHOLD = '#b3261e';
const SECOND = '#6b4c00';
const axis = { stroke: '#333', grid: { stroke: '#e3e3e3' }, ticks: { stroke: '#ccc' } };

function constant(n: number, v: number | undefined): (number | null)[] {
  return Array.from({ length: n }, () => (v === undefined ? null : v));
}

export function VersionMetricChart({ model, versions }: { model: Model; versions: Version[] }) {
  const metric = model.definition.primaryMetric;
  const threshold = model.definition.gate.thresholds[metric];
  const ordered = useMemo(() => [...versions].sort((a, b) => a.version - b.version), [versions]);
  const data = useMemo<uPlot.AlignedData>(() => [ordered.map((v) => v.version), ordered.map((v) => v.metrics[metric] ?? null), constant(ordered.length, threshold)], [ordered, metric, threshold]);
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      title: undefined,
      scales: { x: { time: false } },
      axes: [{ ...axis, label: 'version', incrs: [1, 2, 5, 10, 20, 50, 100] }, { ...axis, label: metric }],
      series: [
        { label: 'version' },
        { label: `${metric} on the holdout`, stroke: INK, width: 2, points: { show: true, size: 7 } },
        { label: `gate threshold ${threshold ?? ''}`, stroke: THRESHOLD, dash: [6, 4], width: 1.5, points: { show: false } },
      ],
    }),
    [metric, threshold],
  );
  if (ordered.length === 0) return null;
  const best = ordered.reduce((a, b) => ((b.metrics[metric] ?? -Infinity) > (a.metrics[metric] ?? -Infinity) ? b : a));
  return (
    <Chart
      title={`${metric} per version`}
      summary={`${ordered.length} versions from v${ordered[0]!.version} to v${ordered.at(-1)!.version}; the best is v${best.version} at ${formatMetric(best.metrics[metric])}${threshold !== undefined ? `; the gate asks ${threshold}` : ''}`}
      options={options}
      data={data}
    />
  );
}

export function LiveMetricChart({ model, live }: { model: Model; live: LiveMetric }) {
  const daily = live.champion?.daily.filter((d) => d.value !== null) ?? [];
  const gate = model.definition.gate.thresholds[live.metric];
  const policy = model.definition.retrain?.minLiveMetric?.metric === live.metric ? model.definition.retrain.minLiveMetric.min : undefined;
  const data = useMemo<uPlot.AlignedData>(
    () => [daily.map((d) => Date.parse(d.day) / 1000), daily.map((d) => d.value), constant(daily.length, gate), constant(daily.length, policy)],
    [live],
  );
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      // One day alone would get a scale of years: a day either side.
      ...(daily.length === 1 ? { scales: { x: { range: (_u: uPlot, min: number, max: number): uPlot.Range.MinMax => [min - 86_400, max + 86_400] } } } : {}),
      axes: [{ ...axis }, { ...axis, label: live.metric }],
      series: [
        {},
        { label: `live ${live.metric} (per day, UTC)`, stroke: INK, width: 2, points: { show: true, size: 6 } },
        { label: `gate threshold ${gate ?? 'none'}`, stroke: THRESHOLD, dash: [6, 4], show: gate !== undefined },
        { label: `retrain below ${policy ?? 'none'}`, stroke: SECOND, dash: [2, 4], show: policy !== undefined },
      ],
    }),
    [live],
  );
  if (daily.length === 0) return <p class="muted">No live metric yet: no logged prediction has received its label.</p>;
  return (
    <Chart
      title={`Live ${live.metric} of the champion per day`}
      summary={`${daily.length} days; latest ${formatMetric(daily.at(-1)!.value)} on ${daily.at(-1)!.day}; overall ${formatMetric(live.champion?.value)} over ${live.champion?.rows ?? 0} labelled rows${gate !== undefined ? `; gate threshold ${gate}` : ''}${policy !== undefined ? `; retrains below ${policy}` : ''}`}
      options={options}
      data={data}
    />
  );
}

export function DriftChart({ model, drift }: { model: Model; drift: NonNullable<Assessment['drift']> }) {
  const columns = drift.columns;
  const psiLimit = (model.definition.retrain as { drift?: { psi?: number } | null } | undefined)?.drift?.psi;
  const data = useMemo<uPlot.AlignedData>(() => [columns.map((_, i) => i), columns.map((c) => c.psi), constant(columns.length, psiLimit)], [drift]);
  const options = useMemo<Omit<uPlot.Options, 'width' | 'height'>>(
    () => ({
      scales: { x: { time: false, range: [-0.5, columns.length - 0.5] } },
      axes: [{ ...axis, values: (_u, ticks) => ticks.map((t) => columns[t]?.column ?? ''), incrs: [1], rotate: -30, size: 70 } as uPlot.Axis, { ...axis, label: 'PSI' }],
      series: [
        {},
        { label: 'PSI (recent vs training)', fill: 'rgba(31,78,140,0.55)', stroke: INK, paths: uPlot.paths.bars!({ size: [0.6, 60] }), points: { show: false } },
        { label: `drift threshold ${psiLimit ?? 'none'}`, stroke: THRESHOLD, dash: [6, 4], show: psiLimit !== undefined, points: { show: false } },
      ],
    }),
    [drift],
  );
  return (
    <>
      <Chart title="Drift per feature (PSI)" summary={`${columns.filter((c) => c.drifted).length} of ${columns.length} columns drifted over ${drift.rows} recent rows`} options={options} data={data} />
      <details>
        <summary>Drift numbers per feature</summary>
        <div class="scroll" role="region" aria-label="Drift numbers per feature" tabIndex={0}>
        <table>
          <thead>
            <tr>
              <th scope="col">Feature</th>
              <th scope="col">PSI</th>
              <th scope="col">KS D (p-value)</th>
              <th scope="col">Drifted</th>
            </tr>
          </thead>
          <tbody>
            {columns.map((c) => (
              <tr key={c.column}>
                <th scope="row">{c.column}</th>
                <td>{formatMetric(c.psi)}</td>
                <td>{c.ks ? `${formatMetric(c.ks.d)} (p ${formatMetric(c.ks.pValue)})` : '—'}</td>
                <td>{c.drifted ? `yes, by ${c.by.join(' and ')}` : 'no'}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      </details>
    </>
  );
}
