/**
 * Migration 13: schedules stored before intervals had a range (every: 99999999d) hold a next slot
 * in year 275760, which no ISO-8601 date can show: every list of schedules and jobs failed on them.
 * Such a slot never comes (src/limits.ts SLOT_HORIZON_MS, the start of year 9999): it is cleared, as
 * for a schedule that never fires again. Plain SQL that SQLite and PostgreSQL both accept.
 */
export const name = 'slots-past-the-horizon';

export const statements = [
  `UPDATE schedules SET next_slot_at = NULL, due_at = NULL WHERE next_slot_at > 253370764800000 OR due_at > 253402300799999`,
];
