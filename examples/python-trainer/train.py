#!/usr/bin/env python3
"""A nightshift command trainer in plain Python 3 (standard library only).

Follows docs/trainer-protocol.md: reads the job file (path given as the last argument, also in
NIGHTSHIFT_JOB_FILE), trains a logistic regression (task "binary") or a linear regression (task
"regression") by full-batch gradient descent, prints `::progress` lines, and writes the model file
and metrics.json into the output directory. Exit codes: 0 success, 75 transient failure (nightshift
retries), 2 unusable job file or data, 143 stopped by SIGTERM.

The model file's format follows the extension of `paths.model`: `.onnx` writes an ONNX model
nightshift can serve (input double [N, features] in job-file order, NaN = missing; see
onnx_graph.py), anything else writes the model as JSON. Incremental mode continues from either
(model_file.py).

Params (all optional):
  epochs             gradient-descent steps (default 300)
  learning_rate      step size (default 0.5 for binary, 0.1 for regression)
  l2                 L2 penalty on the weights (default 0.0001)
  progress_every     print progress every N epochs (default epochs / 10)
  fail_once_marker   path of a marker file: if it does not exist yet, create it and exit 75 (a
                     transient failure such as an unreachable data source; the retry succeeds)
  sleep_seconds      sleep this long before training (to exercise timeouts and cancellation)

Try it:  python3 train.py sample/job.json   (writes sample/output/model.json and metrics.json)
         python3 train.py sample/job-onnx.json   (writes sample/output/model.onnx and metrics.json)

Predict with a model this trainer wrote (one value per line: P(class 1) or the regression value):
         python3 train.py --predict sample/output/model.onnx sample/validation.csv
"""
import csv
import json
import math
import os
import random
import signal
import sys
import time

import model_file

PROTOCOL = 1
EXIT_TRANSIENT = 75
EXIT_BAD_INPUT = 2
EXIT_TERMINATED = 128 + signal.SIGTERM
MODEL_FORMAT = "nightshift-python-example"


class Terminated(Exception):
    """Raised from the SIGTERM handler, so training stops at once and cleanly."""


class BadInput(Exception):
    """The job file or data cannot be used: a permanent failure (exit 2)."""


def on_sigterm(signum, frame):
    raise Terminated()


def log(message):
    print(f"train.py: {message}", file=sys.stderr, flush=True)


def progress(text):
    print(f"::progress {text}", flush=True)


# ---------------------------------------------------------------------------------------------
# Job file and data


def load_job(path):
    try:
        with open(path, encoding="utf-8") as f:
            job = json.load(f)
    except (OSError, ValueError) as e:
        raise BadInput(f"cannot read job file {path}: {e}")
    if not isinstance(job, dict) or job.get("protocol") != PROTOCOL:
        raise BadInput(f"job file {path}: expected protocol {PROTOCOL}, got {job.get('protocol') if isinstance(job, dict) else job!r}")
    for key in ("task", "mode", "paths", "features", "label", "dataFormat"):
        if key not in job:
            raise BadInput(f"job file {path}: missing {key!r}")
    if job["task"] not in ("binary", "regression"):
        raise BadInput(f"job file {path}: task {job['task']!r} is not supported")
    # Paths written by nightshift are absolute; resolve relative ones (hand-written job files)
    # against the job file's directory.
    base = os.path.dirname(os.path.abspath(path))
    paths = job["paths"]
    for key, value in list(paths.items()):
        if isinstance(value, str):
            paths[key] = os.path.join(base, value)
    return job


def read_rows(path, data_format, columns):
    """Rows as lists of floats (None = missing), in `columns` order."""
    if data_format == "csv":
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.reader(f)
            header = next(reader, None)
            if header is None:
                raise BadInput(f"{path}: empty data file")
            index = column_index(header, columns, path)
            return [[parse_number(row[i], path) for i in index] for row in reader if row]
    if data_format == "ndjson":
        rows = []
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                obj = json.loads(line)
                missing = [c for c in columns if c not in obj]
                if missing:
                    raise BadInput(f"{path}:{n}: missing columns {missing}")
                rows.append([None if obj[c] is None else float(obj[c]) for c in columns])
        return rows
    raise BadInput(f"data format {data_format!r} is not supported")


def column_index(header, columns, path):
    missing = [c for c in columns if c not in header]
    if missing:
        raise BadInput(f"{path}: missing columns {missing}")
    return [header.index(c) for c in columns]


def parse_number(text, path):
    if text == "":
        return None
    try:
        return float(text)
    except ValueError:
        raise BadInput(f"{path}: {text!r} is not a number")


# ---------------------------------------------------------------------------------------------
# Model: per-feature preprocessing (mean imputation and scaling, one-hot categories) + weights


