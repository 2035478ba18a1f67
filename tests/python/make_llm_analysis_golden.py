"""Golden vectors for src/llm/analysis.rs (PCA, Ridge, RidgeCV, encoding scores) from
scikit-learn 1.7.2. Inputs are made here from a seeded generator and saved with the outputs,
so the Rust test (tests/llm_analysis.rs) needs no Python.

    python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements-fmri.txt
    bench/.venv/bin/python tests/python/make_llm_analysis_golden.py
"""
import json
import pathlib

import numpy as np
import sklearn
from scipy.stats import pearsonr
from sklearn.decomposition import PCA
from sklearn.linear_model import Ridge, RidgeCV
from sklearn.model_selection import KFold

OUT = pathlib.Path(__file__).resolve().parents[1] / "golden" / "llm_analysis.json"
ALPHAS = [0.01, 0.1, 1.0, 10.0, 100.0]


def case(name, n, p, rng):
    # low-rank structure plus noise, like embeddings: a few strong directions
    x = rng.normal(size=(n, 4)) @ rng.normal(size=(4, p)) * 2.0 + rng.normal(size=(n, p)) + 0.5
    w = rng.normal(size=p)
    y = x @ w * 0.3 + rng.normal(size=n) * 2.0 + 1.0
    pca = PCA(n_components=3).fit(x)
    ridge = Ridge(alpha=2.5).fit(x, y)
    rcv = RidgeCV(alphas=ALPHAS, store_cv_results=True).fit(x, y)
    folds = []
    for train, test in KFold(5).split(x):
        m = RidgeCV(alphas=ALPHAS).fit(x[train], y[train])
        folds.append({"r": float(pearsonr(m.predict(x[test]), y[test]).statistic), "alpha": float(m.alpha_)})
    return {
        "name": name, "x": x.tolist(), "y": y.tolist(),
        "pca": {"components": pca.components_.tolist(), "explained_variance": pca.explained_variance_.tolist(),
                "explained_variance_ratio": pca.explained_variance_ratio_.tolist(), "scores": pca.transform(x).tolist()},
        "ridge": {"alpha": 2.5, "coef": ridge.coef_.tolist(), "intercept": float(ridge.intercept_)},
        "ridgecv": {"alphas": ALPHAS, "alpha": float(rcv.alpha_), "coef": rcv.coef_.tolist(), "intercept": float(rcv.intercept_),
                    "loo_mse": rcv.cv_results_.mean(axis=0).tolist()},
        "encoding_kfold5": folds,
    }


def main():
    rng = np.random.default_rng(170)
    cases = [case("wide (n < p, like sentences x 384 dims)", 30, 50, rng), case("tall (n > p)", 60, 8, rng)]
    OUT.write_text(json.dumps({"sklearn": sklearn.__version__, "cases": cases}))
    print(f"wrote {OUT} (scikit-learn {sklearn.__version__})")


if __name__ == "__main__":
    main()
