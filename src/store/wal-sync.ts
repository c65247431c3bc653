/**
 * The fsync behind SQLite's durable COMMITs (group-commit.ts), run on libuv's thread pool instead of
 * inside better-sqlite3's COMMIT on the event loop. fdatasync applies to the file, not to the
 * descriptor, so syncing our own descriptor of `<db>-wal` makes the frames SQLite wrote durable. The
 * WAL file stays the same file while a connection is open: SQLite deletes it only when the last
 * connection closes.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { WalSync } from './group-commit.ts';

export interface WalFile {
  sync: WalSync;
  close(): Promise<void>;
}

export function walFile(path: string): WalFile {
  // Opened at the first sync: the WAL exists once something has been committed.
  let handle: Promise<FileHandle> | null = null;
  const opened = () => {
    handle ??= open(path, 'r').catch((error: unknown) => {
      handle = null;
      throw error;
    });
    return handle;
  };
  return {
    sync: async () => (await opened()).datasync(),
    close: async () => {
      const h = handle;
      handle = null;
      await (await h?.catch(() => null))?.close();
    },
  };
}
