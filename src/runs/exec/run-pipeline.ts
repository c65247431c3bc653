/**
 * Runs pipeline steps in order, each a command in its own child process, sharing one log tail.
 * The first step that does not succeed ends the pipeline with its status; a step may also end it
 * early and successfully with a named outcome (an exit code in `outcomes`, or `::outcome name`).
 */
import { performance } from 'node:perf_hooks';
import { LogTail } from './log-tail.ts';
import { executeCommand } from './run-command.ts';
import type { ExecOptions, ExecResult, ExecStatus, PipelineStep, StepResult } from './types.ts';

export async function runPipeline(steps: readonly PipelineStep[], opts: ExecOptions): Promise<ExecResult> {
  const t0 = performance.now();
  const tail = new LogTail(opts.logTailBytes);
  const results: StepResult[] = [];
  const metrics: Record<string, number> = {};
  let status: ExecStatus = 'succeeded';
  let last: ExecResult | undefined;
  let outcome: string | undefined;
  let error: string | undefined;

  for (const [index, step] of steps.entries()) {
    tail.append(`== step ${step.name} ==`);
    const startedAt = Date.now();
    const stepOpts: ExecOptions = { ...opts, extraEnv: { ...opts.extraEnv, NIGHTSHIFT_STEP: step.name } };
    const result = mapOutcome(step, await executeCommand(step, stepOpts, tail));
    results.push(toStepResult(step.name, startedAt, result));
    for (const [name, value] of Object.entries(result.metrics)) metrics[`${step.name}.${name}`] = value;
    last = result;
    if (result.status !== 'succeeded') {
      status = result.status;
      error = `step "${step.name}": ${result.error ?? result.status}`;
      break;
    }
    if (result.outcome !== undefined) {
      outcome = result.outcome;
      const skipped = steps.slice(index + 1).map((s) => s.name);
      tail.note(`step ${step.name} ended the pipeline with outcome "${outcome}"${skipped.length ? `; skipped: ${skipped.join(', ')}` : ''}`);
      break;
    }
  }

  return {
    status,
    exitCode: last?.exitCode ?? null,
    signal: last?.signal ?? null,
    ...(outcome !== undefined ? { outcome } : {}),
    metrics,
    logTail: tail.toString(),
    durationMs: Math.round(performance.now() - t0),
    ...(error !== undefined ? { error } : {}),
    steps: results,
  };
}

/** An exit code listed in the step's `outcomes` turns any non-aborted end into a successful early end. */
function mapOutcome(step: PipelineStep, result: ExecResult): ExecResult {
  if (result.status === 'aborted' || result.exitCode === null || !step.outcomes) return result;
  const key = String(result.exitCode);
  if (!Object.hasOwn(step.outcomes, key)) return result;
  const outcome = step.outcomes[key];
  if (outcome === undefined) return result;
  const { error: _ignored, ...rest } = result;
  return { ...rest, status: 'succeeded', outcome };
}

function toStepResult(name: string, startedAt: number, r: ExecResult): StepResult {
  return {
    name,
    status: r.status,
    exitCode: r.exitCode,
    signal: r.signal,
    ...(r.outcome !== undefined ? { outcome: r.outcome } : {}),
    metrics: r.metrics,
    startedAt,
    durationMs: r.durationMs,
    ...(r.error !== undefined ? { error: r.error } : {}),
  };
}
