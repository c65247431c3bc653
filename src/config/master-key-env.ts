/**
 * The master key's environment variables, read here because config/ is the only place that reads
 * the environment. They are kept out of Settings on purpose: Settings is printed (`config check`)
 * and logged, a key must never be.
 */
export const MASTER_KEY_ENV = 'NIGHTSHIFT_MASTER_KEY';
/** Retired master keys still accepted for reading during a rotation, comma-separated. */
export const MASTER_KEY_PREVIOUS_ENV = 'NIGHTSHIFT_MASTER_KEY_PREVIOUS';
/** Variables a job's process must not inherit (run-command.ts strips them). */
export const SECRET_ENV: readonly string[] = [MASTER_KEY_ENV, MASTER_KEY_PREVIOUS_ENV];

export interface MasterKeyEnv {
  current: string | null;
  previous: string[];
}

export function masterKeyEnv(env: Readonly<Record<string, string | undefined>> = process.env): MasterKeyEnv {
  const current = env[MASTER_KEY_ENV]?.trim() || null;
  const previous = (env[MASTER_KEY_PREVIOUS_ENV] ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  return { current, previous };
}

/** The variables to hand on to nightshift's own training child (and only to it), as they are set here. */
export function masterKeyEnvToForward(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SECRET_ENV) {
    const value = env[name];
    if (value) out[name] = value;
  }
  return out;
}
