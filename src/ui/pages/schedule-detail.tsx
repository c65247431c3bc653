/** One schedule: plain words, the next 5 fire times in both zones, its slot fates over time, edit. */
import { useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { Schedule, Slot } from '../api-types.ts';
import { ErrorBox, Loading } from '../components/error-box.tsx';
import { Pager } from '../components/pager.tsx';
import { Status } from '../components/status.tsx';
import { Time } from '../components/time.tsx';
import { formatDuration, formatTime, viewerZone } from '../format.ts';
import { href } from '../router.ts';
import { useData } from '../use-data.ts';
import { ScheduleEdit } from './schedule-edit.tsx';
import { EnableButton } from './schedules.tsx';

const FATE_TEXT: Record<Slot['fate'], string> = { fired: 'fired', fired_late: 'fired late', skipped: 'skipped', missed: 'missed' };

function slotDetail(s: Slot): string {
  if (s.fate === 'fired_late') return `late by ${formatDuration(s.lateMs)}`;
  if (s.fate === 'fired') return s.lateMs > 0 ? `after ${formatDuration(s.lateMs)}` : 'on time';
  return s.reason ?? '';
}

function SlotTimeline({ schedule }: { schedule: Schedule }) {
  const [stack, setStack] = useState<string[]>([]);
  const before = stack.at(-1);
  const slots = useData(() => api.slots(schedule.id, { limit: 60, ...(before ? { before } : {}) }), [schedule.id, before]);
  return (
    <section class="panel wide" aria-labelledby="slots-h">
      <h2 id="slots-h">Slot fates</h2>
      <ErrorBox error={slots.error} />
      {slots.data === null && !slots.error ? <Loading what="slots" /> : null}
      {slots.data && slots.data.slots.length === 0 ? <p>No slot has been decided yet.</p> : null}
      {slots.data && slots.data.slots.length > 0 ? (
        <>
          <div class="timeline" aria-hidden="true">
            {[...slots.data.slots].reverse().map((s) => (
              <span key={s.slotAt} class={`tick fate-${s.fate}`} title={`${formatTime(s.slotAt)}: ${FATE_TEXT[s.fate]} ${slotDetail(s)}`} />
            ))}
          </div>
          <p class="muted legend" aria-hidden="true">
            oldest on the left · <span class="tick fate-fired" /> fired <span class="tick fate-fired_late" /> fired late <span class="tick fate-skipped" /> skipped <span class="tick fate-missed" /> missed
          </p>
          <div class="scroll" role="region" aria-label="Slot fates table" tabIndex={0}>
            <table>
              <caption class="sr-only">Slots, newest first</caption>
              <thead>
                <tr>
                  <th scope="col">Slot</th>
                  <th scope="col">Fate</th>
                  <th scope="col">Detail</th>
                  <th scope="col">Run</th>
                </tr>
              </thead>
              <tbody>
                {slots.data.slots.map((s) => (
                  <tr key={s.slotAt}>
                    <td>
                      <Time iso={s.slotAt} />
                    </td>
                    <td>
                      <Status value={s.fate} label={FATE_TEXT[s.fate]} />
                    </td>
                    <td>{slotDetail(s)}</td>
                    <td>{s.runId ? <a href={href(['runs', s.runId])}>{s.runId}</a> : '—'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label="Slot" canBack={stack.length > 0} next={slots.data.nextBefore !== null} onBack={() => setStack(stack.slice(0, -1))} onNext={() => setStack([...stack, slots.data!.nextBefore!])} />
        </>
      ) : null}
    </section>
  );
}

export function ScheduleDetailPage({ id }: { id: string }) {
  const loaded = useData(() => api.schedule(id), [id]);
  const [current, setCurrent] = useState<Schedule | null>(null);
  const schedule = current && current.id === id ? current : loaded.data;
  if (!schedule) return loaded.error ? <ErrorBox error={loaded.error} /> : <Loading what="the schedule" />;
  return (
    <>
      <p>
        <a href={href(['schedules'])}>← Schedules</a>
      </p>
      <h1>Schedule {schedule.id}</h1>
      <div class="grid">
        <section class="panel" aria-labelledby="sched-h">
          <h2 id="sched-h">When it fires</h2>
          <p class="lead">{schedule.description}</p>
          <dl class="facts">
            <div>
              <dt>Tenant · job</dt>
              <dd>
                {schedule.tenantId} · {schedule.jobId}
              </dd>
            </div>
            <div>
              <dt>State</dt>
              <dd>
                <Status value={schedule.enabled ? 'ok' : 'skipped'} label={schedule.enabled ? 'enabled' : 'disabled'} /> <EnableButton schedule={schedule} onChanged={setCurrent} />
              </dd>
            </div>
            <div>
              <dt>Misfire grace · jitter</dt>
              <dd>
                {formatDuration(schedule.misfireGraceMs)} · {formatDuration(schedule.jitterMs)}
              </dd>
            </div>
            <div>
              <dt>Catch-up · overlap</dt>
              <dd>
                {schedule.catchUp} (max {schedule.catchUpMax} slots) · {schedule.overlap.replace('_', ' ')}
              </dd>
            </div>
          </dl>
        </section>
        <section class="panel" aria-labelledby="next-h">
          <h2 id="next-h">Next 5 fire times</h2>
          {schedule.enabled ? (
            <div class="scroll" role="region" aria-labelledby="next-h" tabIndex={0}>
            <table>
              <thead>
                <tr>
                  <th scope="col">In {schedule.timezone}</th>
                  <th scope="col">In your zone ({viewerZone()})</th>
                </tr>
              </thead>
              <tbody>
                {schedule.nextRuns.map((iso) => (
                  <tr key={iso}>
                    <td>
                      <Time iso={iso} zone={schedule.timezone} />
                    </td>
                    <td>
                      <Time iso={iso} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            </div>
          ) : (
            <p>Disabled: no slot fires (slots are recorded as skipped).</p>
          )}
        </section>
      </div>
      <SlotTimeline schedule={schedule} />
      <ScheduleEdit schedule={schedule} onSaved={setCurrent} />
    </>
  );
}
