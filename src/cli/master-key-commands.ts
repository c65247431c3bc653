/**
 * `nightshift keys rotate-master`: a new master key, and every artifact re-encrypted under it
 * (registry/rotate-master.ts), in the `keys` group beside the API keys (key-commands.ts).
 */
import type { Command } from 'commander';
import { NsError } from '../errors.ts';
import { withEngine } from './engine-session.ts';
import { keysCommand } from './key-commands.ts';
import type { CliIo } from './io.ts';

export function addMasterKeyCommands(program: Command, io: CliIo): void {
  keysCommand(program)
    .command('rotate-master')
    .description(
      'new master key (with the data dir key file; with NIGHTSHIFT_MASTER_KEY set the new key there and the old one in NIGHTSHIFT_MASTER_KEY_PREVIOUS first), then re-seal every notification channel secret and re-encrypt every artifact under it; safe to run again',
    )
    .option('--forget-previous', 'remove the retired keys from the key file once every artifact and secret is under the new key')
    .option('--json', 'machine-readable output')
    .action(async (opts: { forgetPrevious?: boolean; json?: boolean }, cmd: Command) =>
      withEngine(cmd, io, 'existing', async (services) => {
        const result = await services.masterKey.rotate({ forgetPrevious: opts.forgetPrevious === true });
        if (opts.json) io.out(`${JSON.stringify(result, null, 2)}\n`);
        else {
          io.out(
            [
              `master key: ${result.previousKeyId} → ${result.keyId} (${result.source === 'file' ? 'key file' : 'NIGHTSHIFT_MASTER_KEY'})`,
              `artifacts re-encrypted: ${result.rewritten}`,
              `already under the current key: ${result.alreadyCurrent}`,
              `notification channel secrets re-sealed: ${result.secrets.resealed} (already current: ${result.secrets.alreadyCurrent})`,
              ...(result.forgotten ? [`retired keys removed from the key file: ${result.forgotten}`] : []),
              ...result.problems.map((p) => `  not re-encrypted: ${p.message}`),
              ...result.secrets.problems.map((p) => `  not re-sealed: ${p.message}`),
            ].join('\n') + '\n',
          );
        }
        if (result.problems.length > 0 || result.secrets.problems.length > 0) {
          throw new NsError(
            'NS_STORE',
            `${result.problems.length} artifact(s) could not be re-encrypted and ${result.secrets.problems.length} secret(s) could not be re-sealed (listed above); keep the retired keys until they are fixed`,
            { details: { problems: result.problems.length, secretProblems: result.secrets.problems.length } },
          );
        }
      }),
    );
}
