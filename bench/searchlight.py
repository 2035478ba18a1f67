"""brainml's searchlight against nilearn's SearchLight, side by side on the same files.

Run from the repository root:

    python3 -m venv bench/.venv && bench/.venv/bin/pip install -r bench/requirements-fmri.txt
    bench/.venv/bin/python bench/searchlight.py

Haxby 2001 single slice (data/public/fmri-haxby2001: bold.nii.gz, mask.nii.gz with 530
voxels, attributes_literal.txt), per-run linear detrend + z-score, face vs house volumes,
radius 5.6 mm, leave one run out (12 folds). nilearn fits GaussianNB and LinearSVC (its
"svc" default) per sphere with n_jobs=2; brainml (examples/bench_searchlight.rs, release
build, 2 rayon threads on this 2-core machine) fits Gaussian naive Bayes, the correlation
classifier, a LinearSVC-equivalent (liblinear's dual coordinate descent) and linfa's SMO SVM. Printed: fit times (searchlight only, data already in
memory on both sides), speed ratios, and the correlation of the accuracy maps of the same
classifier family. Then brainml alone on a synthetic box mask of >= 40 000 voxels (time and
peak memory).
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import nibabel as nib
import numpy as np
import pandas as pd
from nilearn import image, signal
from nilearn.decoding import SearchLight
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "data", "public", "fmri-haxby2001")
ENV = dict(os.environ, RAYON_NUM_THREADS="2")


def brainml(*args):
    cmd = ["cargo", "run", "--quiet", "--release", "--features", "fmri", "--example", "bench_searchlight", "--", *args]
    out = subprocess.run(cmd, cwd=ROOT, env=ENV, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    bold = nib.load(os.path.join(DATA, "bold.nii.gz"))
    mask = nib.load(os.path.join(DATA, "mask.nii.gz"))
    att = pd.read_csv(os.path.join(DATA, "attributes_literal.txt"), sep=" ", header=None, names=["label", "chunk"])
    m = np.asarray(mask.dataobj) > 0.5
    data = np.asarray(bold.dataobj, dtype=np.float64)
    x = data[m].T  # volumes x voxels (C order, as brainml's Mask::apply)
    x = signal.clean(x, runs=att.chunk.values, detrend=True, standardize="zscore_sample")
    keep = att.label.isin(["face", "house"]).values
    y = (att.label.values[keep] == "face")
    groups = att.chunk.values[keep]
    cleaned = np.zeros(m.shape + (keep.sum(),), dtype=np.float32)
    cleaned[m] = x[keep].T
    img = nib.Nifti1Image(cleaned, bold.affine)
    print(f"Haxby slice: {m.sum()} voxels, {keep.sum()} face/house volumes, {len(np.unique(groups))} runs, radius 5.6 mm")

    results = {}
    for name, est in [("gnb", GaussianNB()), ("svm", LinearSVC())]:
        sl = SearchLight(mask, radius=5.6, estimator=est, cv=LeaveOneGroupOut(), n_jobs=2, verbose=0)
        t = time.perf_counter()
        sl.fit(img, y, groups=groups)
        secs = time.perf_counter() - t
        scores = np.asarray(sl.scores_img_.dataobj)[m] if hasattr(sl, "scores_img_") else sl.scores_[m]
        results[name] = (secs, scores)
        print(f"nilearn SearchLight + {type(est).__name__}: {secs:.2f} s, mean {scores.mean():.3f}, best {scores.max():.3f}")

    with tempfile.TemporaryDirectory() as out:
        b = brainml("haxby", out)
        maps = {k: np.asarray(nib.load(os.path.join(out, f"brainml_{k}.nii.gz")).dataobj)[m] for k in ["gnb", "correlation", "svc", "linfa_svm"]}
    for k in ["gnb", "correlation", "svc", "linfa_svm"]:
        print(f"brainml SearchLight ({k}): {b[k]['seconds']:.4f} s, mean {b[k]['mean']:.3f}, best {b[k]['max']:.3f}")
    print()
    print("| comparison | nilearn s | brainml s | speed ratio | map correlation |")
    print("|---|---|---|---|---|")
    for nk, bk, label in [("gnb", "gnb", "GaussianNB vs brainml GNB"), ("svm", "svc", "LinearSVC vs brainml LinearSvc (dual CD)"), ("svm", "linfa_svm", "LinearSVC vs brainml + linfa SVM (SMO)"), ("svm", "gnb", "LinearSVC (nilearn default) vs brainml GNB")]:
        ns, nm = results[nk]
        bs = b[bk]["seconds"]
        r = np.corrcoef(nm, maps[bk])[0, 1]
        print(f"| {label} | {ns:.2f} | {bs:.4f} | {ns / bs:.1f}x | {r:.3f} |")
    print()
    s = brainml("synthetic", "40000")
    print(f"brainml alone, synthetic box mask: {s['voxels']} voxels {s['shape']}, {s['samples']} samples, "
          f"{s['folds']} folds, mean sphere {s['mean_sphere']} voxels (6 mm): {s['seconds']:.2f} s, "
          f"peak memory {s['peak_rss_mb']:.0f} MB (whole process), best {s['best']:.2f}, mean {s['mean']:.2f}")


if __name__ == "__main__":
    sys.exit(main())
