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

/** pino-pretty, loaded only when pretty output is asked for (the JSON path never pays for it). */
async function loadPrettyFactory(): Promise<PrettyFactory> {
  const module = (await import('pino-pretty')) as { prettyFactory?: PrettyFactory; default?: { prettyFactory?: PrettyFactory } };
  const factory = module.prettyFactory ?? module.default?.prettyFactory;
  if (!factory) throw new NsError('NS_INTERNAL', 'pino-pretty has no prettyFactory: the installed version is not the one package.json asks for');
  return factory;
}

/**
 * Lines are held until this many bytes wait… (under sonic-boom's largest write, 16 KiB). At 10,000
 * requests a second the access lines alone fill it in about 4 ms; 4 KiB meant a write (and a wake-up
 * of the reader) every 13 requests.
 */
const LOG_BATCH_BYTES = 12_288;
/** …or this long: a line reaches the reader at most this late. */
const LOG_FLUSH_MS = 50;

/**
 * Standard output, written asynchronously in batches: one write per LOG_BATCH_BYTES or per
 * LOG_FLUSH_MS, instead of one synchronous write per line. Each request logs its access line, and
 * that write (with the wake-up of the process reading the pipe) cost as much server CPU as writing
 * the response. pino writes what is left when the process exits.
 */
function standardOutput(): pino.DestinationStream {
  return pino.destination({ dest: 1, sync: false, minLength: LOG_BATCH_BYTES, periodicFlush: LOG_FLUSH_MS });
}

/**
 * Writes text to standard output after the lines logged so far: through the log's own stream when
 * it is the asynchronous one (a direct write could overtake lines still waiting), else directly.
 */
export function writeAfterLogs(logger: Logger, text: string): void {
  const stream = (logger as unknown as Record<symbol, unknown>)[pino.symbols.streamSym] as { write(s: string): unknown; flushSync?: unknown } | undefined;
  if (stream && typeof stream.flushSync === 'function' && (stream as { fd?: number }).fd === 1) stream.write(text);
  else process.stdout.write(text);
}

export async function createLogger(options: LoggerOptions): Promise<Logger> {
  const { level, format } = options;
  if (format === 'json') return options.destination ? pino({ level }, options.destination) : pino({ level }, standardOutput());
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
