// Every assert.ok carries a message (a message-less failing assert.ok is extremely slow under tsx).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ProtoWriter } from '../../src/trainers/onnx/protobuf-writer.ts';
import { exportGbdtToOnnx } from '../../src/trainers/onnx/export-gbdt.ts';
import type { GbdtBody } from '../../src/trainers/types.ts';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('ProtoWriter', () => {
  it('varints', () => {
    const enc = (v: number | bigint): string => hex(new ProtoWriter().rawVarint(v).finish());
    assert.equal(enc(0), '00');
    assert.equal(enc(1), '01');
    assert.equal(enc(127), '7f');
    assert.equal(enc(128), '8001');
    assert.equal(enc(300), 'ac02');
    assert.equal(enc(2 ** 32), '8080808010');
    assert.equal(enc(Number.MAX_SAFE_INTEGER), 'ffffffffffffff0f');
    assert.equal(enc(-1), 'ffffffffffffffffff01'); // int64 -1: ten bytes, two's complement
    assert.equal(enc(-2n), 'feffffffffffffffff01');
    assert.throws(() => enc(1.5), /safe integer/);
  });

  it('the protobuf encoding guide examples', () => {
    // "A Simple Message": field 1 = 150 → 08 96 01
    assert.equal(hex(new ProtoWriter().int(1, 150).finish()), '089601');
    // strings: field 2 = "testing" → 12 07 74 65 73 74 69 6e 67
    assert.equal(hex(new ProtoWriter().string(2, 'testing').finish()), '120774657374696e67');
    // embedded message: field 3 = { field 1 = 150 } → 1a 03 08 96 01
    assert.equal(hex(new ProtoWriter().message(3, (m) => m.int(1, 150)).finish()), '1a03089601');
    // packed repeated: field 4 = [3, 270, 86942] → 22 06 03 8e 02 9e a7 05
    assert.equal(hex(new ProtoWriter().packedInts(4, [3, 270, 86942]).finish()), '2206038e029ea705');
  });

  it('fixed-width and packed floats/doubles, big field numbers, empty packed fields', () => {
    assert.equal(hex(new ProtoWriter().float(2, 1).finish()), '150000803f'); // key 2<<3|5 = 0x15
    assert.equal(hex(new ProtoWriter().double(1, 1).finish()), '09000000000000f03f'); // key 1<<3|1 = 0x09
    assert.equal(hex(new ProtoWriter().packedFloats(7, [1, -2]).finish()), '3a080000803f000000c0');
    assert.equal(hex(new ProtoWriter().packedDoubles(10, [0.5]).finish()), '5208000000000000e03f');
    assert.equal(hex(new ProtoWriter().int(20, 6).finish()), 'a00106'); // AttributeProto.type = FLOATS
    assert.equal(new ProtoWriter().packedInts(8, []).finish().length, 0);
  });

  it('grows its buffer', () => {
    const w = new ProtoWriter(16);
    const values = Array.from({ length: 10_000 }, (_, i) => i * 1000);
    w.packedInts(1, values);
    const bytes = w.finish();
    assert.equal(bytes.length, w.length);
    assert.ok(bytes.length > 20_000, `length ${bytes.length}`);
  });
});

// ---- a tiny decoder, only to inspect what the exporter wrote ---------------------------------

type Field = { no: number; wire: number; value: bigint | Uint8Array };

function readVarint(b: Uint8Array, pos: { i: number }): bigint {
  let v = 0n;
  let shift = 0n;
  for (;;) {
    const byte = b[pos.i++] as number;
    v |= BigInt(byte & 0x7f) << shift;
    if (byte < 0x80) return v;
    shift += 7n;
  }
}

function decode(b: Uint8Array): Field[] {
  const out: Field[] = [];
  const pos = { i: 0 };
  while (pos.i < b.length) {
    const key = Number(readVarint(b, pos));
    const no = key >>> 3;
    const wire = key & 7;
    if (wire === 0) out.push({ no, wire, value: readVarint(b, pos) });
    else if (wire === 2) {
      const len = Number(readVarint(b, pos));
      out.push({ no, wire, value: b.subarray(pos.i, pos.i + len) });
      pos.i += len;
    } else if (wire === 5) {
      out.push({ no, wire, value: b.subarray(pos.i, pos.i + 4) });
      pos.i += 4;
    } else if (wire === 1) {
      out.push({ no, wire, value: b.subarray(pos.i, pos.i + 8) });
      pos.i += 8;
    } else throw new Error(`wire type ${wire}`);
  }
  return out;
}
const sub = (fields: Field[], no: number): Uint8Array[] =>
  fields.filter((f) => f.no === no).map((f) => f.value as Uint8Array);
const str = (fields: Field[], no: number): string[] => sub(fields, no).map((b) => Buffer.from(b).toString('utf8'));
const int = (fields: Field[], no: number): number[] =>
  fields.filter((f) => f.no === no).map((f) => Number(f.value as bigint));

describe('exported ModelProto (decoded)', () => {
  const body: GbdtBody = {
    objective: 'binary_logloss',
    baseScore: 0.1,
    trees: [
      { feature: [0, -1, -1], threshold: [0.5, 0, 0], left: [1, -1, -1], right: [2, -1, -1], missingLeft: [true, false, false], value: [0, -1, 1] },
    ],
    binEdges: [[0.5]],
  };

  it('ir_version, opset imports, one TreeEnsembleClassifier node in ai.onnx.ml, no ZipMap', () => {
    const model = decode(exportGbdtToOnnx(body, 3, 'binary'));
    assert.deepEqual(int(model, 1), [8]); // ir_version
    assert.deepEqual(str(model, 2), ['nightshift']); // producer_name
    const opsets = sub(model, 8).map((o) => {
      const f = decode(o);
      return `${str(f, 1)[0] ?? ''}:${int(f, 2)[0]}`;
    });
    assert.deepEqual(opsets, [':15', 'ai.onnx.ml:3']);
    const [graphBytes] = sub(model, 7);
    assert.ok(graphBytes, 'graph present');
    const graph = decode(graphBytes);
    const nodes = sub(graph, 1).map(decode);
    assert.equal(nodes.length, 1);
    const node = nodes[0] as Field[];
    assert.deepEqual(str(node, 4), ['TreeEnsembleClassifier']);
    assert.deepEqual(str(node, 7), ['ai.onnx.ml']);
    assert.deepEqual(str(node, 1), ['input']);
    assert.deepEqual(str(node, 2), ['label', 'probabilities']);
    const attrs = new Map(sub(node, 5).map((a) => [str(decode(a), 1)[0], decode(a)] as const));
    assert.deepEqual(str(attrs.get('post_transform') ?? [], 4), ['LOGISTIC']);
    assert.deepEqual(int(attrs.get('post_transform') ?? [], 20), [3]); // STRING
    assert.deepEqual(str(attrs.get('nodes_modes') ?? [], 9), ['BRANCH_LEQ', 'LEAF', 'LEAF']);
    const tracks = sub(attrs.get('nodes_missing_value_tracks_true') ?? [], 8)[0];
    assert.deepEqual(Array.from(tracks ?? []), [1, 0, 0]); // packed varints 1, 0, 0
    assert.equal(Buffer.from(sub(graph, 12).map((b) => Buffer.from(b).toString('latin1')).join()).includes('ZipMap'), false);
    assert.deepEqual(sub(graph, 11).map((v) => str(decode(v), 1)[0]), ['input']);
    assert.deepEqual(sub(graph, 12).map((v) => str(decode(v), 1)[0]), ['label', 'probabilities']);
  });
});
