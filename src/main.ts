/**
 * Process entry: config → build → signals → ordered shutdown. The only module that touches
 * process signals or calls process.exit.
 */
import { buildProgram, type CliIo } from './cli/commands.ts';
import { CommanderError } from 'commander';
import { describeError, EXIT, exitCodeFor } from './cli/exit-codes.ts';
import type { Settings } from './config/types.ts';
import { createLogger, writeAfterLogs } from './logger.ts';

/** A signal repeated within this window is the first one delivered twice, not a second request. */
const REPEAT_WINDOW_MS = 1000;

async function serve(settings: Settings): Promise<void> {
  const logger = await createLogger({ level: settings.logLevel, format: settings.logFormat });
  // Loaded here, not at the top: other commands need not pay for the HTTP stack.
  const { Service } = await import('./server.ts');
  const service = await Service.create({ settings, logger });
  const address = await service.start();
  if (service.firstKey) writeAfterLogs(logger, firstKeyNotice(service.firstKey, address));
  let firstSignalAt: number | null = null;
  const stop = (signal: NodeJS.Signals) => {
    if (firstSignalAt !== null) {
      // One request often arrives twice: a terminal's ^C (or systemd, which signals every process
      // of the unit) reaches this process and npm, and npm forwards it. Only a later one means "now".
      if (performance.now() - firstSignalAt < REPEAT_WINDOW_MS) {
        logger.info({ signal }, `signal repeated within ${REPEAT_WINDOW_MS} ms: taken as the same request; send it again later to exit at once`);
        return;
      }
      logger.warn({ signal }, 'second signal: exiting at once; unfinished runs are recovered on next start');
      process.exit(130);
    }
    firstSignalAt = performance.now();
    logger.info({ signal, graceMs: settings.shutdownGraceMs }, 'shutting down: no new runs; waiting for running ones');
    service.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

/** Printed once, on the store's first start: the only time the key's text is shown. */
function firstKeyNotice(token: string, address: string | null): string {
  const base = address ?? 'http://127.0.0.1:8080';
  return [
    '',
    'nightshift: first start: a super admin API key was created. It is shown this once; keep it:',
    '',
    `  export NIGHTSHIFT_TOKEN=${token}`,
    '',
    `  curl -s -H "authorization: Bearer $NIGHTSHIFT_TOKEN" ${base}/api/models`,
    '',
    'More keys (per tenant and role): `nightshift keys create --tenant <id> --role viewer|operator|admin`.',
    '',
  ].join('\n');
}

const io: CliIo = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
};

try {
  await buildProgram(io, serve).parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // commander already printed its message (and the help); help and version are not errors.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : error.code === 'commander.executeSubCommandAsync' ? EXIT.failure : EXIT.invalidInput;
  } else {
    io.err(`${describeError(error)}\n`);
    process.exitCode = exitCodeFor(error);
  }
}
