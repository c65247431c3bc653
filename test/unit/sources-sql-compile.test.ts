/** SQL source query compilation: named parameters → $n, :tenant_id required at config time. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSqlSource, createSqlSource, sqlValues } from '../../src/data/sources/index.ts';
import type { DatasetSchema } from '../../src/data/types.ts';

const configError = (field: string, message: RegExp) => (e: unknown) => {
  const err = e as { code?: string; field?: string; message: string };
  assert.equal(err.code, 'NS_CONFIG_INVALID', err.message);
  assert.equal(err.field, field);
  assert.match(err.message, message);
  return true;
};

describe('compileSqlSource', () => {
  test('named parameters become positional, repeats reuse one number', () => {
    const c = compileSqlSource('select * from r where tenant = :tenant_id and ts >= :since and ts < :until and :tenant_id <> \'\'');
    assert.equal(c.text, "select * from r where tenant = $1 and ts >= $2 and ts < $3 and $1 <> ''");
    assert.deepEqual(c.params, ['tenant_id', 'since', 'until']);
    const window = { since: Date.UTC(2026, 0, 1), until: Date.UTC(2026, 0, 2) };
    assert.deepEqual(sqlValues(c, 'acme', window), ['acme', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z']);
    assert.deepEqual(sqlValues(c, 'acme', window, 'epoch_ms'), ['acme', window.since, window.until]);
  });

  test('casts, literals, quoted identifiers, comments and dollar quotes are left alone', () => {
    const q = [
      "select ts::date, ':since' as s, \"a:until\", E'it\\'s :x', $$ :x $$, $tag$ :x $tag$",
      'from r -- :nope',
      '/* :nope /* nested */ still */ where t = :tenant_id and ts >= :since::timestamptz',
    ].join('\n');
    const c = compileSqlSource(q);
    assert.deepEqual(c.params, ['tenant_id', 'since']);
    assert.ok(c.text.endsWith('where t = $1 and ts >= $2::timestamptz'));
    assert.ok(c.text.includes("':since' as s") && c.text.includes('-- :nope'));
  });

  test('a query without :tenant_id is refused, naming the field and showing an example', () => {
    assert.throws(() => compileSqlSource('select * from readings where ts >= :since'), configError('query', /must filter by tenant with :tenant_id.*example: select/));
    assert.throws(() => compileSqlSource("select * from r where note = ':tenant_id'"), configError('query', /:tenant_id/));
    assert.throws(() => compileSqlSource('select 1 -- :tenant_id', 'jobs.train.source.query'), configError('jobs.train.source.query', /:tenant_id/));
  });

  test('unknown parameters, positional parameters and unclosed quotes are refused', () => {
    assert.throws(() => compileSqlSource('select * from r where t = :tenant_id and x = :limit'), configError('query', /unknown parameter :limit/));
    assert.throws(() => compileSqlSource('select * from r where t = $1'), configError('query', /named parameters/));
    assert.throws(() => compileSqlSource("select * from r where t = :tenant_id and x = 'open"), configError('query', /never closed/));
    assert.throws(() => compileSqlSource('  '), configError('query', /example/));
  });

  test('createSqlSource compiles at construction', () => {
    const schema: DatasetSchema = { id: 'd', tenantId: 't', entityKey: 'e', timestamp: 'ts', features: [], label: { name: 'y', type: 'numeric', nullable: true } };
    assert.throws(() => createSqlSource({ url: 'postgres://x@localhost/db', query: 'select 1', schema }), configError('query', /:tenant_id/));
    assert.throws(() => createSqlSource({ url: 'mysql://x', query: 'select 1 where :tenant_id = 1', schema }), (e: { field?: string }) => e.field === 'url');
    assert.equal(createSqlSource({ url: 'postgres://x@localhost/db', query: 'select 1 where :tenant_id = 1', schema }).kind, 'sql');
  });
});
