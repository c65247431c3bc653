/**
 * Edit a schedule's timing and policies. The server checks everything (cron, zone, durations and
 * their ranges) and names the field; its message is shown under that field.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.ts';
import type { Schedule } from '../api-types.ts';
import { ErrorBox } from '../components/error-box.tsx';
import { described, Field } from '../components/fields.tsx';

/** 5_400_000 → "90m": the largest unit that divides it, as the API accepts durations. */
export function durationText(ms: number): string {
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) if (ms > 0 && ms % size === 0) return `${ms / size}${unit}`;
  return String(ms);
}

/** A plain number is milliseconds (the API takes those as a number); anything else goes as written ("90s"). */
const durationValue = (text: string): string | number => (/^\d+$/.test(text.trim()) ? Number(text.trim()) : text.trim());

interface Form {
  kind: 'cron' | 'every';
  cron: string;
  every: string;
  timezone: string;
  misfireGrace: string;
  jitter: string;
  catchUp: string;
  catchUpMax: string;
  overlap: string;
}

const formOf = (s: Schedule): Form => ({
  kind: s.cron !== null ? 'cron' : 'every',
  cron: s.cron ?? '',
  every: s.everyMs !== null ? durationText(s.everyMs) : '',
  timezone: s.timezone,
  misfireGrace: durationText(s.misfireGraceMs),
  jitter: durationText(s.jitterMs),
  catchUp: s.catchUp,
  catchUpMax: String(s.catchUpMax),
  overlap: s.overlap,
});

export function ScheduleEdit({ schedule, onSaved }: { schedule: Schedule; onSaved: (s: Schedule) => void }) {
  const [form, setForm] = useState<Form>(() => formOf(schedule));
  const [error, setError] = useState<ApiError | Error | null>(null);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const set = (k: keyof Form) => (e: Event) => {
    setForm({ ...form, [k]: (e.target as HTMLInputElement).value });
    setSaved(false);
  };
  const fieldError = (field: string) => (error instanceof ApiError && error.field === field ? error.message : null);
  const general = error && !(error instanceof ApiError && ['cron', 'every', 'timezone', 'misfireGrace', 'jitter', 'catchUp', 'catchUpMax', 'overlap'].includes(error.field ?? '')) ? error : null;

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const body: Record<string, unknown> = {
        tenantId: schedule.tenantId,
        jobId: schedule.jobId,
        enabled: schedule.enabled,
        timezone: form.timezone,
        misfireGrace: durationValue(form.misfireGrace),
        jitter: durationValue(form.jitter),
        catchUp: form.catchUp,
        catchUpMax: Number(form.catchUpMax),
        overlap: form.overlap,
        ...(form.kind === 'cron' ? { cron: form.cron } : { every: durationValue(form.every) }),
      };
      onSaved(await api.putSchedule(schedule.id, body));
      setSaved(true);
    } catch (err) {
      setError(err as Error);
    } finally {
      setBusy(false);
    }
  };

  const input = (id: keyof Form, label: string, hint?: string) => (
    <Field id={`edit-${id}`} label={label} error={fieldError(id)} {...(hint ? { hint } : {})}>
      <input {...described(`edit-${id}`, fieldError(id), !!hint)} value={form[id]} onInput={set(id)} />
    </Field>
  );

  return (
    <form class="panel form" onSubmit={submit} aria-labelledby="edit-h" noValidate>
      <h2 id="edit-h">Edit</h2>
      <fieldset>
        <legend>Timing</legend>
        <label class="inline">
          <input type="radio" name="kind" value="cron" checked={form.kind === 'cron'} onChange={() => setForm({ ...form, kind: 'cron' })} /> cron
        </label>
        <label class="inline">
          <input type="radio" name="kind" value="every" checked={form.kind === 'every'} onChange={() => setForm({ ...form, kind: 'every' })} /> fixed interval
        </label>
      </fieldset>
      {form.kind === 'cron' ? input('cron', 'Cron expression', 'five fields (minute hour day month weekday), e.g. 0 2 * * *') : input('every', 'Every', 'a duration such as 90s, 30m, 6h, 1d')}
      {input('timezone', 'Time zone', 'an IANA zone such as America/New_York')}
      {input('misfireGrace', 'Misfire grace', 'how late a slot may still run after downtime (e.g. 1h)')}
      {input('jitter', 'Jitter', 'a random delay up to this (0 for none)')}
      <Field id="edit-catchUp" label="Catch-up after downtime" error={fieldError('catchUp')}>
        <select {...described('edit-catchUp', fieldError('catchUp'))} value={form.catchUp} onChange={set('catchUp')}>
          <option value="latest">run the latest missed slot</option>
          <option value="all">run every missed slot (up to the maximum)</option>
          <option value="skip">skip missed slots</option>
        </select>
      </Field>
      {input('catchUpMax', 'Catch-up maximum (slots)')}
      <Field id="edit-overlap" label="When the previous run is still going" error={fieldError('overlap')}>
        <select {...described('edit-overlap', fieldError('overlap'))} value={form.overlap} onChange={set('overlap')}>
          <option value="skip">skip the slot (recorded with the reason)</option>
          <option value="queue_one">queue one run behind it</option>
        </select>
      </Field>
      <ErrorBox error={general} />
      <div class="actions">
        <button type="submit" class="primary" disabled={busy}>
          Save schedule
        </button>
        {saved ? (
          <span role="status" class="ok-text">
            Saved.
          </span>
        ) : null}
      </div>
    </form>
  );
}
