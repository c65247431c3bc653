/**
 * Process entry: config → build → signals → ordered shutdown. The only module that touches
 * process signals or calls process.exit.
 */
import { buildProgram, type CliIo } from './cli/commands.ts';
import { CommanderError } from 'commander';
import { describeError, EXIT, exitCodeFor } from './cli/exit-codes.ts';
import type { Settings } from './config/types.ts';
import { createLogger } from './logger.ts';

async function serve(settings: Settings): Promise<void> {
  const logger = await createLogger({ level: settings.logLevel, format: settings.logFormat });
  // Loaded here, not at the top: other commands need not pay for the HTTP stack.
  const { Service } = await import('./server.ts');
  const service = await Service.create({ settings, logger });
  await service.start();
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ signal }, 'second signal: exiting at once; unfinished runs are recovered on next start');
      process.exit(130);
    }
    stopping = true;
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
