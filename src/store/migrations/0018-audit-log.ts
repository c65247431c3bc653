/**
 * Migration 18: the audit log. One row per change made through a service (who, tenant, action,
 * target, a summary before and after, request id, time) and per training, promotion, rollback,
 * alert and key event. Append-only: the code has no UPDATE or DELETE of it, and a trigger refuses
 * both (and TRUNCATE on PostgreSQL), so even a bug or a hand-written statement cannot rewrite history.
 * It is kept when its tenant is deleted: who deleted what is part of it.
 *
 * `id` is time-ordered (`aud_…`), the stable order of pages; `tenant_id` is null for events of the
 * whole installation (a master key rotation).
 */
export const name = 'audit-log';

export const statements = [
  `CREATE TABLE audit_log (
    id TEXT PRIMARY KEY,
    at BIGINT NOT NULL,
    tenant_id TEXT,
    subject TEXT NOT NULL,
    key_id TEXT,
    via TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    before_state TEXT,
    after_state TEXT,
    request_id TEXT
  )`,
  `CREATE INDEX audit_log_tenant ON audit_log (tenant_id, id)`,
  `CREATE INDEX audit_log_action ON audit_log (action, id)`,
];

/** Statements only one dialect understands: the triggers that make the table append-only. */
export const sqlite = [
  `CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused'); END`,
  `CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused'); END`,
];

export const postgres = [
  `CREATE FUNCTION ns_audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
   END
   $$`,
  `CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log FOR EACH ROW EXECUTE FUNCTION ns_audit_log_append_only()`,
  `CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log FOR EACH STATEMENT EXECUTE FUNCTION ns_audit_log_append_only()`,
];
