/**
 * Progress lines: `::progress iteration=3 loss=0.41 valid_loss=0.45`, space-separated key=value
 * pairs. `iteration` (alias `iter`) and `loss` (alias `train_loss`) are required for a line to count
 * as training progress; `valid_loss` (alias `val_loss`) is optional; other keys are ignored, as are
 * progress lines in any other shape (`::progress 40%` stays free text for humans).
 */
import { parseDirective } from '../../runs/exec/index.ts';
import type { TrainProgress } from '../types.ts';

type Field = 'iteration' | 'trainLoss' | 'validLoss';

const ALIASES: ReadonlyMap<string, Field> = new Map<string, Field>([
  ['iteration', 'iteration'],
  ['iter', 'iteration'],
  ['loss', 'trainLoss'],
  ['train_loss', 'trainLoss'],
  ['valid_loss', 'validLoss'],
  ['val_loss', 'validLoss'],
]);

/** The progress carried by one stdout line, or null when the line is not a well-formed progress line. */
export function parseProgressLine(line: string): TrainProgress | null {
  const directive = parseDirective(line);
  return directive?.kind === 'progress' ? parseProgressText(directive.text) : null;
}

/** Parses the text after `::progress`. */
export function parseProgressText(text: string): TrainProgress | null {
  const found: Partial<Record<Field, number>> = {};
  for (const pair of text.split(/\s+/)) {
    const eq = pair.indexOf('=');
    const key = eq > 0 ? ALIASES.get(pair.slice(0, eq)) : undefined;
    if (key === undefined) continue;
    const raw = pair.slice(eq + 1);
    const value = raw === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value)) return null;
    found[key] = value;
  }
  const { iteration, trainLoss, validLoss } = found;
  if (iteration === undefined || trainLoss === undefined || !Number.isInteger(iteration) || iteration < 0) return null;
  return validLoss === undefined ? { iteration, trainLoss } : { iteration, trainLoss, validLoss };
}
