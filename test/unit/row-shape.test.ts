/** Rows built from raw arrays are the objects better-sqlite3 itself would build, before and after schema changes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import BetterSqlite3 from 'better-sqlite3';
import { join } from 'node:path';
import { withStatementCache } from '../../src/store/statement-cache.ts';
import { tempDir } from '../helpers/settings.ts';

describe('row shape (SQLite statements)', () => {
  const open = () => {
    const file = join(tempDir(), 'rows.sqlite');
    const raw = new BetterSqlite3(file);
    raw.exec(`create table t (id integer primary key, name text, score real, blob_col blob, n integer)`);
    raw.prepare('insert into t (name, score, blob_col, n) values (?, ?, ?, ?)').run('a', 1.5, Buffer.from([1, 2]), null);
    raw.prepare('insert into t (name, score, blob_col, n) values (?, ?, ?, ?)').run('b "quoted"', -2, null, 7);
    return { file, raw, cached: withStatementCache(raw) };
  };
  const native = (raw: BetterSqlite3.Database, text: string, params: unknown[] = []) => raw.prepare(text).all(...params);

  test('same keys, order and values as better-sqlite3 objects, for tables, expressions, duplicates and odd names', () => {
    const { raw, cached } = open();
    const texts = [
      'select * from t order by id',
      'select count(*), max(score) as "max score", 1 from t',
      'select t.id, u.id, t.name from t join t as u on u.id = t.id order by t.id',
      `select n as "constructor", id as "a""b", name as "toString" from t order by id`,
    ];
    for (const text of texts) {
      const shaped = cached.prepare(text).all([]) as Array<Record<string, unknown>>;
      const expected = native(raw, text) as Array<Record<string, unknown>>;
      assert.deepStrictEqual(shaped, expected, text);
      for (let i = 0; i < shaped.length; i++) assert.deepStrictEqual(Object.keys(shaped[i]!), Object.keys(expected[i]!), text);
    }
    const odd = cached.prepare(`select name as "__proto__" from t order by id`).all([]) as Array<Record<string, unknown>>;
    // Unlike better-sqlite3, whose objects take such a value as their prototype.
    assert.equal(Object.getPrototypeOf(odd[0]), Object.prototype, 'a column named __proto__ is an own property, not the prototype');
    assert.equal(odd[0]!['__proto__'], 'a');
    assert.ok(Object.hasOwn(odd[0]!, '__proto__'));
  });

  test('parameters, iterate() and run() behave as before', () => {
    const { raw, cached } = open();
    assert.deepStrictEqual(cached.prepare('select id, name from t where id = ?').all([2]), native(raw, 'select id, name from t where id = ?', [2]));
    assert.deepStrictEqual([...cached.prepare('select id from t order by id').iterate([])], [{ id: 1 }, { id: 2 }]);
    const result = cached.prepare('update t set n = ? where id = ?').run([9, 1]);
    assert.equal(result.changes, 1);
    assert.deepStrictEqual(cached.prepare('update t set n = n + 1 returning id, n').all([]), [{ id: 1, n: 10 }, { id: 2, n: 8 }]);
  });

  test('a statement reads its columns again after a schema change here or in another connection', () => {
    const { file, cached } = open();
    const star = 'select * from t where id = 1';
    assert.deepStrictEqual(Object.keys(cached.prepare(star).all([])[0] as object), ['id', 'name', 'score', 'blob_col', 'n']);
    cached.prepare('alter table t add column extra text').run([]);
    assert.deepStrictEqual(cached.prepare(star).all([]), [{ id: 1, name: 'a', score: 1.5, blob_col: Buffer.from([1, 2]), n: null, extra: null }]);
    const other = new BetterSqlite3(file);
    other.exec(`alter table t add column later integer default 5`);
    other.close();
    assert.deepStrictEqual(Object.keys(cached.prepare(star).all([])[0] as object), ['id', 'name', 'score', 'blob_col', 'n', 'extra', 'later']);
    assert.equal((cached.prepare(star).all([])[0] as { later: number }).later, 5);
  });
});