def fit_prep(features, rows):
    prep = []
    for j, feature in enumerate(features):
        values = [r[j] for r in rows if r[j] is not None]
        if feature["type"] == "categorical":
            size = len(feature.get("categories") or []) or (int(max(values)) + 1 if values else 0)
            prep.append({"name": feature["name"], "type": "categorical", "size": size})
        else:
            mean = sum(values) / len(values) if values else 0.0
            var = sum((v - mean) ** 2 for v in values) / len(values) if values else 0.0
            prep.append({"name": feature["name"], "type": "numeric", "mean": mean, "scale": math.sqrt(var) or 1.0})
    return prep


def expand(prep, row):
    """One model input vector from one row of raw feature values."""
    x = []
    for p, value in zip(prep, row):
        if p["type"] == "categorical":
            onehot = [0.0] * p["size"]
            if value is not None and 0 <= int(value) < p["size"]:
                onehot[int(value)] = 1.0
            x.extend(onehot)
        else:
            x.append(((p["mean"] if value is None else value) - p["mean"]) / p["scale"])
    return x


def predict_raw(model, x):
    z = model["bias"] + sum(w * v for w, v in zip(model["weights"], x))
    if model["task"] == "binary":
        return 1.0 / (1.0 + math.exp(-max(-35.0, min(35.0, z))))
    return model["target_mean"] + model["target_scale"] * z


def loss(model, xs, ys):
    if not xs:
        return 0.0
    total = 0.0
    for x, y in zip(xs, ys):
        p = predict_raw(model, x)
        if model["task"] == "binary":
            p = min(max(p, 1e-12), 1 - 1e-12)
            total -= y * math.log(p) + (1 - y) * math.log(1 - p)
        else:
            total += (p - y) ** 2
    return total / len(xs)


def gradient_step(model, xs, ys, learning_rate, l2):
    n = len(xs)
    grad = [0.0] * len(model["weights"])
    grad_bias = 0.0
    for x, y in zip(xs, ys):
        if model["task"] == "binary":
            err = predict_raw(model, x) - y
        else:  # squared error on the standardized target
            err = (predict_raw(model, x) - y) / model["target_scale"]
        grad_bias += err
        for k, v in enumerate(x):
            grad[k] += err * v
    for k in range(len(grad)):
        model["weights"][k] -= learning_rate * (grad[k] / n + l2 * model["weights"][k])
    model["bias"] -= learning_rate * grad_bias / n


def compatible(previous, prep, task):
    return (
        isinstance(previous, dict)
        and previous.get("format") == MODEL_FORMAT
        and previous.get("task") == task
        and [(p["name"], p["type"], p.get("size")) for p in previous.get("prep", [])]
        == [(p["name"], p["type"], p.get("size")) for p in prep]
    )


def auc(scores, labels):
    pairs = sorted(zip(scores, labels))
    positives = sum(1 for _, y in pairs if y == 1)
    negatives = len(pairs) - positives
    if positives == 0 or negatives == 0:
        return None
    rank_sum, i = 0.0, 0
    while i < len(pairs):  # average ranks over ties
        j = i
        while j < len(pairs) and pairs[j][0] == pairs[i][0]:
            j += 1
        rank_sum += sum(1 for k in range(i, j) if pairs[k][1] == 1) * (i + j + 1) / 2.0
        i = j
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def quality(model, xs, ys, prefix):
    if not xs:
        return {}
    predictions = [predict_raw(model, x) for x in xs]
    out = {f"{prefix}loss": loss(model, xs, ys)}
    if model["task"] == "binary":
        out[f"{prefix}accuracy"] = sum(1 for p, y in zip(predictions, ys) if (p >= 0.5) == (y == 1)) / len(ys)
        area = auc(predictions, ys)
        if area is not None:
            out[f"{prefix}auc"] = area
    else:
        mse = sum((p - y) ** 2 for p, y in zip(predictions, ys)) / len(ys)
        mean = sum(ys) / len(ys)
        var = sum((y - mean) ** 2 for y in ys) / len(ys)
        out[f"{prefix}rmse"] = math.sqrt(mse)
        if var > 0:
            out[f"{prefix}r2"] = 1 - mse / var
    return out


# ---------------------------------------------------------------------------------------------


