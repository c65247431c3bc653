import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { tempDir } from './settings.ts';

export const PG_BASE_URL = process.env.NIGHTSHIFT_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REQUIRE_PG = process.env.NIGHTSHIFT_REQUIRE_POSTGRES === '1';

let pgAvailable: Promise<boolean> | null = null;

async function probePostgres(): Promise<boolean> {
  const client = new pg.Client({ connectionString: PG_BASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (REQUIRE_PG) throw new Error(`NIGHTSHIFT_REQUIRE_POSTGRES=1 but PostgreSQL at ${PG_BASE_URL} is unreachable: ${(error as Error).message}`);
    process.stderr.write(`\n*** PostgreSQL at ${PG_BASE_URL} unreachable: PostgreSQL suites SKIPPED (set NIGHTSHIFT_REQUIRE_POSTGRES=1 to fail instead) ***\n\n`);
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** A fresh, empty PostgreSQL schema for one test, reached through search_path in the URL. */
export async function freshPostgresUrl(): Promise<string> {
  const schema = `ns_t_${randomBytes(5).toString('hex')}`;
  const client = new pg.Client({ connectionString: PG_BASE_URL });
  await client.connect();
  await client.query(`create schema ${schema}`);
  await client.end();
  return `${PG_BASE_URL}?options=-c%20search_path%3D${schema}`;
}

export interface StoreTarget {
  dialect: 'sqlite' | 'postgres';
  dataDir: string;
  databaseUrl: string | null;
}

/** Both dialects for contract suites; PostgreSQL is skipped loudly when absent (unless required). */
export async function storeTargets(): Promise<Array<{ name: 'sqlite' | 'postgres'; make: () => Promise<StoreTarget>; skip: boolean }>> {
  pgAvailable ??= probePostgres();
  const hasPg = await pgAvailable;
  return [
    { name: 'sqlite', skip: false, make: async () => ({ dialect: 'sqlite', dataDir: tempDir(), databaseUrl: null }) },
    { name: 'postgres', skip: !hasPg, make: async () => ({ dialect: 'postgres', dataDir: tempDir(), databaseUrl: await freshPostgresUrl() }) },
  ];
}
