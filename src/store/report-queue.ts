/**
 * Reporting (events and log lines about slots decided and runs started or ended) that may wait
 * while the workers are taking runs. In a burst — hundreds of slots due in the same second — the
 * claims come one transaction after another, and every report written between two of them delays
 * the next: a slot's log line cost as much as a claim round's statements. Reports made while the
 * workers are claiming wait until they stop (nothing due, or no free place), and never longer than
 * maxDelayMs; they keep their order. Nothing holds them otherwise, so a report is made at once.
 */
export const REPORT_MAX_DELAY_MS = 50;

export class ReportQueue {
  #waiting: Array<() => void> = [];
  #holding = false;
  #timer: NodeJS.Timeout | null = null;
  readonly #maxDelayMs: number;
  readonly #onError: (error: unknown) => void;

  constructor(onError: (error: unknown) => void, maxDelayMs = REPORT_MAX_DELAY_MS) {
    this.#onError = onError;
    this.#maxDelayMs = maxDelayMs;
  }

  /** Makes the report now, or once the claims in progress are done. */
  report(make: () => void): void {
    if (!this.#holding) return this.#make(make);
    this.#waiting.push(make);
    this.#timer ??= setTimeout(() => this.flush(), this.#maxDelayMs);
  }

  /** Claims are being made: reports wait from now on. */
  hold(): void {
    this.#holding = true;
  }

  /** The claims are done for now: waiting reports are made, and new ones at once. */
  release(): void {
    this.#holding = false;
    this.flush();
  }

  /** Makes every waiting report (in order); holding, if on, goes on. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // A report may add another (a listener reacting to an event): it waits for the next flush or runs at once.
    const waiting = this.#waiting;
    this.#waiting = [];
    for (const make of waiting) this.#make(make);
  }

  #make(make: () => void): void {
    try {
      make();
    } catch (error) {
      // A listener's failure must not lose the reports after it, nor reach the claim that released them.
      this.#onError(error);
    }
  }
}
