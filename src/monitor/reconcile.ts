/**
 * What a pass changes, pure: conditions against the alerts that exist. A condition raised with no
 * alert active opens one, unless an alert of the same key resolved within the cooldown (an alert
 * that keeps clearing and coming back is not reopened on every pass); raised with one active, it is
 * the same alert (nothing changes); cleared with one active resolves it; unknown changes nothing.
 *
 * Conditions come grouped per model: the alerts that exist are looked up once per model (most
 * models have none), not once per condition; a pass over 10,000 models builds no per-type key.
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

export interface ModelConditions {
  tenantId: string;
  /** '' for the tenant itself. */
  model: string;
  conditions: readonly Condition[];
}

export interface Plan {
  open: Array<{ tenantId: string; model: string; type: AlertType; subject: string; message: string; value: number | null; threshold: number | null }>;
  resolve: string[];
  /** Raised but held back by the cooldown. */
  cooling: number;
}

const modelKey = (tenantId: string, model: string) => `${tenantId}\u0000${model}`;

/**
 * `gone`: whether an active alert's model no longer exists in the evaluated scope (its alerts are
 * resolved: nothing can clear them any more).
 */
export function reconcile(groups: readonly ModelConditions[], existing: readonly ExistingAlert[], now: number, cooldownMs: number, gone: (a: ExistingAlert) => boolean): Plan {
  const byModel = new Map<string, ExistingAlert[]>();
  for (const a of existing) {
    const key = modelKey(a.tenantId, a.model);
    const list = byModel.get(key);
    if (list) list.push(a);
    else byModel.set(key, [a]);
  }
  const plan: Plan = { open: [], resolve: [], cooling: 0 };
  const evaluated = new Set<string>();
  for (const { tenantId, model, conditions } of groups) {
    const key = modelKey(tenantId, model);
    const alerts = byModel.get(key);
    if (alerts) evaluated.add(key);
    for (const c of conditions) {
      if (c.state === 'unknown') continue;
      const same = alerts?.filter((a) => a.type === c.type && a.subject === c.subject);
      const current = same?.find((a) => a.status !== 'resolved');
      if (c.state !== 'raise') {
        if (current) plan.resolve.push(current.id);
        continue;
      }
      if (current) continue;
      const lastResolved = Math.max(-Infinity, ...(same ?? []).map((a) => a.resolvedAt ?? -Infinity));
      if (now - lastResolved < cooldownMs) {
        plan.cooling += 1;
        continue;
      }
      plan.open.push({ tenantId, model, type: c.type, subject: c.subject, message: c.message, value: c.value, threshold: c.threshold });
    }
  }
  // Active alerts no condition spoke about: resolved when their model is gone.
  for (const [key, alerts] of byModel) {
    if (evaluated.has(key)) continue;
    for (const a of alerts) if (a.status !== 'resolved' && gone(a)) plan.resolve.push(a.id);
  }
  return plan;
}
