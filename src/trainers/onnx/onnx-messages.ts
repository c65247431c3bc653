/**
 * Encoders for the subset of ONNX protobuf messages our exports (a tree ensemble, a linear model) need.
 *
 * Field numbers are those of onnx/onnx.proto (syntax proto2, package onnx); each is cited next to
 * the line that writes it. Only the fields we use are modelled.
 */

import { ProtoWriter } from './protobuf-writer.ts';

/** TensorProto.DataType (onnx.proto). */
export const TensorDataType = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  DOUBLE: 11,
} as const;
export type TensorDataType = (typeof TensorDataType)[keyof typeof TensorDataType];

/** AttributeProto.AttributeType (onnx.proto). */
export const AttributeType = {
  FLOAT: 1,
  INT: 2,
  STRING: 3,
  TENSOR: 4,
  FLOATS: 6,
  INTS: 7,
  STRINGS: 8,
} as const;

export interface OperatorSetId {
  /** "" is the default ONNX domain (ai.onnx). */
  domain: string;
  version: number;
}

export interface TensorValue {
  name?: string;
  dims: readonly number[];
  dataType: TensorDataType;
  /** For FLOAT tensors. */
  floatData?: ArrayLike<number>;
  /** For DOUBLE tensors. */
  doubleData?: ArrayLike<number>;
  /** For INT64 tensors. */
  int64Data?: ArrayLike<number>;
}

export type Attribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: TensorValue }
  | { name: string; type: 'floats'; value: ArrayLike<number> }
  | { name: string; type: 'ints'; value: ArrayLike<number> }
  | { name: string; type: 'strings'; value: readonly string[] };

export interface Node {
  name?: string;
  opType: string;
  /** "" = ai.onnx; "ai.onnx.ml" for the classical-ML operators. */
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: readonly Attribute[];
}

/** A dimension: a fixed size, or a symbolic name (e.g. "N" for the batch). */
export type Dim = number | string;

export interface ValueInfo {
  name: string;
  elemType: TensorDataType;
  /** Omit for an unknown shape. */
  shape?: readonly Dim[];
}

export interface Graph {
  name: string;
  nodes: readonly Node[];
  inputs: readonly ValueInfo[];
  outputs: readonly ValueInfo[];
  /** Named constant tensors the nodes read (weights, indices); each needs a `name`. */
  initializers?: readonly TensorValue[];
  docString?: string;
}

export interface Model {
  irVersion: number;
  opsetImports: readonly OperatorSetId[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  graph: Graph;
  metadata?: Readonly<Record<string, string>>;
}

// ---- encoders -------------------------------------------------------------------------------

/** OperatorSetIdProto: domain = 1 (string), version = 2 (int64). */
export function writeOperatorSetId(w: ProtoWriter, o: OperatorSetId): void {
  w.string(1, o.domain);
  w.int(2, o.version);
}

/**
 * TensorProto: dims = 1 (repeated int64, packed), data_type = 2 (int32), float_data = 4 (packed
 * float), int64_data = 7 (packed int64), name = 8 (string), double_data = 10 (packed double).
 */
export function writeTensor(w: ProtoWriter, t: TensorValue): void {
  w.packedInts(1, t.dims);
  w.int(2, t.dataType);
  if (t.floatData) w.packedFloats(4, t.floatData);
  if (t.int64Data) w.packedInts(7, t.int64Data);
  if (t.name !== undefined) w.string(8, t.name);
  if (t.doubleData) w.packedDoubles(10, t.doubleData);
}

/**
 * AttributeProto: name = 1, f = 2 (float), i = 3 (int64), s = 4 (bytes), t = 5 (TensorProto),
 * floats = 7 (repeated float), ints = 8 (repeated int64), strings = 9 (repeated bytes),
 * type = 20 (AttributeType; required since IR version 2).
 */
export function writeAttribute(w: ProtoWriter, a: Attribute): void {
  w.string(1, a.name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      w.int(20, AttributeType.FLOAT);
      break;
    case 'int':
      w.int(3, a.value);
      w.int(20, AttributeType.INT);
      break;
    case 'string':
      w.string(4, a.value);
      w.int(20, AttributeType.STRING);
      break;
    case 'tensor': {
      const t = a.value;
      w.message(5, (m) => writeTensor(m, t));
      w.int(20, AttributeType.TENSOR);
      break;
    }
    case 'floats':
      w.packedFloats(7, a.value);
      w.int(20, AttributeType.FLOATS);
      break;
    case 'ints':
      w.packedInts(8, a.value);
      w.int(20, AttributeType.INTS);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      w.int(20, AttributeType.STRINGS);
      break;
  }
}

/**
 * NodeProto: input = 1 (repeated string), output = 2 (repeated string), name = 3, op_type = 4,
 * attribute = 5 (repeated AttributeProto), domain = 7.
 */
export function writeNode(w: ProtoWriter, n: Node): void {
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name !== undefined) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes) w.message(5, (m) => writeAttribute(m, a));
  w.string(7, n.domain);
}

