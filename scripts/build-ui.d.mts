/** Writes the dashboard into outdir (created if missing); resolves with its size in bytes. */
export function buildUi(outdir: string): Promise<number>;
