#!/usr/bin/python3
"""scikit-learn reference fixtures for test/unit/sklearn-agreement.test.ts.

How to run (from the repository root; run once, then commit test/fixtures/sklearn/*):

    apt-get install -y python3-sklearn              # Debian's package; nothing from PyPI
    npx tsx test/fixtures/sklearn/fleet.ts          # (only to rebuild the data) writes fleet.csv
    /usr/bin/python3 scripts/sklearn/make-fixtures.py

Versions the committed fixtures were made with (also written into every fixture file): Debian 12
python3-sklearn 1.2.1, numpy 1.24.2, scipy 1.10.1, Python 3.11. Deterministic: the same
fleet.csv and versions give byte-identical JSON (no random subsampling: the data set is below
HistGradientBoosting's 200,000-row binning sample, there is no early stopping, and lbfgs and
Ridge's solver are deterministic).

What it does:
  * reads test/fixtures/sklearn/fleet.csv (the synthetic predictive-maintenance fleet, written once
    by test/fixtures/sklearn/fleet.ts): 8 features (six sensors, `model`, two 48 h rolling means),
    empty cells = missing;
  * `model` becomes its index in the sorted names (a numeric column for the GBDTs, one-hot for the
    linear models), exactly as the TypeScript side reads it;
  * splits by time: rows are in time order and the last round(0.2 * rows) are the holdout
    (nightshift's timeHoldout rule);
  * binary target `fails_within_24h`: HistGradientBoostingClassifier and LogisticRegression;
    regression target `rul_hours`: HistGradientBoostingRegressor and Ridge;
  * writes test/fixtures/sklearn/binary.json and regression.json: parameters (both spellings),
    holdout metrics (AUC, log loss, accuracy at 0.5 / R², MAE, RMSE) and the holdout predictions.

Hyper-parameters mirror nightshift's defaults (src/trainers/gbdt/params.ts, src/trainers/linear/params.ts):
  GBDT:   numTrees 100 -> max_iter, maxLeaves 31 -> max_leaf_nodes, learningRate 0.1, maxBins 255 ->
          max_bins (both add one bin for missing values), l2 0 -> l2_regularization, minSamplesLeaf 20
          -> min_samples_leaf, maxDepth null -> max_depth None, minChildWeight 1e-3 ->
          (sklearn's fixed min_hessian_to_split 1e-3), no early stopping (early_stopping=False).
  Linear: nightshift runs mini-batch SGD on mean loss + l2/2 * ||w||^2 (l2 = 1e-4) over features
          standardised with the training mean/std, missing values imputed with the mean, categoricals
          one-hot. The same objective in closed form here: mean imputation, one-hot, StandardScaler,
          then LogisticRegression(C = 1 / (n_train * l2)) (C * sum(loss) + ||w||^2 / 2 is the same
          objective scaled) and Ridge(alpha = n_train * l2) (sum of squares + alpha * ||w||^2, same).
"""
import csv
import hashlib
import json
import math
import os
import platform
import sys

import numpy as np
import scipy
import sklearn
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, mean_squared_error, r2_score, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, 'test', 'fixtures', 'sklearn')
DATA = os.path.join(FIXTURES, 'fleet.csv')
FEATURES = ['temperature', 'vibration', 'pressure', 'rpm', 'load', 'voltage', 'model',
            'temperature_roll_48h_mean', 'vibration_roll_48h_mean']
CATEGORICAL = 'model'
HOLDOUT_FRACTION = 0.2

GBDT_PARAMS = {'numTrees': 100, 'maxLeaves': 31, 'learningRate': 0.1, 'maxBins': 255, 'l2': 0,
               'minSamplesLeaf': 20, 'maxDepth': None, 'earlyStoppingRounds': 0}
SKLEARN_GBDT = dict(max_iter=100, max_leaf_nodes=31, learning_rate=0.1, max_bins=255, l2_regularization=0.0,
                    min_samples_leaf=20, max_depth=None, early_stopping=False, random_state=0)
LINEAR_L2 = 1e-4
LINEAR_PARAMS = {'l2': LINEAR_L2}  # nightshift's other linear defaults: SGD, 30 epochs, batch 32, lr 0.05 inverse-sqrt


def read_data():
    with open(DATA, newline='') as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    col = {name: i for i, name in enumerate(header)}
    models = sorted({r[col[CATEGORICAL]] for r in rows})

    def num(s):
        return float('nan') if s == '' else float(s)

    X = np.array([[models.index(r[col[name]]) if name == CATEGORICAL else num(r[col[name]]) for name in FEATURES]
                  for r in rows], dtype=np.float64)
    ts = np.array([num(r[col['ts']]) for r in rows])
    if np.any(np.diff(ts) < 0):
        sys.exit('fleet.csv must be in time order')
    y_binary = np.array([num(r[col['fails_within_24h']]) for r in rows])
    y_rul = np.array([num(r[col['rul_hours']]) for r in rows])
    return X, y_binary, y_rul, models


def split(n):
    valid = min(max(round(n * HOLDOUT_FRACTION), 1), n - 1)  # same rule as src/trainers/holdout.ts
    return n - valid


