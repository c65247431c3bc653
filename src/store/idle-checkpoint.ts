/**
 * WAL checkpoints at quiet moments. SQLite checkpoints by itself inside the COMMIT that takes the
 * WAL past `wal_autocheckpoint` pages (1,000): that COMMIT then copies the pages into the database
 * and fsyncs both files on the event loop, 2-12 ms here, in the middle of whatever burst it belongs
 * to. Here a PASSIVE checkpoint runs once the commit queue has been empty for a moment, so the WAL
 * rarely reaches the automatic threshold (in a probe of the scheduler benchmark, COMMITs over 2 ms
 * fell from 19 to 6-7 a minute). The automatic one stays as the bound when the queue is never quiet.
 *
 * A checkpoint fsyncs the database file on the event loop (3-9 ms, more on a busy disk), whatever
 * it copies. Work that trickles in (process jobs ending one by one) leaves a quiet moment after
 * almost every COMMIT: one checkpoint per few COMMITs, 157 in a 10 s probe of 500 process runs,
 * each holding up the claims and starts behind it. So a short quiet moment checkpoints only once
 * `minCommits` COMMITs wait to be copied (a few hundred WAL pages, well below the automatic 1,000);
 * fewer wait for a longer quiet (`lazyQuietMs`), which an idle service soon has.
 */
export class IdleCheckpoint {
  #timer: NodeJS.Timeout | null = null;
  /** COMMITs since the last checkpoint: none means nothing to copy. */
  #pending = 0;
  #stopped = false;
  #count = 0;
  #running: Promise<void> | null = null;

  constructor(
    /** Runs `pragma wal_checkpoint(PASSIVE)` on the store's connection. */
    private readonly checkpoint: () => Promise<void>,
    private readonly quietMs: number,
    private readonly minCommits = 32,
    private readonly lazyQuietMs = quietMs * 50,
  ) {}

  get count(): number {
    return this.#count;
  }

  /** Work arrived: a checkpoint now would hold it up. */
  busy(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
  }

  committed(): void {
    this.#pending++;
  }

  /** The queue is empty: checkpoint if it stays so for quietMs. */
  idle(): void {
    if (this.#stopped || this.#pending === 0) return;
    this.busy();
    this.#timer = setTimeout(() => this.#run(), this.#pending >= this.minCommits ? this.quietMs : this.lazyQuietMs);
    this.#timer.unref();
  }

  /** No checkpoint from now on; resolves once one in progress is over. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.busy();
    await this.#running;
  }

  #run(): void {
    this.#timer = null;
    if (this.#running) return; // the next quiet moment will do
    this.#running = this.#checkpointNow().finally(() => (this.#running = null));
  }

  async #checkpointNow(): Promise<void> {
    const pending = this.#pending;
    this.#pending = 0;
    try {
      await this.checkpoint();
      this.#count++;
    } catch {
      // Busy or failed: SQLite's own checkpoint still bounds the WAL; try again at the next quiet moment.
      this.#pending += pending;
    }
  }
}
