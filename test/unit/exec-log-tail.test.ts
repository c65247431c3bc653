import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDirective } from '../../src/runs/exec/directives.ts';
import { LineSplitter, LogTail } from '../../src/runs/exec/log-tail.ts';

describe('LineSplitter', () => {
  it('joins lines split across chunks and strips \\r', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    for (const chunk of ['hel', 'lo wor', 'ld\r\nsec', 'ond\n', '\n', 'tail']) s.push(Buffer.from(chunk));
    assert.deepEqual(lines, ['hello world', 'second', '']);
    s.end();
    assert.deepEqual(lines, ['hello world', 'second', '', 'tail']);
  });

  it('does not break a multi-byte character split between chunks', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    const bytes = Buffer.from('grüße €😀\n', 'utf8');
    for (let i = 0; i < bytes.length; i += 1) s.push(bytes.subarray(i, i + 1));
    s.end();
    assert.deepEqual(lines, ['grüße €😀']);
  });

  it('cuts a line that never ends into bounded pieces', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l), 4);
    s.push('abcdefghij');
    s.end();
    assert.deepEqual(lines, ['abcd', 'efgh', 'ij']);
  });
});

describe('LogTail', () => {
  it('keeps only the last N bytes, ending with the newest line', () => {
    const tail = new LogTail(50);
    for (let i = 0; i < 100; i += 1) tail.line('stdout', `line ${i}`);
    const text = tail.toString();
    assert.ok(Buffer.byteLength(text) <= 50);
    assert.ok(text.endsWith('line 98\nline 99\n'));
    assert.ok(!text.includes('line 1\n'));
  });

  it('marks stderr lines and notes', () => {
    const tail = new LogTail(1000);
    tail.line('stdout', 'out');
    tail.line('stderr', 'err');
    tail.note('hello');
    assert.equal(tail.toString(), 'out\n[stderr] err\n[nightshift] hello\n');
  });

  it('cuts an oversized line at a character boundary', () => {
    const tail = new LogTail(7);
    tail.line('stdout', '€€€€€'); // 15 bytes + newline
    const text = tail.toString();
    assert.ok(Buffer.byteLength(text) <= 7);
    assert.equal(text, '€€\n');
  });

  it('keeps nothing with a zero budget', () => {
    const tail = new LogTail(0);
    tail.line('stdout', 'x');
    assert.equal(tail.toString(), '');
  });
});

describe('parseDirective', () => {
  it('parses metrics, outcomes and progress', () => {
    assert.deepEqual(parseDirective('::metric loss=0.25'), { kind: 'metric', name: 'loss', value: 0.25 });
    assert.deepEqual(parseDirective('::metric eval.auc:v2 = -1.5e-3 '), { kind: 'metric', name: 'eval.auc:v2', value: -0.0015 });
    assert.deepEqual(parseDirective('::outcome no_data'), { kind: 'outcome', name: 'no_data' });
    assert.deepEqual(parseDirective('::progress 50% done'), { kind: 'progress', text: '50% done' });
  });

  it('rejects malformed directives and ignores ordinary lines', () => {
    for (const line of ['::metric 1x=2', '::metric x=', '::metric x=abc', '::metric x=Infinity', '::metric x=0x10', '::metric x', '::metric __proto__=1', '::outcome', '::outcome bad name']) {
      assert.equal(parseDirective(line)?.kind, 'invalid', line);
    }
    for (const line of ['metric x=1', ' ::metric x=1', '::metrics x=1', '::warning hi', '']) assert.equal(parseDirective(line), null, line);
  });
});
