/** Labelled form controls; an error the API gave for the field is shown under it and announced. */
import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import type { Tenant } from '../api-types.ts';

let tenantsOnce: Promise<Tenant[]> | null = null;
/** The tenants, read once per page load (they rarely change while someone looks). */
export function useTenants(): Tenant[] {
  const [tenants, setTenants] = useState<Tenant[]>([]);
  useEffect(() => {
    tenantsOnce ??= api.tenants().then((r) => r.tenants, () => ((tenantsOnce = null), []));
    void tenantsOnce.then(setTenants);
  }, []);
  return tenants;
}

export function Field({ id, label, error, hint, children }: { id: string; label: string; error?: string | null; hint?: string; children: ComponentChildren }) {
  return (
    <div class={`field${error ? ' invalid' : ''}`}>
      <label for={id}>{label}</label>
      {children}
      {hint ? (
        <small id={`${id}-hint`} class="muted">
          {hint}
        </small>
      ) : null}
      {error ? (
        <small id={`${id}-error`} class="field-error" role="alert">
          {error}
        </small>
      ) : null}
    </div>
  );
}

/** aria attributes linking an input to its hint and error. */
export const described = (id: string, error?: string | null, hint?: boolean) => ({
  id,
  'aria-invalid': error ? ('true' as const) : undefined,
  'aria-describedby': [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined,
});

export function TenantSelect({ id, value, onChange }: { id: string; value: string; onChange: (v: string) => void }) {
  const tenants = useTenants();
  return (
    <Field id={id} label="Tenant">
      <select id={id} value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        <option value="">All tenants</option>
        {tenants.map((t) => (
          <option key={t.id} value={t.id}>
            {t.name} ({t.id})
          </option>
        ))}
      </select>
    </Field>
  );
}
