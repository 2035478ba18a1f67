"""Side by side: the Muse N170 pipeline in MNE + scikit-learn and in brainml, on the same files.

    bash bench/eeg.sh            # sets up bench/.venv-eeg, builds brainml's example, runs this

Stages (each side times its own, in-process, wall clock):
  read    six CSV files → one Raw (eeg-notebooks' loader: pandas + RawArray; concatenate_raws)
  filter  1–30 Hz, MNE's default FIR (firwin, hamming, zero phase), each file on its own
          (MNE's default skip_by_annotation; brainml's too)
  epochs  find_events, Epochs(-0.1, 0.6, baseline (-0.1, 0), reject 75 µV), get_data
  decode  Vectorizer + StandardScaler + LogisticRegression,
          StratifiedKFold(5, shuffle=True, random_state=42) as in the reference pipeline, ROC AUC
Each side runs `--repeat` times (default 3), alternating; the best time of each stage is reported.
"""
import argparse
import json
import pathlib
import subprocess
import sys
import time

import mne
import numpy as np
import pandas as pd
import sklearn
from mne.decoding import Vectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

ROOT = pathlib.Path(__file__).resolve().parent.parent
mne.set_log_level("ERROR")


def load_muse_csv_as_raw(path):
    """eeg-notebooks' `load_muse_csv_as_raw` (muse, 256 Hz): TP9, AF7, AF8, TP10 + Marker0."""
    data = pd.read_csv(path)
    ch_names = ["TP9", "AF7", "AF8", "TP10"]
    x = data[ch_names + ["Marker0"]].values.T.astype(float)
    x[:-1] *= 1e-6
    info = mne.create_info(ch_names + ["stim"], sfreq=256.0, ch_types=["eeg"] * 4 + ["stim"])
    return mne.io.RawArray(x, info, verbose=False)


def mne_pipeline(files):
    t = {}
    t0 = time.perf_counter()
    raw = mne.concatenate_raws([load_muse_csv_as_raw(f) for f in files])
    t["read"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    raw.filter(1.0, 30.0, verbose=False)
    t["filter"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    events = mne.find_events(raw, verbose=False)
    epochs = mne.Epochs(raw, events, event_id={"house": 1, "face": 2}, tmin=-0.1, tmax=0.6, baseline=(-0.1, 0),
                        reject=dict(eeg=75e-6), preload=True, verbose=False)
    x = epochs.get_data(picks="eeg")
    y = epochs.events[:, -1] == 2
    t["epochs"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    clf = make_pipeline(Vectorizer(), StandardScaler(), LogisticRegression())
    scores = cross_val_score(clf, x, y, cv=StratifiedKFold(5, shuffle=True, random_state=42),
                             scoring="roc_auc")
    t["decode"] = time.perf_counter() - t0
    return {"stages": t, "total": sum(t.values()), "n_epochs": len(epochs), "auc": float(scores.mean()),
            "auc_folds": scores.tolist()}


def brainml_pipeline(exe, folder):
    out = subprocess.run([str(exe), str(folder)], check=True, capture_output=True, text=True).stdout
    return json.loads(out)


def best(runs):
    b = dict(runs[0])
    b["stages"] = {k: min(r["stages"][k] for r in runs) for k in runs[0]["stages"]}
    b["total"] = min(r["total"] for r in runs)
    return b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=str(ROOT / "data/public/eeg-n170-muse/subject1/session1"))
    ap.add_argument("--exe", required=True, help="brainml's bench_eeg_muse example (release build)")
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    files = sorted(pathlib.Path(a.data).glob("*.csv"))
    if not files:
        sys.exit(f"no CSV files in {a.data}; run scripts/run.sh (brainml fetch) first")
    # alternate the two sides, so that anything else the machine does slows both alike
    py_runs, rs_runs = [], []
    for _ in range(a.repeat):
        py_runs.append(mne_pipeline(files))
        rs_runs.append(brainml_pipeline(a.exe, a.data))
    py, rs = best(py_runs), best(rs_runs)
    print(f"Muse N170, subject 1 session 1: {len(files)} files; MNE {mne.__version__}, scikit-learn {sklearn.__version__}, "
          f"numpy {np.__version__}; best of {a.repeat}")
    print(f"{'stage':<8} {'MNE+sklearn (s)':>16} {'brainml (s)':>12} {'ratio':>8}")
    for k in py["stages"]:
        p, r = py["stages"][k], rs["stages"][k]
        print(f"{k:<8} {p:>16.4f} {r:>12.4f} {p / r:>7.1f}×")
    print(f"{'total':<8} {py['total']:>16.4f} {rs['total']:>12.4f} {py['total'] / rs['total']:>7.1f}×")
    print(f"epochs kept: MNE {py['n_epochs']}, brainml {rs['n_epochs']}")
    print(f"ROC AUC (5 shuffled folds, seed 42): MNE+sklearn {py['auc']:.3f} {np.round(py['auc_folds'], 3).tolist()}, "
          f"brainml {rs['auc']:.3f} {np.round(rs['auc_folds'], 3).tolist()}")


if __name__ == "__main__":
    main()
