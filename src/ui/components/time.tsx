import { formatTime, relative, utcTitle } from '../format.ts';

/** A time in the viewer's zone (or `zone`), with the UTC instant on hover and in datetime. */
export function Time({ iso, zone, ago }: { iso: string | null | undefined; zone?: string; ago?: boolean }) {
  if (!iso) return <span>—</span>;
  return (
    <time dateTime={iso} title={utcTitle(iso)}>
      {formatTime(iso, zone)}
      {ago ? <span class="muted"> ({relative(iso)})</span> : null}
    </time>
  );
}
