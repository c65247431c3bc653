/** A retrain decision: trained or skipped, and each rule's value against its threshold. */
import type { Assessment } from '../api-types.ts';
import { formatMetric } from '../format.ts';
import { Status } from './status.tsx';

const RULE_TEXT: Record<string, { name: string; unit: string; op: string }> = {
  minNewSamples: { name: 'New samples', unit: 'samples', op: '≥' },
  minLiveMetric: { name: 'Live metric', unit: '', op: '<' },
  maxDaysSinceTraining: { name: 'Days since training', unit: 'days', op: '≥' },
  drift: { name: 'Drifted columns', unit: 'share of columns', op: '≥' },
};

export function AssessmentView({ assessment, caption }: { assessment: Assessment; caption: string }) {
  return (
    <div class="assessment">
      <p>
        <Status value={assessment.train ? 'ok' : 'skipped'} label={assessment.train ? 'trained' : 'skipped'} /> {assessment.summary}{' '}
        <span class="muted">
          (reason {assessment.reason.replace(/_/g, ' ')}; {assessment.combine === 'any' ? 'any rule' : 'all rules'} may trigger)
        </span>
      </p>
      {assessment.rules.length ? (
        <div class="scroll" role="region" aria-label={caption} tabIndex={0}>
        <table>
          <caption class="sr-only">{caption}</caption>
          <thead>
            <tr>
              <th scope="col">Rule</th>
              <th scope="col">Value</th>
              <th scope="col">Retrains when</th>
              <th scope="col">Verdict</th>
              <th scope="col">Detail</th>
            </tr>
          </thead>
          <tbody>
            {assessment.rules.map((r) => {
              const t = RULE_TEXT[r.rule] ?? { name: r.rule, unit: '', op: '' };
              return (
                <tr key={r.rule}>
                  <th scope="row">{t.name}</th>
                  <td>
                    {formatMetric(r.value)} {r.value !== null ? t.unit : ''}
                  </td>
                  <td>
                    {t.op} {formatMetric(r.threshold)} {t.unit}
                  </td>
                  <td>
                    <Status value={r.verdict} label={r.verdict.replace('_', ' ')} />
                  </td>
                  <td>{r.detail}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
        </div>
      ) : (
        <p class="muted">No retrain rules: every run trains.</p>
      )}
    </div>
  );
}