def train(job):
    params = job.get("params") or {}
    paths = job["paths"]

    marker = params.get("fail_once_marker")
    if marker and not os.path.exists(marker):
        with open(marker, "w") as f:
            f.write("failed once\n")
        log("data source unavailable (simulated by fail_once_marker); exiting 75 so nightshift retries")
        return EXIT_TRANSIENT

    sleep_seconds = float(params.get("sleep_seconds", 0))
    if sleep_seconds > 0:
        progress(f"sleeping seconds={sleep_seconds:g}")
        time.sleep(sleep_seconds)  # SIGTERM interrupts this (the handler raises)

    random.seed(job.get("seed", 0))
    epochs = int(params.get("epochs", 300))
    learning_rate = float(params.get("learning_rate", 0.5 if job["task"] == "binary" else 0.1))
    l2 = float(params.get("l2", 0.0001))
    every = max(1, int(params.get("progress_every", max(1, epochs // 10))))

    features = job["features"]
    names = [f["name"] for f in features]
    columns = names + [job["label"]]
    rows = read_rows(paths["data"], job["dataFormat"], columns)
    if not rows:
        raise BadInput("the data file has no rows")
    if any(r[-1] is None for r in rows):
        raise BadInput("some rows have no label")
    valid_rows = read_rows(paths["validation"], job["dataFormat"], columns) if paths.get("validation") else []

    task = job["task"]
    ys = [r[-1] for r in rows]
    model = None
    warm = 0
    if job["mode"] == "incremental" and paths.get("previousModel"):
        try:
            previous = model_file.read_model(paths["previousModel"])
        except ValueError as e:
            raise BadInput(f"paths.previousModel: {e}")
        if previous is None:
            log("previous model holds no state of this trainer; training from scratch")
        elif compatible(previous, fit_prep(features, [r[:-1] for r in rows]), task):
            model, warm = previous, 1  # continue from the previous weights and scaling
        else:
            log("previous model does not match these features; training from scratch")
    if model is None:
        prep = fit_prep(features, [r[:-1] for r in rows])
        width = len(expand(prep, [None] * len(features)))
        target_mean = sum(ys) / len(ys) if task == "regression" else 0.0
        target_scale = (math.sqrt(sum((y - target_mean) ** 2 for y in ys) / len(ys)) or 1.0) if task == "regression" else 1.0
        model = {
            "format": MODEL_FORMAT,
            "version": 1,
            "task": task,
            "prep": prep,
            "weights": [random.uniform(-0.01, 0.01) for _ in range(width)],
            "bias": 0.0,
            "target_mean": target_mean,
            "target_scale": target_scale,
        }

    xs = [expand(model["prep"], r[:-1]) for r in rows]
    valid_xs = [expand(model["prep"], r[:-1]) for r in valid_rows]
    valid_ys = [r[-1] for r in valid_rows]
    for epoch in range(1, epochs + 1):
        gradient_step(model, xs, ys, learning_rate, l2)
        if epoch % every == 0 or epoch == epochs:
            line = f"iteration={epoch} loss={loss(model, xs, ys):.6g}"
            if valid_xs:
                line += f" valid_loss={loss(model, valid_xs, valid_ys):.6g}"
            progress(line)

    model["trained_rows"] = len(rows) + (int(model.get("trained_rows", 0)) if warm else 0)
    metrics = {"rows": len(rows), "epochs": epochs, "warm_start": warm}
    metrics.update(quality(model, xs, ys, "train_"))
    metrics.update(quality(model, valid_xs, valid_ys, "valid_"))
    try:
        model_file.write_model(paths["model"], model)
    except ValueError as e:
        raise BadInput(f"cannot write {paths['model']}: {e}")
    model_file.write_json_atomically(paths["metrics"], metrics)
    log(f"trained on {len(rows)} rows; model written to {paths['model']}")
    return 0


def predict(model_path, data_path):
    """Prints one prediction per row of a CSV or NDJSON file (feature columns by name, label not
    needed), as repr() so the value round-trips exactly."""
    try:
        model = model_file.read_model(model_path)
    except ValueError as e:
        raise BadInput(str(e))
    if not isinstance(model, dict) or model.get("format") != MODEL_FORMAT:
        raise BadInput(f"{model_path} holds no model of this trainer")
    data_format = "ndjson" if data_path.endswith(".ndjson") else "csv"
    for row in read_rows(data_path, data_format, [p["name"] for p in model["prep"]]):
        print(repr(predict_raw(model, expand(model["prep"], row))))
    return 0


def main(argv):
    signal.signal(signal.SIGTERM, on_sigterm)
    if len(argv) > 1 and argv[1] == "--predict":
        if len(argv) != 4:
            log("usage: train.py --predict MODEL_FILE DATA_FILE")
            return EXIT_BAD_INPUT
        try:
            return predict(argv[2], argv[3])
        except BadInput as e:
            log(str(e))
            return EXIT_BAD_INPUT
    job_path = argv[-1] if len(argv) > 1 else os.environ.get("NIGHTSHIFT_JOB_FILE")
    if not job_path:
        log("usage: train.py JOB_FILE (or set NIGHTSHIFT_JOB_FILE)")
        return EXIT_BAD_INPUT
    try:
        job = load_job(job_path)
        os.makedirs(job["paths"]["outputDir"], exist_ok=True)
        return train(job)
    except BadInput as e:
        log(str(e))
        return EXIT_BAD_INPUT
    except Terminated:
        log("stopped by SIGTERM; no model written")
        return EXIT_TERMINATED


if __name__ == "__main__":
    sys.exit(main(sys.argv))
