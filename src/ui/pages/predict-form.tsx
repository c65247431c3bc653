/** One row in, the champion's answer out, with the version that gave it. */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import type { Model, PredictResult } from '../api-types.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { described, Field } from '../components/fields.tsx';
import { formatMetric } from '../format.ts';

export function PredictForm({ model }: { model: Model }) {
  const { continuous, categorical } = model.definition.features;
  const [values, setValues] = useState<Record<string, string>>({});
  const [entity, setEntity] = useState('');
  const [result, setResult] = useState<PredictResult | null>(null);
  const [error, setError] = useState<Error | null>(null);
  const fieldError = (f: string) => (error instanceof ApiError && (error.field === `values.${f}` || error.field === f) ? error.message : null);
  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    const row: Record<string, unknown> = {};
    // Not a number: sent as typed, so the server's message names the column and the fix.
    for (const c of continuous) if (values[c]?.trim()) row[c] = Number.isFinite(Number(values[c])) ? Number(values[c]) : values[c]!.trim();
    for (const c of categorical) if (values[c]?.trim()) row[c] = values[c]!.trim();
    try {
      setResult(await api.predict(model.tenantId, model.name, { values: row, ...(entity.trim() ? { entity: entity.trim() } : {}) }));
    } catch (err) {
      setError(err as Error);
    }
  };
  const p = result?.predictions[0];
  return (
    <form class="panel form" onSubmit={submit} aria-labelledby="predict-h" noValidate>
      <h2 id="predict-h">Predict one row</h2>
      <p class="muted">Columns left empty are sent as missing.</p>
      <div class="form-grid">
        {[...continuous, ...categorical].map((c) => (
          <Field key={c} id={`predict-${c}`} label={`${c}${categorical.includes(c) ? ' (category)' : ''}`} error={fieldError(c)}>
            <input
              {...described(`predict-${c}`, fieldError(c))}
              inputMode={categorical.includes(c) ? 'text' : 'decimal'}
              value={values[c] ?? ''}
              onInput={(e) => setValues({ ...values, [c]: (e.target as HTMLInputElement).value })}
            />
          </Field>
        ))}
        <Field id="predict-entity" label="Entity (for lag and rolling features)">
          <input id="predict-entity" value={entity} onInput={(e) => setEntity((e.target as HTMLInputElement).value)} />
        </Field>
      </div>
      <div class="actions">
        <button type="submit" class="primary">
          Predict
        </button>
      </div>
      <ErrorBox error={[...continuous, ...categorical].some((c) => fieldError(c)) ? null : error} />
      <div role="status" aria-live="polite">
        {p && result ? (
          <p class="answer">
            Prediction <strong>{formatMetric(p.prediction)}</strong>
            {p.probability !== undefined ? <> (probability {formatMetric(p.probability)})</> : null} by <strong>{result.versionName}</strong> (version {result.version})
            {p.filled && (p.filled.missing.length || p.filled.unseen.length) ? (
              <span class="muted">
                {' '}
                — filled in as missing: {[...p.filled.missing, ...p.filled.unseen].join(', ')}
              </span>
            ) : null}
          </p>
        ) : null}
      </div>
    </form>
  );
}
