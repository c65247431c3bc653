/**
 * Migration 2: config-declared schedules remember the definition last applied from config
 * (declared_hash), and deletions leave a tombstone (deleted_at). A restart then re-applies the config
 * only where the config itself changed: edits and deletions made over the API survive it.
 */
export const name = 'schedule-origin';

export const statements = [
  `ALTER TABLE schedules ADD COLUMN declared_hash TEXT`,
  `ALTER TABLE schedules ADD COLUMN deleted_at BIGINT`,
];
