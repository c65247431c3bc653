/**
 * A user's SQL query with named parameters, compiled once at config time. `:tenant_id` is
 * required (a query that cannot tell tenants apart is refused); `:since` and `:until` (the data
 * window, since ≤ ts < until) are optional. Each name becomes one positional `$n`, reused where the
 * name repeats; values are always sent as bind parameters, never spliced into the text.
 *
 * Casts (`x::date`, `:since::timestamptz`), string literals, quoted identifiers, comments and
 * dollar-quoted bodies are left alone. Any other `:name` and any `$1`-style parameter are refused.
 */
import { configError } from '../../errors.ts';
import type { DataWindow } from '../types.ts';

export const SQL_PARAMS = ['tenant_id', 'since', 'until'] as const;
export type SqlParam = (typeof SQL_PARAMS)[number];

export const SQL_EXAMPLE =
  'select machine_id, ts, temperature, vibration, fails_within_24h from readings where tenant_id = :tenant_id and ts >= :since and ts < :until';

/** How `:since` / `:until` are sent: an ISO-8601 UTC string (for timestamp columns) or epoch ms (for bigint columns). */
export type SqlTimeFormat = 'timestamptz' | 'epoch_ms';

export interface CompiledSql {
  /** The query with `$1…$n` in place of the named parameters. */
  readonly text: string;
  /** params[i] is the name bound to `$(i+1)`. */
  readonly params: readonly SqlParam[];
}

const IDENT_START = /[A-Za-z_]/;
const IDENT = /[A-Za-z0-9_]/;

export function compileSqlSource(query: string, field = 'query'): CompiledSql {
  if (typeof query !== 'string' || query.trim() === '') throw configError(field, `must be a SQL query; example: ${SQL_EXAMPLE}`);
  const params: SqlParam[] = [];
  let text = '';
  let i = 0;
  const n = query.length;
  const copyUntil = (end: number) => {
    text += query.slice(i, end);
    i = end;
  };
  while (i < n) {
    const c = query[i]!;
    const next = query[i + 1] ?? '';
    if (c === "'" || c === '"') {
      // 'string' (with '' inside, or backslash escapes after E) or "identifier" (with "" inside).
      const escapes = c === "'" && /[eE]/.test(query[i - 1] ?? '') && !IDENT.test(query[i - 2] ?? '');
      let j = i + 1;
      for (; j < n; j++) {
        if (escapes && query[j] === '\\') j++;
        else if (query[j] === c) {
          if (query[j + 1] === c) j++;
          else break;
        }
      }
      if (j >= n) throw configError(field, `a ${c === "'" ? 'string literal' : 'quoted identifier'} is never closed`);
      copyUntil(j + 1);
    } else if (c === '-' && next === '-') {
      const end = query.indexOf('\n', i);
      copyUntil(end === -1 ? n : end);
    } else if (c === '/' && next === '*') {
      let depth = 0;
      let j = i;
      for (; j < n; j++) {
        if (query[j] === '/' && query[j + 1] === '*') (depth++, j++);
        else if (query[j] === '*' && query[j + 1] === '/') {
          depth--;
          j++;
          if (depth === 0) break;
        }
      }
      if (j >= n) throw configError(field, 'a /* comment */ is never closed');
      copyUntil(j + 1);
    } else if (c === '$') {
      const tag = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(query.slice(i));
      if (tag && !IDENT.test(query[i - 1] ?? '')) {
        const end = query.indexOf(tag[0], i + tag[0].length);
        if (end === -1) throw configError(field, `a dollar-quoted ${tag[0]} body is never closed`);
        copyUntil(end + tag[0].length);
      } else if (/\d/.test(next) && !IDENT.test(query[i - 1] ?? '')) {
        throw configError(field, `use the named parameters ${SQL_PARAMS.map((p) => `:${p}`).join(', ')} instead of positional ones like $1; example: ${SQL_EXAMPLE}`);
      } else copyUntil(i + 1);
    } else if (c === ':' && next === ':') {
      copyUntil(i + 2);
    } else if (c === ':' && IDENT_START.test(next)) {
      let j = i + 1;
      while (j < n && IDENT.test(query[j]!)) j++;
      const name = query.slice(i + 1, j);
      if (!(SQL_PARAMS as readonly string[]).includes(name)) {
        throw configError(field, `unknown parameter :${name}; the parameters are ${SQL_PARAMS.map((p) => `:${p}`).join(', ')}`);
      }
      let index = params.indexOf(name as SqlParam);
      if (index === -1) index = params.push(name as SqlParam) - 1;
      text += `$${index + 1}`;
      i = j;
    } else copyUntil(i + 1);
  }
  if (!params.includes('tenant_id')) {
    throw configError(field, `the query must filter by tenant with :tenant_id, so one tenant never reads another's rows; example: ${SQL_EXAMPLE}`, {
      example: SQL_EXAMPLE,
    });
  }
  return Object.freeze({ text, params: Object.freeze(params) });
}

/** Bind values for one load, in `$n` order. */
export function sqlValues(compiled: CompiledSql, tenantId: string, window: DataWindow, timeFormat: SqlTimeFormat = 'timestamptz'): Array<string | number> {
  const time = (ms: number) => (timeFormat === 'epoch_ms' ? ms : new Date(ms).toISOString());
  return compiled.params.map((p) => (p === 'tenant_id' ? tenantId : p === 'since' ? time(window.since) : time(window.until)));
}