/**
 * ValueInfoProto: name = 1, type = 2 (TypeProto).
 * TypeProto: tensor_type = 1 (TypeProto.Tensor).
 * TypeProto.Tensor: elem_type = 1 (int32, a TensorProto.DataType), shape = 2 (TensorShapeProto).
 * TensorShapeProto: dim = 1 (repeated Dimension).
 * TensorShapeProto.Dimension: dim_value = 1 (int64) | dim_param = 2 (string).
 */
export function writeValueInfo(w: ProtoWriter, v: ValueInfo): void {
  w.string(1, v.name);
  w.message(2, (type) =>
    type.message(1, (tensor) => {
      tensor.int(1, v.elemType);
      if (v.shape) {
        const shape = v.shape;
        tensor.message(2, (s) => {
          for (const d of shape) {
            s.message(1, (dim) => {
              if (typeof d === 'number') dim.int(1, d);
              else dim.string(2, d);
            });
          }
        });
      }
    }),
  );
}

/**
 * GraphProto: node = 1 (repeated NodeProto), name = 2, initializer = 5 (repeated TensorProto),
 * doc_string = 10, input = 11 (repeated ValueInfoProto), output = 12 (repeated ValueInfoProto).
 */
export function writeGraph(w: ProtoWriter, g: Graph): void {
  for (const n of g.nodes) w.message(1, (m) => writeNode(m, n));
  w.string(2, g.name);
  for (const t of g.initializers ?? []) w.message(5, (m) => writeTensor(m, t));
  if (g.docString !== undefined) w.string(10, g.docString);
  for (const i of g.inputs) w.message(11, (m) => writeValueInfo(m, i));
  for (const o of g.outputs) w.message(12, (m) => writeValueInfo(m, o));
}

/**
 * ModelProto: ir_version = 1 (int64), producer_name = 2, producer_version = 3, domain = 4,
 * model_version = 5 (int64), doc_string = 6, graph = 7 (GraphProto),
 * opset_import = 8 (repeated OperatorSetIdProto), metadata_props = 14 (repeated
 * StringStringEntryProto: key = 1, value = 2).
 */
export function encodeModel(model: Model): Uint8Array {
  const w = new ProtoWriter(4096);
  w.int(1, model.irVersion);
  if (model.producerName !== undefined) w.string(2, model.producerName);
  if (model.producerVersion !== undefined) w.string(3, model.producerVersion);
  if (model.domain !== undefined) w.string(4, model.domain);
  if (model.modelVersion !== undefined) w.int(5, model.modelVersion);
  if (model.docString !== undefined) w.string(6, model.docString);
  w.message(7, (g) => writeGraph(g, model.graph));
  for (const o of model.opsetImports) w.message(8, (m) => writeOperatorSetId(m, o));
  for (const [key, value] of Object.entries(model.metadata ?? {})) {
    w.message(14, (m) => {
      m.string(1, key);
      m.string(2, value);
    });
  }
  return w.finish();
}
