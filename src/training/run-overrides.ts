/** What a manual trigger may change for one training (the run's params): mode and window length. */
import { NsError } from '../errors.ts';

export interface TrainOverrides {
  mode?: 'full' | 'incremental';
  dataRangeDays?: number;
  /** Free text from the caller (seed 003's description); recorded, not interpreted. */
  description?: string;
  /** Train whatever the retrain policy says (a manual trigger does anyway). */
  force?: boolean;
}

/** Checks the params a caller sends with a train trigger; the errors name the field. */
export function checkTrainParams(params: Record<string, unknown>): TrainOverrides {
  const out: TrainOverrides = {};
  for (const key of Object.keys(params)) {
    if (!['mode', 'dataRangeDays', 'description', 'force'].includes(key)) throw new NsError('NS_VALIDATION', `${key}: unknown training parameter; allowed: mode, dataRangeDays, description, force`, { field: key });
  }
  if (params.mode !== undefined) {
    if (params.mode !== 'full' && params.mode !== 'incremental') throw new NsError('NS_VALIDATION', `mode: must be "full" or "incremental", got ${JSON.stringify(params.mode)}`, { field: 'mode' });
    out.mode = params.mode;
  }
  if (params.dataRangeDays !== undefined) {
    const d = params.dataRangeDays;
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 1 || d > 3660) throw new NsError('NS_VALIDATION', `dataRangeDays: must be a whole number of days from 1 to 3660, got ${JSON.stringify(d)}; example 180`, { field: 'dataRangeDays' });
    out.dataRangeDays = d;
  }
  if (params.force !== undefined) {
    if (typeof params.force !== 'boolean') throw new NsError('NS_VALIDATION', `force: must be true or false, got ${JSON.stringify(params.force)}`, { field: 'force' });
    out.force = params.force;
  }
  if (params.description !== undefined) {
    if (typeof params.description !== 'string' || params.description.length > 2000) throw new NsError('NS_VALIDATION', 'description: must be a string of at most 2000 characters', { field: 'description' });
    out.description = params.description;
  }
  return out;
}

/** An ONNX import run's request, stored in its params; the model bytes are the run's input `onnx`. */
export interface ImportParams {
  threshold?: number;
  outputName?: string;
  promote: boolean;
  /** Who asked (api, cli, …): recorded in the champion history when it promotes. */
  actor: string;
}

export const IMPORT_INPUT = 'onnx';

/** What a train job's run was asked: overrides of a training, or an import. */
export interface TrainRunParams {
  overrides: TrainOverrides;
  import: ImportParams | null;
  /** Who asked for a manual training (the audit subject): the champion history's actor when it promotes. */
  requestedBy: string | null;
}

/** The stored params of a train job's run (JSON text); written by nightshift, so only shape-checked. */
export function trainRunParams(params: string | null): TrainRunParams {
  if (!params) return { overrides: {}, import: null, requestedBy: null };
  const { import: imported, requestedBy, ...rest } = JSON.parse(params) as Record<string, unknown> & { import?: ImportParams; requestedBy?: unknown };
  return { overrides: checkTrainParams(rest), import: imported ?? null, requestedBy: typeof requestedBy === 'string' ? requestedBy : null };
}
