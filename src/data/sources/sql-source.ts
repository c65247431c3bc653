/**
 * A query against the user's PostgreSQL as a data source. The query is compiled at config time
 * (sql-compile.ts: `:tenant_id` required); each load opens one connection, runs the query in a
 * READ ONLY transaction under a statement timeout, maps the rows through the dataset schema and
 * closes the connection, so the source holds nothing open between training runs.
 *
 * Result columns must be named like the schema's columns (alias them: `select temp as temperature`).
 * If the result has a `tenant_id` column, every row must carry the requested tenant; a row of
 * another tenant fails the load rather than leak into a model.
 */
import pg from 'pg';
import { NsError } from '../../errors.ts';
import type { DataSource, DataWindow, DatasetSchema, RawSample } from '../types.ts';
import { missingColumns, sampleFromRecord } from './row-mapping.ts';
import { compileSqlSource, sqlValues, type CompiledSql, type SqlTimeFormat } from './sql-compile.ts';
import { checkWindow } from './window.ts';

export interface SqlSourceOptions {
  /** postgres://… connection string of the user's database. */
  url: string;
  query: string;
  schema: DatasetSchema;
  /** How :since/:until are sent (default: ISO-8601 UTC for timestamp/timestamptz columns). */
  timeFormat?: SqlTimeFormat;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
  /** Config field named in errors about the query (default "query"). */
  field?: string;
}

const DEFAULTS = { timeFormat: 'timestamptz', statementTimeoutMs: 300_000, connectTimeoutMs: 10_000, field: 'query' } as const;

const OID = { int8: 20, timestamp: 1114 } as const;

// int8 as numbers (epoch ms fits in 2^53); `timestamp without time zone` read as UTC, not host time.
const TYPES = {
  getTypeParser: (oid: number, format?: string) => {
    if (oid === OID.int8) return (v: string) => Number(v);
    if (oid === OID.timestamp) return (v: string) => Date.parse(`${v.replace(' ', 'T')}Z`);
    return pg.types.getTypeParser(oid, format as 'text');
  },
};

/** PostgreSQL SQLSTATE classes worth retrying: connection, resources, operator intervention, serialization. */
const TRANSIENT_SQLSTATE = /^(08|53|57|40|58)/;
const TRANSIENT_NODE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EPIPE', 'EAI_AGAIN']);

function classify(error: unknown, field: string): NsError {
  if (error instanceof NsError) return error;
  const e = error as { code?: string; message?: string };
  const code = e.code ?? '';
  const message = `SQL source: ${e.message ?? String(error)}`;
  if (TRANSIENT_SQLSTATE.test(code) || TRANSIENT_NODE.has(code) || /timeout|terminated|Connection/i.test(e.message ?? '')) {
    return new NsError('NS_JOB_TRANSIENT', message, { retryable: true, cause: error, details: { sqlstate: code || undefined } });
  }
  if (/^(42|22|0A)/.test(code)) return new NsError('NS_CONFIG_INVALID', `${field}: ${message}`, { field, cause: error, details: { sqlstate: code } });
  return new NsError('NS_JOB_FAILED', message, { cause: error, details: { sqlstate: code || undefined } });
}

/** Best effort pg_cancel_backend of another connection's statement, over a short-lived connection. */
async function cancelBackend(url: string, connectTimeoutMs: number, pid: number | undefined): Promise<void> {
  if (pid === undefined || pid === null) return;
  const canceller = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs });
  canceller.on('error', () => undefined);
  try {
    await canceller.connect();
    await canceller.query('select pg_cancel_backend($1)', [pid]);
  } catch {
    // The connection is closed next anyway; statement_timeout bounds what is left.
  } finally {
    await canceller.end().catch(() => undefined);
  }
}

export class SqlSource implements DataSource {
  readonly kind = 'sql' as const;
  readonly compiled: CompiledSql;
  readonly #options: Readonly<Required<Omit<SqlSourceOptions, 'query'>>>;

  constructor(options: SqlSourceOptions) {
    const field = options.field ?? DEFAULTS.field;
    this.compiled = compileSqlSource(options.query, field);
    if (typeof options.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) {
      throw new NsError('NS_CONFIG_INVALID', 'url: must be a postgres:// connection string', { field: 'url' });
    }
    const timeout = options.statementTimeoutMs ?? DEFAULTS.statementTimeoutMs;
    if (!Number.isSafeInteger(timeout) || timeout < 1) throw new NsError('NS_CONFIG_INVALID', 'statementTimeoutMs: must be a positive whole number', { field: 'statementTimeoutMs' });
    this.#options = Object.freeze({
      url: options.url,
      schema: options.schema,
      timeFormat: options.timeFormat ?? DEFAULTS.timeFormat,
      statementTimeoutMs: timeout,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      field,
    });
  }

  async load(tenantId: string, window: DataWindow, signal?: AbortSignal): Promise<RawSample[]> {
    checkWindow(window);
    signal?.throwIfAborted();
    const { url, schema, timeFormat, statementTimeoutMs, connectTimeoutMs, field } = this.#options;
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: connectTimeoutMs, types: TYPES } as pg.ClientConfig);
    client.on('error', () => undefined);
    // On abort: cancel the running statement server-side (so it stops using the user's database), then hang up.
    const abort = () => void cancelBackend(url, connectTimeoutMs, (client as unknown as { processID?: number }).processID).finally(() => client.end().catch(() => undefined));
    signal?.addEventListener('abort', abort, { once: true });
    try {
      await client.connect();
      await client.query('begin transaction read only');
      // A validated integer, not user text.
      await client.query(`set local statement_timeout = ${statementTimeoutMs}`);
      const result = await client.query<Record<string, unknown>>({ text: this.compiled.text, values: sqlValues(this.compiled, tenantId, window, timeFormat) });
      await client.query('commit');
      const columns = new Set(result.fields.map((f) => f.name));
      const missing = missingColumns(columns, schema);
      if (missing.length > 0) {
        throw new NsError('NS_CONFIG_INVALID', `${field}: the result lacks column(s) ${missing.map((m) => `"${m}"`).join(', ')} (it has ${[...columns].join(', ')}); alias them with AS`, {
          field,
        });
      }
      const checkTenant = columns.has('tenant_id') && schema.entityKey !== 'tenant_id';
      return result.rows.map((row, i) => {
        if (checkTenant && String(row.tenant_id) !== tenantId) {
          throw new NsError('NS_CONFIG_INVALID', `${field}: returned a row of tenant "${String(row.tenant_id)}" when loading tenant "${tenantId}"; filter with tenant_id = :tenant_id`, { field });
        }
        return sampleFromRecord(row, schema, () => `SQL source row ${i + 1}`);
      });
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw classify(error, field);
    } finally {
      signal?.removeEventListener('abort', abort);
      await client.end().catch(() => undefined);
    }
  }
}

export const createSqlSource = (options: SqlSourceOptions): SqlSource => new SqlSource(options);
