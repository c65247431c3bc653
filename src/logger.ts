/**
 * The service's logger (`nightshift serve`): pino at the configured level, writing JSON lines (the
 * default: collectors, pipes, `jq`), or with NIGHTSHIFT_LOG_FORMAT=pretty one readable line per
 * event for a terminal: `[14:02:07.512] INFO: run started {"runId":"run_…","jobId":"…"}`.
 */
import type { Writable } from 'node:stream';
import pino, { type Logger } from 'pino';
import type { LogFormat } from './config/types.ts';
import { NsError } from './errors.ts';

export interface LoggerOptions {
  level: string;
  format: LogFormat;
  /** Where lines go; default standard output. */
  destination?: Writable;
  /** Pretty only: colours (default: when the terminal supports them). */
  colorize?: boolean;
}

type PrettyFactory = (options: Record<string, unknown>) => (line: string) => string;

// A specifier in a variable: pino-pretty is loaded only for pretty output, and its absence is a
// configuration error rather than a failure to start for everyone else.
const PINO_PRETTY = 'pino-pretty';

interface PinoPrettyModule {
  prettyFactory?: PrettyFactory;
  default?: { prettyFactory?: PrettyFactory };
}

async function importPinoPretty(): Promise<PinoPrettyModule | null> {
  try {
    return (await import(PINO_PRETTY)) as PinoPrettyModule;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND') return null;
    throw error;
  }
}

async function loadPrettyFactory(): Promise<PrettyFactory> {
  const module = await importPinoPretty();
  const factory = module?.prettyFactory ?? module?.default?.prettyFactory;
  if (factory) return factory;
  throw new NsError('NS_CONFIG_INVALID', 'NIGHTSHIFT_LOG_FORMAT=pretty needs the pino-pretty package, which is not installed here; npm install pino-pretty, or use NIGHTSHIFT_LOG_FORMAT=json', {
    field: 'logFormat',
  });
}

export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const { level, format } = options;
  if (format === 'json') return options.destination ? pino({ level }, options.destination) : pino({ level });
  const pretty = (await loadPrettyFactory())({
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname',
    singleLine: true,
    ...(options.colorize !== undefined ? { colorize: options.colorize } : {}),
  });
  const out = options.destination ?? process.stdout;
  // Formatted as each line is written, in this thread: nothing is lost when the process exits.
  return pino({ level }, { write: (line: string) => void out.write(pretty(line)) });
}
