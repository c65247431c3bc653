/**
 * Artifact commands: `artifacts migrate` copies the artifact files of the data dir into the
 * PostgreSQL store (for switching NIGHTSHIFT_ARTIFACTS from file to postgres). It opens the store
 * itself rather than an engine: nothing else is needed, and no declaration is written.
 */
import type { Command } from 'commander';
import { loadSettings } from '../config/index.ts';
import { NsError } from '../errors.ts';
import { migrateArtifacts, type MigrateArtifactsResult } from '../registry/index.ts';
import { openDb } from '../store/db.ts';
import { migrate } from '../store/migrate.ts';

/** What these commands use of the CLI's io (CliIo, declared here so this file needs nothing of commands.ts). */
interface ArtifactCommandIo {
  out: (text: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

function summary(r: MigrateArtifactsResult, deleteFiles: boolean): string {
  const lines = [
    `artifacts referenced by versions: ${r.referenced}`,
    `copied into PostgreSQL (verified): ${r.copied}`,
    `already in PostgreSQL: ${r.alreadyStored}`,
    ...(deleteFiles ? [`files deleted: ${r.filesDeleted}`] : []),
    ...(r.problems.length === 0 ? [] : [`not copied: ${r.problems.length}`, ...r.problems.map((p) => `  ${p.problem}: ${p.message}`)]),
  ];
  return `${lines.join('\n')}\n`;
}

export function addArtifactCommands(program: Command, io: ArtifactCommandIo): void {
  const artifacts = program.command('artifacts').description('model artifact storage commands');

  artifacts
    .command('migrate')
    .description(
      'copy every artifact file referenced by a version from the data dir into the PostgreSQL store (DATABASE_URL), verified by hash; safe to run again. Then set NIGHTSHIFT_ARTIFACTS=postgres (the default with DATABASE_URL)',
    )
    .option('--delete-files', 'delete each file once its copy in PostgreSQL reads back intact')
    .option('--json', 'machine-readable output')
    .action(async (opts: { deleteFiles?: boolean; json?: boolean }, cmd: Command) => {
      const { config } = cmd.optsWithGlobals<{ config?: string }>();
      const settings = loadSettings({ env: io.env, cwd: io.cwd, ...(config ? { configPath: config } : {}) });
      if (!settings.databaseUrl) {
        throw new NsError('NS_CONFIG_INVALID', 'DATABASE_URL: artifacts migrate copies artifact files into PostgreSQL; set DATABASE_URL to the PostgreSQL store', {
          field: 'DATABASE_URL',
        });
      }
      const db = await openDb({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl, poolSize: 2 });
      try {
        await migrate(db);
        const deleteFiles = opts.deleteFiles === true;
        const result = await migrateArtifacts({ db, dataDir: settings.dataDir, deleteFiles });
        io.out(opts.json ? `${JSON.stringify(result, null, 2)}\n` : summary(result, deleteFiles));
        if (result.problems.length > 0) {
          throw new NsError('NS_STORE', `${plural(result.problems.length, 'artifact')} referenced by versions could not be copied (listed above); the others were`, {
            details: { problems: result.problems.length },
          });
        }
      } finally {
        await db.close();
      }
    });
}
