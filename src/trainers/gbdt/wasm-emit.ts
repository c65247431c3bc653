/**
 * A minimal WebAssembly binary emitter: just what the training kernels (kernels.ts) need — one
 * imported shared memory, exported functions over i32/f64/v128 values, loops and memory access.
 * Instructions are byte arrays; a function body is a list of them, concatenated on emit.
 * Reference: the WebAssembly core specification, binary format (and its fixed-width SIMD chapter).
 */

export const VAL = { i32: 0x7f, i64: 0x7e, f64: 0x7c, v128: 0x7b } as const;
export type ValType = (typeof VAL)[keyof typeof VAL];
export type Code = readonly number[];

function uleb(value: number): number[] {
  const out: number[] = [];
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
  return out;
}

function sleb(value: number): number[] {
  const out: number[] = [];
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

function sleb64(value: bigint): number[] {
  const out: number[] = [];
  let v = BigInt.asIntN(64, value);
  for (;;) {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (byte & 0x40) === 0) || (v === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const name = (s: string): number[] => {
  const bytes = [...Buffer.from(s, 'utf8')];
  return [...uleb(bytes.length), ...bytes];
};
const vec = (items: readonly Code[]): number[] => [...uleb(items.length), ...items.flat()];
const section = (id: number, body: Code): number[] => [id, ...uleb(body.length), ...body];
/** memarg: log2 of the alignment hint, then a constant byte offset added to the address. */
const memarg = (align: number, offset: number): number[] => [...uleb(align), ...uleb(offset)];

/** Instructions, named after the text format (`local.get` → `get`, `i32.load8_u` → `load8`). */
export const op = {
  get: (i: number): Code => [0x20, ...uleb(i)],
  set: (i: number): Code => [0x21, ...uleb(i)],
  tee: (i: number): Code => [0x22, ...uleb(i)],
  i32: (v: number): Code => [0x41, ...sleb(v)],
  i64: (v: bigint): Code => [0x42, ...sleb64(v)],
  f64: (v: number): Code => [0x44, ...new Uint8Array(new Float64Array([v]).buffer)],
  block: [0x02, 0x40] as Code,
  if: [0x04, 0x40] as Code,
  else: [0x05] as Code,
  loop: [0x03, 0x40] as Code,
  end: [0x0b] as Code,
  br: (depth: number): Code => [0x0c, ...uleb(depth)],
  brIf: (depth: number): Code => [0x0d, ...uleb(depth)],
  load8: (offset = 0): Code => [0x2d, ...memarg(0, offset)],
  load16: (offset = 0): Code => [0x2f, ...memarg(1, offset)],
  load32: (offset = 0): Code => [0x28, ...memarg(2, offset)],
  loadF64: (offset = 0): Code => [0x2b, ...memarg(3, offset)],
  store8: (offset = 0): Code => [0x3a, ...memarg(0, offset)],
  store16: (offset = 0): Code => [0x3b, ...memarg(1, offset)],
  store32: (offset = 0): Code => [0x36, ...memarg(2, offset)],
  storeF64: (offset = 0): Code => [0x39, ...memarg(3, offset)],
  loadI64: (offset = 0): Code => [0x29, ...memarg(3, offset)],
  storeI64: (offset = 0): Code => [0x37, ...memarg(3, offset)],
  /** v128 accesses declare 8-byte alignment: histogram cells (24 bytes apart) are not 16-aligned. */
  loadV128: (offset = 0): Code => [0xfd, 0x00, ...memarg(3, offset)],
  storeV128: (offset = 0): Code => [0xfd, 0x0b, ...memarg(3, offset)],
  f64x2Splat: [0xfd, 0x14] as Code,
  i64x2Splat: [0xfd, 0x12] as Code,
  f64x2Add: [0xfd, 0xf0, 0x01] as Code,
  f64x2Sub: [0xfd, 0xf1, 0x01] as Code,
  i64x2Add: [0xfd, 0xce, 0x01] as Code,
  i64x2Sub: [0xfd, 0xd1, 0x01] as Code,
  eq: [0x46] as Code,
  ltS: [0x48] as Code,
  ltU: [0x49] as Code,
  geU: [0x4f] as Code,
  leU: [0x4d] as Code,
  gtU: [0x4b] as Code,
  ne: [0x47] as Code,
  add: [0x6a] as Code,
  sub: [0x6b] as Code,
  mul: [0x6c] as Code,
  and: [0x71] as Code,
  or: [0x72] as Code,
  shl: [0x74] as Code,
  shrU: [0x76] as Code,
  i64Add: [0x7c] as Code,
  i64And: [0x83] as Code,
  i64Or: [0x84] as Code,
  i64Xor: [0x85] as Code,
  i64ShrS: [0x87] as Code,
  i32WrapI64: [0xa7] as Code,
  i64Shl: [0x86] as Code,
  i64ShrU: [0x88] as Code,
  i64ExtendI32U: [0xad] as Code,
  /** i64.trunc_sat_f64_s: toward zero, saturating (NaN → 0). */
  i64TruncSatF64: [0xfc, 0x06] as Code,
  f64ConvertI64: [0xb9] as Code,
  f64ConvertI64U: [0xba] as Code,
  fNearest: [0x9e] as Code,
  fAbs: [0x99] as Code,
  fMax: [0xa5] as Code,
  /** memory.fill: [address, byte value, length] → the bytes set (bulk memory). */
  memoryFill: [0xfc, 0x0b, 0x00] as Code,
  fAdd: [0xa0] as Code,
  fSub: [0xa1] as Code,
  fMul: [0xa2] as Code,
  fDiv: [0xa3] as Code,
  fGt: [0x64] as Code,
  fLt: [0x63] as Code,
  fGe: [0x66] as Code,
  leS: [0x4c] as Code,
  f64ConvertI32S: [0xb7] as Code,
  fNe: [0x62] as Code,
  select: [0x1b] as Code,
};

/** `for (i = from; i < to; i++) body` with unsigned i32 bounds; `from`/`to` are code pushing one i32. */
export function forRange(i: number, from: Code, to: Code, body: readonly Code[]): Code[] {
  return [
    from, op.set(i),
    op.block, op.get(i), to, op.geU, op.brIf(0),
    op.loop, ...body,
    op.get(i), op.i32(1), op.add, op.tee(i), to, op.ltU, op.brIf(0),
    op.end, op.end,
  ];
}

export interface FunctionDef {
  name: string;
  params: readonly ValType[];
  result?: ValType;
  locals: readonly ValType[];
  body: readonly Code[];
}

/**
 * A module importing `env.memory` (shared, any size up to 4 GiB) and exporting `functions`. Each
 * function gets its own type; locals are numbered after the parameters.
 */
export function emitModule(functions: readonly FunctionDef[]): Uint8Array<ArrayBuffer> {
  const types = functions.map((f) => [0x60, ...vec(f.params.map((p) => [p])), ...(f.result === undefined ? [0] : [1, f.result])]);
  const memoryImport = [...name('env'), ...name('memory'), 0x02, 0x03, ...uleb(1), ...uleb(65_536)];
  const codes = functions.map((f) => {
    const body = [...vec(f.locals.map((t) => [1, t])), ...f.body.flat(), ...op.end];
    return [...uleb(body.length), ...body];
  });
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec(types)),
    ...section(2, vec([memoryImport])),
    ...section(3, vec(functions.map((_, i) => uleb(i)))),
    ...section(7, vec(functions.map((f, i) => [...name(f.name), 0x00, ...uleb(i)]))),
    ...section(10, vec(codes)),
  ]);
}
