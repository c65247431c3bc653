"""One fit of scikit-learn's HistGradientBoostingClassifier on the benchmark's 800,000 training rows,
in a fresh process (bench/gbdt.ts runs it with Debian's /usr/bin/python3):

    python3 fit_sklearn.py <dir> <threads>

Same parameters as ours (bench/gbdt/params.ts): max_iter=100, max_leaf_nodes=31, learning_rate=0.1,
max_bins=255, early_stopping=False (min_samples_leaf=20, l2_regularization=0: the defaults of both).
Threads: OMP_NUM_THREADS is set by the caller and threadpoolctl limits every pool to <threads> as
well. Writes <dir>/pred-sklearn-t<threads>.f64 (holdout P(y=1)) and prints one JSON line: fit and
100k-row predict times, peak RSS (ru_maxrss), versions and the thread pools threadpoolctl reports
(for OpenBLAS: the kernel it runs, e.g. "Haswell" or "Cooperlake").
"""
import json
import os
import resource
import sys
import time

import numpy as np
import sklearn
from sklearn.ensemble import HistGradientBoostingClassifier
from threadpoolctl import threadpool_info, threadpool_limits

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
    with threadpool_limits(limits=threads):
        pools = [{k: p.get(k) for k in ('internal_api', 'version', 'architecture', 'num_threads', 'threading_layer')}
                 for p in threadpool_info()]
        model = HistGradientBoostingClassifier(max_iter=100, max_leaf_nodes=31, learning_rate=0.1, max_bins=255,
                                               early_stopping=False, random_state=0)
        t0, c0 = time.perf_counter(), time.process_time()
        model.fit(train, y_train)
        fit_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
        peak_fit = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        t1 = time.perf_counter()
        model.predict_proba(holdout[:PREDICT_ROWS])
        predict_s = time.perf_counter() - t1
        model.predict_proba(holdout)[:, 1].astype('<f8').tofile(os.path.join(directory, f'pred-sklearn-t{threads}.f64'))
    print(json.dumps({
        'fitS': fit_s, 'fitCpuS': cpu_s, 'trees': int(model.n_iter_), 'predict100kS': predict_s,
        'rssBeforeFitMb': rss_before_fit, 'peakRssFitMb': peak_fit,
        'peakRssMb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        'sklearn': sklearn.__version__, 'numpy': np.__version__, 'threadpools': pools,
        'processCpuS': sum(resource.getrusage(resource.RUSAGE_SELF)[:2]),
        'openblasEnv': {k: os.environ.get(k) for k in ('OPENBLAS_CORETYPE', 'OPENBLAS_L2_SIZE', 'OMP_NUM_THREADS')},
    }))


if __name__ == '__main__':
    main()
