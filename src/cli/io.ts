/** What every CLI command writes to and reads from: injected, so tests drive the CLI in-process. */
import type { Settings } from '../config/types.ts';

export interface CliIo {
  out: (text: string) => void;
  err: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** The `serve` command's body lives in main.ts, the one place allowed to handle signals. */
export type ServeHandler = (settings: Settings) => Promise<void>;
