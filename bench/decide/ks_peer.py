#!/usr/bin/env python3
"""Peer of the drift benchmark (bench/decide/drift.ts): scipy's ks_2samp on the same columns.
argv: <reference.f64> <current.f64> <columns> <rows>; files are float64 little-endian, column after
column. Times ks_2samp over every column (reference against current) and prints one JSON line:
{"seconds": s, "cpu_seconds": s, "d": [...], "p": [...], "scipy": version}. Exits 3 naming the package when scipy is missing."""
import json
import sys
import time

try:
    import numpy as np
    import scipy
    from scipy.stats import ks_2samp
except ImportError as e:
    sys.stderr.write(f"scipy is missing ({e}); install it with: apt-get install python3-scipy\n")
    sys.exit(3)

ref_path, cur_path, columns, rows = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
ref = np.fromfile(ref_path, dtype="<f8").reshape(columns, rows)
cur = np.fromfile(cur_path, dtype="<f8").reshape(columns, rows)
ks_2samp(ref[0][:1000], cur[0][:1000])  # warm-up (imports, first call)
d, p = [], []
start = time.perf_counter()
cpu = time.process_time()
for c in range(columns):
    r = ks_2samp(ref[c], cur[c])
    d.append(float(r.statistic))
    p.append(float(r.pvalue))
seconds = time.perf_counter() - start
cpu_seconds = time.process_time() - cpu
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "d": d, "p": p, "scipy": scipy.__version__}))