def linear_pipeline(estimator, n_models):
    cat = FEATURES.index(CATEGORICAL)
    numeric = [i for i in range(len(FEATURES)) if i != cat]
    encode = ColumnTransformer([
        ('numeric', SimpleImputer(strategy='mean'), numeric),
        ('onehot', OneHotEncoder(categories=[list(range(n_models))], sparse_output=False, dtype=np.float64), [cat]),
    ])
    return make_pipeline(encode, StandardScaler(), estimator)


def rounded(values):
    # 9 significant digits: ample for correlations and metrics, keeps each file small.
    return [float(f'{v:.9g}') for v in values]


def versions():
    return {'sklearn': sklearn.__version__, 'numpy': np.__version__, 'scipy': scipy.__version__,
            'python': platform.python_version(), 'source': 'Debian python3-sklearn'}


def data_info(n, n_train):
    with open(DATA, 'rb') as f:
        digest = hashlib.sha256(f.read()).hexdigest()
    return {'file': 'test/fixtures/sklearn/fleet.csv', 'sha256': digest, 'rows': n, 'trainRows': n_train,
            'holdoutRows': n - n_train, 'split': 'time-ordered: the last round(rows * 0.2) rows are the holdout',
            'features': FEATURES}


def classification_metrics(y, p):
    return {'auc': roc_auc_score(y, p), 'logloss': log_loss(y, np.clip(p, 1e-15, 1 - 1e-15)),
            'accuracy': accuracy_score(y, (p >= 0.5).astype(np.float64))}


def regression_metrics(y, p):
    return {'r2': r2_score(y, p), 'mae': mean_absolute_error(y, p), 'rmse': math.sqrt(mean_squared_error(y, p))}


def write(name, payload):
    path = os.path.join(FIXTURES, name)
    with open(path, 'w') as f:
        json.dump(payload, f, indent=1)
        f.write('\n')
    print(f'wrote {os.path.relpath(path, ROOT)} ({os.path.getsize(path)} bytes)')


def main():
    X, y_binary, y_rul, models = read_data()
    n = len(X)
    t = split(n)
    n_models = len(models)
    Xtr, Xho = X[:t], X[t:]

    # ---- binary: fails_within_24h
    ytr, yho = y_binary[:t], y_binary[t:]
    hgb = HistGradientBoostingClassifier(loss='log_loss', **SKLEARN_GBDT).fit(Xtr, ytr)
    p_hgb = hgb.predict_proba(Xho)[:, 1]
    logreg = linear_pipeline(LogisticRegression(C=1 / (t * LINEAR_L2), max_iter=10_000, tol=1e-10), n_models).fit(Xtr, ytr)
    p_lin = logreg.predict_proba(Xho)[:, 1]
    write('binary.json', {
        'generatedBy': 'scripts/sklearn/make-fixtures.py', 'versions': versions(), 'data': data_info(n, t),
        'target': 'fails_within_24h', 'categories': {CATEGORICAL: models},
        'gbdt': {'estimator': 'HistGradientBoostingClassifier', 'params': GBDT_PARAMS,
                 'sklearnParams': {**SKLEARN_GBDT, 'loss': 'log_loss'}, 'trees': int(hgb.n_iter_),
                 'metrics': classification_metrics(yho, p_hgb), 'predictions': rounded(p_hgb)},
        'linear': {'estimator': 'mean imputation + one-hot + StandardScaler + LogisticRegression', 'params': LINEAR_PARAMS,
                   'sklearnParams': {'C': 1 / (t * LINEAR_L2), 'solver': 'lbfgs'},
                   'metrics': classification_metrics(yho, p_lin), 'predictions': rounded(p_lin)},
    })

    # ---- regression: rul_hours
    ytr, yho = y_rul[:t], y_rul[t:]
    hgb = HistGradientBoostingRegressor(loss='squared_error', **SKLEARN_GBDT).fit(Xtr, ytr)
    p_hgb = hgb.predict(Xho)
    ridge = linear_pipeline(Ridge(alpha=t * LINEAR_L2), n_models).fit(Xtr, ytr)
    p_lin = ridge.predict(Xho)
    write('regression.json', {
        'generatedBy': 'scripts/sklearn/make-fixtures.py', 'versions': versions(), 'data': data_info(n, t),
        'target': 'rul_hours', 'categories': {CATEGORICAL: models},
        'gbdt': {'estimator': 'HistGradientBoostingRegressor', 'params': GBDT_PARAMS,
                 'sklearnParams': {**SKLEARN_GBDT, 'loss': 'squared_error'}, 'trees': int(hgb.n_iter_),
                 'metrics': regression_metrics(yho, p_hgb), 'predictions': rounded(p_hgb)},
        'linear': {'estimator': 'mean imputation + one-hot + StandardScaler + Ridge', 'params': LINEAR_PARAMS,
                   'sklearnParams': {'alpha': t * LINEAR_L2},
                   'metrics': regression_metrics(yho, p_lin), 'predictions': rounded(p_lin)},
    })


if __name__ == '__main__':
    main()
