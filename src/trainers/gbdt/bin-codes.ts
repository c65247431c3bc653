/**
 * The bin codes every part of the trainer agrees on: a feature's value bins are 0…254, and bin 255
 * holds its missing values (binning.ts), so a histogram has 256 cells per feature (workspace.ts).
 */
export const MISSING_BIN = 255;
/** Histogram cells per feature: 255 value bins + the missing bin. */
export const HIST_BINS = 256;
