/**
 * A minimal protobuf (wire format) encoder: just what the ONNX messages in onnx-messages.ts need.
 *
 * Wire types (protobuf encoding spec): 0 = varint, 1 = 64-bit, 2 = length-delimited, 5 = 32-bit.
 * A field key is `(fieldNumber << 3) | wireType`, written as a varint. Repeated scalar fields are
 * written packed (one length-delimited record holding the concatenated values); protobuf parsers
 * must accept packed records even for proto2 fields not declared `[packed = true]`, which is how
 * onnx.proto declares AttributeProto.floats / ints (protobuf language guide, "Packed Repeated Fields").
 */

export const WireType = {
  Varint: 0,
  Fixed64: 1,
  LengthDelimited: 2,
  Fixed32: 5,
} as const;
export type WireType = (typeof WireType)[keyof typeof WireType];

const textEncoder = new TextEncoder();

export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  get length(): number {
    return this.pos;
  }

  /** The bytes written so far (a copy, so the writer can be reused or dropped). */
  finish(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  private ensure(extra: number): void {
    const need = this.pos + extra;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  // ---- raw values -------------------------------------------------------------------------

  /**
   * Unsigned/two's-complement varint of an integer (int32, int64, uint64, enum, bool). Negative
   * values are encoded as 64-bit two's complement (10 bytes), as protobuf does for int32/int64.
   */
  rawVarint(value: number | bigint): this {
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) {
        throw new RangeError(`varint: ${value} is not a safe integer`);
      }
      if (value >= 0) {
        this.ensure(10);
        let v = value;
        while (v >= 0x80) {
          this.buf[this.pos++] = (v % 0x80) | 0x80;
          v = Math.floor(v / 0x80);
        }
        this.buf[this.pos++] = v;
        return this;
      }
      value = BigInt(value);
    }
    let v = BigInt.asUintN(64, value);
    this.ensure(10);
    while (v >= 0x80n) {
      this.buf[this.pos++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    this.buf[this.pos++] = Number(v);
    return this;
  }

  rawFloat32(value: number): this {
    this.ensure(4);
    this.view.setFloat32(this.pos, value, true);
    this.pos += 4;
    return this;
  }

  rawFloat64(value: number): this {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
    return this;
  }

  rawBytes(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  tag(fieldNumber: number, wireType: WireType): this {
    if (!Number.isInteger(fieldNumber) || fieldNumber < 1 || fieldNumber > 0x1fff_ffff) {
      throw new RangeError(`invalid protobuf field number ${fieldNumber}`);
    }
    // fieldNumber << 3 may exceed int32 for big field numbers: use arithmetic, not bit ops.
    return this.rawVarint(fieldNumber * 8 + wireType);
  }

  // ---- fields -----------------------------------------------------------------------------

  /** int32 / int64 / uint64 / enum field (wire type 0). */
  int(fieldNumber: number, value: number | bigint): this {
    return this.tag(fieldNumber, WireType.Varint).rawVarint(value);
  }

  /** `float` field (wire type 5, little-endian IEEE-754 single). */
  float(fieldNumber: number, value: number): this {
    return this.tag(fieldNumber, WireType.Fixed32).rawFloat32(value);
  }

  /** `double` field (wire type 1, little-endian IEEE-754 double). */
  double(fieldNumber: number, value: number): this {
    return this.tag(fieldNumber, WireType.Fixed64).rawFloat64(value);
  }

  /** `bytes` field (wire type 2). */
  bytes(fieldNumber: number, value: Uint8Array): this {
    return this.tag(fieldNumber, WireType.LengthDelimited).rawVarint(value.length).rawBytes(value);
  }

  /** `string` field (wire type 2, UTF-8). */
  string(fieldNumber: number, value: string): this {
    return this.bytes(fieldNumber, textEncoder.encode(value));
  }

  /** Embedded message field (wire type 2): `encode` writes the sub-message's fields. */
  message(fieldNumber: number, encode: (w: ProtoWriter) => void): this {
    const sub = new ProtoWriter();
    encode(sub);
    return this.tag(fieldNumber, WireType.LengthDelimited)
      .rawVarint(sub.pos)
      .rawBytes(sub.buf.subarray(0, sub.pos));
  }

  /** Packed repeated int32/int64 (one length-delimited record of varints). Empty → nothing written. */
  packedInts(fieldNumber: number, values: ArrayLike<number> | readonly bigint[]): this {
    if (values.length === 0) return this;
    const sub = new ProtoWriter(values.length * 2);
    for (let i = 0; i < values.length; i++) sub.rawVarint(values[i] as number | bigint);
    return this.tag(fieldNumber, WireType.LengthDelimited)
      .rawVarint(sub.pos)
      .rawBytes(sub.buf.subarray(0, sub.pos));
  }

  /** Packed repeated float (4 bytes each; values are rounded to float32 by IEEE round-to-nearest). */
  packedFloats(fieldNumber: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(fieldNumber, WireType.LengthDelimited).rawVarint(values.length * 4);
    this.ensure(values.length * 4);
    for (let i = 0; i < values.length; i++) this.rawFloat32(values[i] as number);
    return this;
  }

  /** Packed repeated double (8 bytes each). */
  packedDoubles(fieldNumber: number, values: ArrayLike<number>): this {
    if (values.length === 0) return this;
    this.tag(fieldNumber, WireType.LengthDelimited).rawVarint(values.length * 8);
    this.ensure(values.length * 8);
    for (let i = 0; i < values.length; i++) this.rawFloat64(values[i] as number);
    return this;
  }
}

