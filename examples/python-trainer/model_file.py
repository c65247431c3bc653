"""train.py's model file: JSON or ONNX, chosen by the extension of the path the job file gives.

- `*.onnx`: an ONNX model nightshift can serve (see onnx_graph.py). The model's JSON state (what
  model.json would hold) is embedded in its metadata_props under STATE_KEY, so an incremental run
  can continue from a previous .onnx.
- anything else (`*.json` in the sample and the tests): the JSON state itself, as before.

Files are written atomically: to a temporary name next to the target, then renamed, so a trainer
killed half-way never leaves a truncated model behind.
"""
import json
import os

import onnx_graph
import onnx_writer

STATE_KEY = "nightshift.python_example.state"


def format_for(path):
    return "onnx" if path.lower().endswith(".onnx") else "json"


def write_model(path, model):
    if format_for(path) == "onnx":
        state = json.dumps(model, allow_nan=False, separators=(",", ":"))
        write_atomically(path, onnx_graph.to_onnx(model, {STATE_KEY: state}))
    else:
        write_json_atomically(path, model)


def read_model(path):
    """The model state from a file this trainer wrote, in either format (told apart by content, so
    a switch from model.json to model.onnx between versions still warm-starts).

    Returns None for an ONNX model without our state (written by another trainer). Raises
    ValueError, naming the file, when it cannot be read or parsed.
    """
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        raise ValueError(f"cannot read {path}: {e}")
    try:
        if data.lstrip()[:1] == b"{":
            return json.loads(data.decode("utf-8"))
        state = onnx_writer.read_metadata(data).get(STATE_KEY)
        return None if state is None else json.loads(state)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{path} is neither this trainer's JSON nor an ONNX model: {e}")


def write_atomically(path, data):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


def write_json_atomically(path, value):
    text = json.dumps(value, indent=2, allow_nan=False) + "\n"
    write_atomically(path, text.encode("utf-8"))
