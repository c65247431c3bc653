/**
 * Directives: stdout lines through which a job talks to nightshift.
 *
 *   ::metric name=value    a finite number; name matches [A-Za-z_][\w.:-]*; the last value wins
 *   ::outcome name         once the process exits 0, the run ends early with this named outcome
 *   ::progress anything    not interpreted; reaches onLine like any line, but stays out of the log tail
 *
 * Malformed metric/outcome directives are ignored and noted in the log tail. Other `::` lines are
 * ordinary output.
 */
import type { LogTail } from './log-tail.ts';

export type Directive =
  | { kind: 'metric'; name: string; value: number }
  | { kind: 'outcome'; name: string }
  | { kind: 'progress'; text: string }
  | { kind: 'invalid'; reason: string };

export const MAX_METRICS = 1000;
const MAX_NAME_LENGTH = 200;
const NAME = /^[A-Za-z_][\w.:-]*$/;
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const DIRECTIVE = /^::(metric|outcome|progress)(?:\s+(.*))?$/;

function nameProblem(name: string): string | null {
  if (!NAME.test(name)) return `invalid name "${name}"`;
  if (name.length > MAX_NAME_LENGTH) return `name longer than ${MAX_NAME_LENGTH} characters`;
  if (name === '__proto__') return 'reserved name "__proto__"';
  return null;
}

/** Parses one stdout line; null when it is not a directive. */
export function parseDirective(line: string): Directive | null {
  const match = DIRECTIVE.exec(line.trimEnd());
  if (!match) return null;
  const body = (match[2] ?? '').trim();
  switch (match[1]) {
    case 'progress':
      return { kind: 'progress', text: body };
    case 'outcome': {
      const problem = body === '' ? 'missing name' : nameProblem(body);
      return problem ? { kind: 'invalid', reason: `::outcome: ${problem}` } : { kind: 'outcome', name: body };
    }
    default: {
      const eq = body.indexOf('=');
      if (eq === -1) return { kind: 'invalid', reason: `::metric: expected name=value, got "${body}"` };
      const name = body.slice(0, eq).trim();
      const raw = body.slice(eq + 1).trim();
      const problem = nameProblem(name);
      if (problem) return { kind: 'invalid', reason: `::metric: ${problem}` };
      const value = DECIMAL.test(raw) ? Number(raw) : Number.NaN;
      if (!Number.isFinite(value)) return { kind: 'invalid', reason: `::metric ${name}: "${raw}" is not a finite number` };
      return { kind: 'metric', name, value };
    }
  }
}

/** Accumulates the directives of one process, writing notes about bad ones into the tail. */
export class DirectiveCollector {
  readonly metrics: Record<string, number> = {};
  outcome: string | undefined;
  #count = 0;

  constructor(private readonly tail: LogTail) {}

  /** Handles a stdout line; returns whether the line belongs in the log tail. */
  accept(line: string): boolean {
    const directive = parseDirective(line);
    if (directive === null) return true;
    switch (directive.kind) {
      case 'progress':
        return false;
      case 'invalid':
        this.tail.note(`ignored directive: ${directive.reason}`);
        return true;
      case 'outcome':
        this.outcome = directive.name;
        return true;
      case 'metric':
        if (!Object.hasOwn(this.metrics, directive.name)) {
          if (this.#count >= MAX_METRICS) {
            this.tail.note(`ignored metric ${directive.name}: more than ${MAX_METRICS} metrics`);
            return true;
          }
          this.#count += 1;
        }
        this.metrics[directive.name] = directive.value;
        return true;
    }
  }
}
