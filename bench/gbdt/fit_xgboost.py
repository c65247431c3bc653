"""One fit of xgboost's XGBClassifier (tree_method='hist') on the benchmark's 800,000 training rows,
in a fresh process (bench/gbdt.ts runs it with Debian's /usr/bin/python3 and python3-xgboost):

    python3 fit_xgboost.py <dir> <threads>

The closest settings to ours (bench/gbdt/params.ts) that xgboost has:
  numTrees 100          → n_estimators=100
  maxLeaves 31          → grow_policy='lossguide' (leaf-wise, best gain first, as ours), max_leaves=31,
                          max_depth=0 (no depth limit)
  learningRate 0.1      → learning_rate=0.1
  maxBins 255           → max_bin=255 (value bins; both keep missing values apart from them)
  l2 0                  → reg_lambda=0 (reg_alpha=0, gamma=0: xgboost's defaults)
  minChildWeight 1e-3   → min_child_weight=1e-3 (minimum hessian sum per child, the same rule)
  minSamplesLeaf 20     → none: xgboost has no minimum row count per leaf (only the hessian rule above)
  base score log-odds of the label mean → base_score=mean(y) (xgboost takes it as a probability)
  no row/feature sampling, no early stopping (xgboost's defaults).
Threads: n_jobs=<threads>, and OMP_NUM_THREADS is set by the caller. Fit time = the fit call alone,
which, like ours, includes building the bins (QuantileDMatrix, as XGBClassifier.fit does for 'hist').
Writes <dir>/pred-xgboost-t<threads>.f64 (holdout P(y=1)) and prints one JSON line: fit and
100k-row predict (predict_proba) times, peak RSS (ru_maxrss), version.
"""
import json
import os
import resource
import sys
import time

import numpy as np
import xgboost

ROWS, FEATURES, TRAIN_ROWS, PREDICT_ROWS = 1_000_000, 20, 800_000, 100_000


def rss_mb():
    with open('/proc/self/statm') as f:
        return int(f.read().split()[1]) * os.sysconf('SC_PAGE_SIZE') / 2**20


def main():
    directory, threads = sys.argv[1], int(sys.argv[2])
    X = np.fromfile(os.path.join(directory, 'X.f64'), dtype='<f8').reshape(FEATURES, ROWS)
    y = np.fromfile(os.path.join(directory, 'y.f64'), dtype='<f8')
    train = np.ascontiguousarray(X[:, :TRAIN_ROWS].T)
    holdout = np.ascontiguousarray(X[:, TRAIN_ROWS:].T)
    y_train = y[:TRAIN_ROWS].copy()
    del X, y
    rss_before_fit = rss_mb()
    model = xgboost.XGBClassifier(
        tree_method='hist', n_estimators=100, grow_policy='lossguide', max_leaves=31, max_depth=0,
        learning_rate=0.1, max_bin=255, reg_lambda=0.0, reg_alpha=0.0, gamma=0.0, min_child_weight=1e-3,
        base_score=float(y_train.mean()), n_jobs=threads, random_state=0)
    t0, c0 = time.perf_counter(), time.process_time()
    model.fit(train, y_train)
    fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
    peak_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t1 = time.perf_counter()
    model.predict_proba(holdout[:PREDICT_ROWS])
    predict_s = time.perf_counter() - t1
    model.predict_proba(holdout)[:, 1].astype('<f8').tofile(os.path.join(directory, f'pred-xgboost-t{threads}.f64'))
    print(json.dumps({
        'fitS': fit_s, 'fitCpuS': cpu_s, 'trees': int(model.get_booster().num_boosted_rounds()),
        'predict100kS': predict_s, 'rssBeforeFitMb': rss_before_fit, 'peakRssFitMb': peak_fit,
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'xgboost': xgboost.__version__, 'numpy': np.__version__,
        'processCpuS': sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
    }))


if __name__ == '__main__':
    main()
