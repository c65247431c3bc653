import type { Notification } from './events.ts';

/** The one line a Slack or Teams incoming webhook shows: `{"text": "…"}`. */
export function notificationText(n: Notification): string {
  const where = n.model ? `${n.tenant}/${n.model}` : n.tenant;
  const metrics = Object.entries(n.metrics)
    .filter(([, v]) => v !== null)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return `[nightshift] ${where}: ${n.summary}${metrics ? ` (${metrics})` : ''}`;
}
