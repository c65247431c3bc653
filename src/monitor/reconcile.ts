/**
 * What a pass changes, pure: conditions against the alerts that exist. A condition raised with no
 * alert active opens one, unless an alert of the same key resolved within the cooldown (an alert
 * that keeps clearing and coming back is not reopened on every pass); raised with one active, it is
 * the same alert (nothing changes); cleared with one active resolves it; unknown changes nothing.
 */
import type { AlertType, Condition } from './alert-rules.ts';

export interface ExistingAlert {
  id: string;
  tenantId: string;
  model: string;
  type: string;
  subject: string;
  status: string;
  resolvedAt: number | null;
}

export interface Keyed {
  tenantId: string;
  /** '' for the tenant itself. */
  model: string;
  condition: Condition;
}

export interface Plan {
  open: Array<{ tenantId: string; model: string; type: AlertType; subject: string; message: string; value: number | null; threshold: number | null }>;
  resolve: string[];
  /** Raised but held back by the cooldown. */
  cooling: number;
}

export const alertKey = (tenantId: string, model: string, type: string, subject: string) => `${tenantId}\u0000${model}\u0000${type}\u0000${subject}`;

/**
 * `gone`: whether an active alert's model no longer exists in the evaluated scope (its alerts are
 * resolved: nothing can clear them any more).
 */
export function reconcile(conditions: readonly Keyed[], existing: readonly ExistingAlert[], now: number, cooldownMs: number, gone: (a: ExistingAlert) => boolean): Plan {
  const active = new Map<string, ExistingAlert>();
  const lastResolved = new Map<string, number>();
  for (const a of existing) {
    const key = alertKey(a.tenantId, a.model, a.type, a.subject);
    if (a.status !== 'resolved') active.set(key, a);
    else if (a.resolvedAt !== null) lastResolved.set(key, Math.max(lastResolved.get(key) ?? -Infinity, a.resolvedAt));
  }
  const plan: Plan = { open: [], resolve: [], cooling: 0 };
  const seen = new Set<string>();
  for (const { tenantId, model, condition: c } of conditions) {
    const key = alertKey(tenantId, model, c.type, c.subject);
    seen.add(key);
    const current = active.get(key);
    if (c.state === 'raise') {
      if (current) continue;
      const resolvedAt = lastResolved.get(key);
      if (resolvedAt !== undefined && now - resolvedAt < cooldownMs) {
        plan.cooling += 1;
        continue;
      }
      plan.open.push({ tenantId, model, type: c.type, subject: c.subject, message: c.message, value: c.value, threshold: c.threshold });
    } else if (c.state === 'clear' && current) plan.resolve.push(current.id);
  }
  for (const [key, a] of active) if (!seen.has(key) && gone(a)) plan.resolve.push(a.id);
  return plan;
}
