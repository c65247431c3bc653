"""A tiny ONNX encoder in plain Python (standard library only): no numpy, no onnx package.

It writes the subset of onnx.proto (syntax proto2, package onnx) a small model graph needs —
ModelProto, GraphProto, NodeProto, AttributeProto (int only), TensorProto (double and int64),
ValueInfoProto — and reads back one thing: a model's metadata_props (so a trainer can find the
state it embedded there). Field numbers are cited next to the code that writes them.

Protobuf wire format: a field is a key `(field_number << 3) | wire_type` (a varint) and a value.
Wire types: 0 varint, 1 64-bit, 2 length-delimited (strings, bytes, sub-messages, packed repeated
scalars), 5 32-bit. Repeated numbers are written packed (one length-delimited record), which every
protobuf parser must accept even for proto2 fields not declared `[packed = true]`.
"""
import struct

# TensorProto.DataType (onnx.proto)
INT64 = 7
DOUBLE = 11

IR_VERSION = 8  # onnxruntime 1.10+ reads IR 8
OPSET = 13  # default domain (ai.onnx)


# ---------------------------------------------------------------------------------------------
# Wire format


def varint(value):
    """Unsigned varint; a negative int64 is written as its 64-bit two's complement (10 bytes)."""
    value &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def key(field, wire_type):
    return varint((field << 3) | wire_type)


def int_field(field, value):
    return key(field, 0) + varint(value)


def bytes_field(field, data):
    return key(field, 2) + varint(len(data)) + data


def string_field(field, text):
    return bytes_field(field, text.encode("utf-8"))


def packed_ints(field, values):
    return bytes_field(field, b"".join(varint(v) for v in values)) if values else b""


def packed_doubles(field, values):
    return bytes_field(field, struct.pack(f"<{len(values)}d", *values)) if values else b""


# ---------------------------------------------------------------------------------------------
# ONNX messages (each returns the encoded message body)


def tensor(name, data_type, dims, values):
    """TensorProto: dims = 1 (int64), data_type = 2, int64_data = 7, name = 8, double_data = 10."""
    body = packed_ints(1, dims) + int_field(2, data_type)
    if data_type == INT64:
        body += packed_ints(7, values)
    elif data_type == DOUBLE:
        body += packed_doubles(10, [float(v) for v in values])
    else:
        raise ValueError(f"tensor {name!r}: data type {data_type} is not supported by this writer")
    return body + string_field(8, name)


def node(op_type, inputs, outputs, name, **int_attributes):
    """NodeProto: input = 1, output = 2, name = 3, op_type = 4, attribute = 5, domain = 7 ("" = ai.onnx).

    AttributeProto (INT only): name = 1, i = 3, type = 20 (INT = 2).
    """
    body = b"".join(string_field(1, i) for i in inputs) + b"".join(string_field(2, o) for o in outputs)
    body += string_field(3, name) + string_field(4, op_type)
    for attr, value in int_attributes.items():
        body += bytes_field(5, string_field(1, attr) + int_field(3, value) + int_field(20, 2))
    return body + string_field(7, "")


def value_info(name, elem_type, shape):
    """ValueInfoProto: name = 1, type = 2 → TypeProto.tensor_type = 1 → elem_type = 1, shape = 2 →
    TensorShapeProto.dim = 1 → Dimension: dim_value = 1 (int) | dim_param = 2 (symbolic name)."""
    dims = b"".join(bytes_field(1, int_field(1, d) if isinstance(d, int) else string_field(2, d)) for d in shape)
    tensor_type = int_field(1, elem_type) + bytes_field(2, dims)
    return string_field(1, name) + bytes_field(2, bytes_field(1, tensor_type))


def graph(name, nodes, initializers, inputs, outputs):
    """GraphProto: node = 1, name = 2, initializer = 5, input = 11, output = 12."""
    body = b"".join(bytes_field(1, n) for n in nodes) + string_field(2, name)
    body += b"".join(bytes_field(5, t) for t in initializers)
    body += b"".join(bytes_field(11, v) for v in inputs) + b"".join(bytes_field(12, v) for v in outputs)
    return body


def model(graph_body, producer_name, metadata):
    """ModelProto: ir_version = 1, producer_name = 2, graph = 7, opset_import = 8
    (OperatorSetIdProto: domain = 1, version = 2), metadata_props = 14 (key = 1, value = 2)."""
    body = int_field(1, IR_VERSION) + string_field(2, producer_name) + bytes_field(7, graph_body)
    body += bytes_field(8, string_field(1, "") + int_field(2, OPSET))
    for k, v in metadata.items():
        body += bytes_field(14, string_field(1, k) + string_field(2, v))
    return body


# ---------------------------------------------------------------------------------------------
# Reading metadata back


def read_metadata(data):
    """ModelProto.metadata_props (field 14) as a dict; every other field is skipped unread.

    Raises ValueError when the bytes are not a well-formed protobuf message.
    """
    metadata = {}
    for field, value in fields(data):
        if field == 14 and isinstance(value, bytes):
            entry = {f: v for f, v in fields(value) if isinstance(v, bytes)}
            metadata[entry.get(1, b"").decode("utf-8")] = entry.get(2, b"").decode("utf-8")
    return metadata


def fields(data):
    """Yields (field number, value) of one message: an int for varint and fixed-width fields,
    bytes for length-delimited ones."""
    pos = 0
    while pos < len(data):
        tag, pos = read_varint(data, pos)
        field, wire_type = tag >> 3, tag & 7
        if wire_type == 0:
            value, pos = read_varint(data, pos)
        elif wire_type in (1, 5):
            size = 8 if wire_type == 1 else 4
            value, pos = int.from_bytes(data[pos:pos + size], "little"), pos + size
        elif wire_type == 2:
            size, pos = read_varint(data, pos)
            value, pos = bytes(data[pos:pos + size]), pos + size
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type} at byte {pos}")
        if field == 0 or pos > len(data):
            raise ValueError(f"not a protobuf message (bad field or truncated at byte {pos})")
        yield field, value


def read_varint(data, pos):
    result, shift = 0, 0
    while True:
        if pos >= len(data) or shift > 63:
            raise ValueError(f"not a protobuf message (bad varint at byte {pos})")
        b = data[pos]
        result |= (b & 0x7F) << shift
        pos, shift = pos + 1, shift + 7
        if b < 0x80:
            return result, pos
