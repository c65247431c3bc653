/**
 * A CSV file as a data source: a header line naming the columns, then one sample per line, read
 * through the dataset schema (row-mapping.ts). Tenants are kept apart either by a per-tenant path
 * template (`data/{tenant}.csv`) or by a tenant column (`tenantColumn: "tenant_id"`), or both;
 * a source with neither is refused at config time. The file is streamed, not read whole.
 */
import { createReadStream } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { NsError } from '../../errors.ts';
import type { DataSource, DataWindow, DatasetSchema, RawSample } from '../types.ts';
import { CsvParser } from './csv-parse.ts';
import { missingColumns, parseTime, sampleFromRecord } from './row-mapping.ts';
import { checkWindow, inWindow } from './window.ts';

export interface CsvSourceOptions {
  /** File path; `{tenant}` is replaced by the tenant id. Relative paths resolve against `cwd`. */
  path: string;
  /** Column layout (entity, timestamp, features, label); its tenantId is not used. */
  schema: DatasetSchema;
  /** Column holding the tenant id; rows of other tenants are skipped. */
  tenantColumn?: string;
  delimiter?: string;
  cwd?: string;
}

export const TENANT_PLACEHOLDER = '{tenant}';
const SAFE_TENANT = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

export class CsvSource implements DataSource {
  readonly kind = 'csv' as const;
  readonly #options: Readonly<Required<Omit<CsvSourceOptions, 'tenantColumn'>> & { tenantColumn: string | null }>;

  constructor(options: CsvSourceOptions) {
    const { path, tenantColumn } = options;
    if (typeof path !== 'string' || path.trim() === '') throw new NsError('NS_CONFIG_INVALID', 'path: the CSV source needs a file path', { field: 'path' });
    if (!path.includes(TENANT_PLACEHOLDER) && !tenantColumn) {
      throw new NsError(
        'NS_CONFIG_INVALID',
        `path: a CSV source must keep tenants apart: put ${TENANT_PLACEHOLDER} in the path (e.g. "data/${TENANT_PLACEHOLDER}.csv") or set tenantColumn (e.g. "tenant_id")`,
        { field: 'path' },
      );
    }
    // Fails now, not at the first load, when the delimiter is unusable.
    new CsvParser({ delimiter: options.delimiter ?? ',' });
    this.#options = Object.freeze({ path, schema: options.schema, tenantColumn: tenantColumn ?? null, delimiter: options.delimiter ?? ',', cwd: options.cwd ?? process.cwd() });
  }

  /** The file a tenant's samples are read from. */
  fileFor(tenantId: string): string {
    if (!SAFE_TENANT.test(tenantId) || tenantId.includes('..')) {
      throw new NsError('NS_VALIDATION', `tenantId: "${tenantId}" cannot be used in a file path`, { field: 'tenantId' });
    }
    const path = this.#options.path.replaceAll(TENANT_PLACEHOLDER, tenantId);
    return isAbsolute(path) ? path : resolve(this.#options.cwd, path);
  }

  async load(tenantId: string, window: DataWindow, signal?: AbortSignal): Promise<RawSample[]> {
    checkWindow(window);
    const file = this.fileFor(tenantId);
    const { schema, tenantColumn, delimiter } = this.#options;
    const name = file.split(/[\\/]/).at(-1) ?? file;
    const parser = new CsvParser({ delimiter, where: name });
    const out: RawSample[] = [];
    let header: string[] | null = null;
    let tenantAt = -1;
    let tsAt = -1;

    const onRecord = (fields: string[], line: number) => {
      if (header === null) {
        header = fields.map((f) => f.trim());
        const dup = header.find((h, i) => header!.indexOf(h) !== i);
        if (dup !== undefined) throw new NsError('NS_VALIDATION', `${name}: the header names column "${dup}" twice`, { field: dup });
        const missing = missingColumns(new Set(header), schema);
        if (tenantColumn !== null && !header.includes(tenantColumn)) missing.unshift(tenantColumn);
        if (missing.length > 0) {
          throw new NsError('NS_VALIDATION', `${name}: the header lacks column(s) ${missing.map((m) => `"${m}"`).join(', ')}; it has ${header.join(', ')}`, {
            field: missing[0]!,
          });
        }
        tenantAt = tenantColumn === null ? -1 : header.indexOf(tenantColumn);
        tsAt = header.indexOf(schema.timestamp);
        return;
      }
      if (fields.length !== header.length) {
        throw new NsError('NS_VALIDATION', `${name} line ${line}: ${fields.length} fields, the header has ${header.length}`, { field: 'csv', details: { line } });
      }
      if (tenantAt >= 0 && fields[tenantAt] !== tenantId) return;
      const ts = parseTime(fields[tsAt]);
      if (Number.isFinite(ts) && !inWindow(ts, window)) return;
      const record: Record<string, string> = {};
      header.forEach((h, i) => (record[h] = fields[i]!));
      const sample = sampleFromRecord(record, schema, () => `${name} line ${line}`);
      if (inWindow(sample.ts, window)) out.push(sample);
    };

    try {
      const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16, ...(signal ? { signal } : {}) });
      for await (const chunk of stream) parser.push(chunk as string, onRecord);
      parser.end(onRecord);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw new NsError('NS_NOT_FOUND', `csv file "${file}" does not exist (tenant "${tenantId}")`, { field: 'path', details: { file }, cause: error });
      }
      throw error;
    }
    return out;
  }
}

export const createCsvSource = (options: CsvSourceOptions): CsvSource => new CsvSource(options);
