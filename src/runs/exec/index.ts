export * from './types.ts';
export { runCommand } from './run-command.ts';
export { runPipeline } from './run-pipeline.ts';
export { LogTail, LineSplitter, STDERR_PREFIX, NOTE_PREFIX } from './log-tail.ts';
export { parseDirective, MAX_METRICS, type Directive } from './directives.ts';
