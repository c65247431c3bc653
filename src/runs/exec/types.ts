/**
 * Shapes shared by the command and pipeline runners. A job runs in a child process; these types
 * describe what to start, how to supervise it, and what came out.
 */

/** How an execution ended. Only `transient` may be retried; `aborted` means the caller's signal fired. */
export const EXEC_STATUS = {
  succeeded: 'succeeded',
  transient: 'transient',
  failed: 'failed',
  aborted: 'aborted',
} as const;

export type ExecStatus = (typeof EXEC_STATUS)[keyof typeof EXEC_STATUS];

/** sysexits.h EX_TEMPFAIL: "try again later". The one exit code we treat as transient. */
export const EXIT_TEMPFAIL = 75;

export type OutputStream = 'stdout' | 'stderr';

export interface CommandSpec {
  /** Executable name (looked up on PATH) or path; never run through a shell. */
  command: string;
  args?: readonly string[];
  env?: Readonly<Record<string, string>>;
  /** Working directory, resolved against the service's cwd. */
  cwd?: string;
}

export interface PipelineStep extends CommandSpec {
  name: string;
  /**
   * Exit code (as a string, e.g. "3") → named outcome (e.g. "no_data"). Such an exit ends the
   * pipeline early and successfully with that outcome; later steps do not run.
   */
  outcomes?: Readonly<Record<string, string>>;
}

export interface ExecOptions {
  /** Aborting sends SIGTERM to the process group, then SIGKILL after `killGraceMs`. */
  signal: AbortSignal;
  killGraceMs: number;
  /** The result keeps the last this-many bytes of combined output. */
  logTailBytes: number;
  /** Added to the environment after process.env and the spec's own env (so it wins). */
  extraEnv?: Readonly<Record<string, string>>;
  /** Every complete output line, directives included. Must not throw (errors are swallowed). */
  onLine?: (stream: OutputStream, line: string) => void;
  /** Called once the process (and its process group, same id) exists. */
  onSpawn?: (pid: number) => void;
  /** Start it through a launcher process (the default) or spawn it from this process. */
  launcher?: boolean;
  /** CPU priority (nice value) the process gets once started, set by what starts it; absent: inherited. */
  priority?: number;
}

export interface StepResult {
  name: string;
  status: ExecStatus;
  exitCode: number | null;
  signal: string | null;
  outcome?: string;
  metrics: Record<string, number>;
  /** Epoch milliseconds. */
  startedAt: number;
  durationMs: number;
  error?: string;
}

export interface ExecResult {
  status: ExecStatus;
  exitCode: number | null;
  signal: string | null;
  /** Named early end (`::outcome name`, or a pipeline step's `outcomes` mapping); status is then `succeeded`. */
  outcome?: string;
  /** From `::metric name=value` lines; a pipeline prefixes each with its step name (`fetch.rows`). */
  metrics: Record<string, number>;
  logTail: string;
  durationMs: number;
  /** Human-readable reason when status is not `succeeded`. */
  error?: string;
  /** Pipelines only: one entry per step that was started. */
  steps?: StepResult[];
}
