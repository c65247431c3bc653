/** A run status or verdict as a word with a colour (the word carries the meaning, not the colour). */
const TONE: Record<string, string> = {
  succeeded: 'good',
  ok: 'good',
  passed: 'good',
  fired: 'good',
  running: 'busy',
  queued: 'wait',
  fired_late: 'warn',
  skipped: 'wait',
  retrain: 'warn',
  not_evaluated: 'wait',
  failed: 'bad',
  timed_out: 'bad',
  cancelled: 'wait',
  missed: 'bad',
  rejected: 'bad',
  unavailable: 'bad',
  open: 'bad',
  critical: 'bad',
  warning: 'warn',
  acknowledged: 'warn',
  resolved: 'good',
  delivered: 'good',
  pending: 'wait',
  dead: 'bad',
};

export function Status({ value, label }: { value: string; label?: string }) {
  return <span class={`status tone-${TONE[value] ?? 'wait'}`}>{label ?? value.replace(/_/g, ' ')}</span>;
}
