"""train.py's model as an ONNX graph that onnxruntime serves with train.py's own predictions.

Input `input`: double [N, d], the features in job-file order (categorical features as their
integer codes), NaN = missing. Output: binary → `probability` [N, 1] = P(class 1); regression →
`value` [N, 1]. Everything is double, the precision train.py computes in, so onnxruntime's
predictions differ from train.py's only by the order of floating-point additions.

The graph mirrors train.py's expand() and predict_raw():
  numeric features     Gather their columns → Where(IsNaN, mean, x) → Sub mean → Div scale
  each categorical     Gather its column → Where(IsNaN, -1, x) → Clip(-1, size) → Cast int64
                       → Equal [0 .. size-1] → Cast double: a one-hot, all zero when the code is
                       missing or outside [0, size) (train.py: `0 <= int(value) < size`)
  then                 Concat the blocks → MatMul weights → Add bias, and
                       binary: Clip(-35, 35) → Sigmoid; regression: Mul target_scale → Add target_mean
The numeric block comes first in the Concat, so the weights are reordered to match it.
"""
import onnx_writer as onnx

INPUT = "input"
PRODUCER = "nightshift-python-example"


class GraphBuilder:
    """Collects nodes and constant tensors (initializers), naming each value after its op."""

    def __init__(self):
        self.nodes, self.initializers, self.count = [], [], 0

    def const(self, name, data_type, dims, values):
        self.initializers.append(onnx.tensor(name, data_type, dims, values))
        return name

    def op(self, op_type, inputs, output=None, **attributes):
        self.count += 1
        output = output or f"{op_type.lower()}_{self.count}"
        self.nodes.append(onnx.node(op_type, inputs, [output], f"{op_type}_{self.count}", **attributes))
        return output


def to_onnx(model, metadata):
    """The ModelProto bytes of a train.py model dict; `metadata` goes into metadata_props.

    Raises ValueError when the model has no input column at all (nothing for a graph to read).
    """
    g = GraphBuilder()
    numeric, categorical, offset = [], [], 0
    for j, p in enumerate(model["prep"]):
        (categorical if p["type"] == "categorical" else numeric).append((j, p, offset))
        offset += p["size"] if p["type"] == "categorical" else 1
    if offset != len(model["weights"]):
        raise ValueError(f"model has {len(model['weights'])} weights but its features expand to {offset} inputs")

    blocks, order = [], []  # order[k]: index in model["weights"] of the k-th concatenated input
    if numeric:
        n = len(numeric)
        mean = g.const("numeric_mean", onnx.DOUBLE, [n], [p["mean"] for _, p, _ in numeric])
        scale = g.const("numeric_scale", onnx.DOUBLE, [n], [p["scale"] for _, p, _ in numeric])
        x = g.op("Gather", [INPUT, g.const("numeric_columns", onnx.INT64, [n], [j for j, _, _ in numeric])], axis=1)
        x = g.op("Where", [g.op("IsNaN", [x]), mean, x])
        blocks.append(g.op("Div", [g.op("Sub", [x, mean]), scale]))
        order += [o for _, _, o in numeric]
    if categorical:
        minus_one = g.const("minus_one", onnx.DOUBLE, [], [-1.0])
    for j, p, o in categorical:
        size = p["size"]
        if size == 0:
            continue  # no category ever seen: train.py's one-hot is empty
        x = g.op("Gather", [INPUT, g.const(f"column_{j}", onnx.INT64, [1], [j])], axis=1)
        x = g.op("Where", [g.op("IsNaN", [x]), minus_one, x])
        # Casting NaN or a huge double to int64 is undefined in C++ (onnxruntime's Cast is a
        # static_cast): clip first. -1 and size stay out of range, so the answer is unchanged.
        x = g.op("Clip", [x, minus_one, g.const(f"size_{j}", onnx.DOUBLE, [], [float(size)])])
        codes = g.op("Cast", [x], to=onnx.INT64)  # truncates toward zero, like Python's int()
        hits = g.op("Equal", [codes, g.const(f"categories_{j}", onnx.INT64, [size], list(range(size)))])
        blocks.append(g.op("Cast", [hits], to=onnx.DOUBLE))
        order += range(o, o + size)
    if not blocks:
        raise ValueError("the model has no input column (every feature is a categorical with no category); "
                         "write model.json instead")

    x = g.op("Concat", blocks, axis=1) if len(blocks) > 1 else blocks[0]
    weights = g.const("weights", onnx.DOUBLE, [len(order), 1], [model["weights"][k] for k in order])
    z = g.op("Add", [g.op("MatMul", [x, weights]), g.const("bias", onnx.DOUBLE, [], [model["bias"]])])
    if model["task"] == "binary":
        low = g.const("z_min", onnx.DOUBLE, [], [-35.0])
        high = g.const("z_max", onnx.DOUBLE, [], [35.0])
        output = g.op("Sigmoid", [g.op("Clip", [z, low, high])], "probability")
    else:
        scaled = g.op("Mul", [z, g.const("target_scale", onnx.DOUBLE, [], [model["target_scale"]])])
        output = g.op("Add", [scaled, g.const("target_mean", onnx.DOUBLE, [], [model["target_mean"]])], "value")

    d = len(model["prep"])
    body = onnx.graph(
        "nightshift_python_example",
        g.nodes,
        g.initializers,
        [onnx.value_info(INPUT, onnx.DOUBLE, ["N", d])],
        [onnx.value_info(output, onnx.DOUBLE, ["N", 1])],
    )
    return onnx.model(body, PRODUCER, metadata)
