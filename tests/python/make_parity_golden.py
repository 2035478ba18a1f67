"""Golden vectors for tests/parity.rs: what MNE, scikit-learn and nibabel make of small files
brainml writes (issue 16: BioSemi status bits, an event at sample 0, filtering across file
joins, shuffled folds, mixed-rate EDF, a TR stored in milliseconds).

    python3 -m venv tests/.venv-parity
    tests/.venv-parity/bin/pip install -r tests/python/requirements-parity.txt -c tests/python/constraints-parity.txt
    tests/.venv-parity/bin/python tests/python/make_parity_golden.py

It asks the Rust test to write the files (`cargo test --test parity write_parity_files --
--ignored`, with the project's build settings), reads them with the Python tools, and writes
tests/golden/parity.json with the SHA-256 of each file (the Rust test checks it writes the same
bytes before comparing).
"""
import hashlib
import json
import os
import pathlib
import subprocess
import sys
import tempfile

import mne
import nibabel as nib
import numpy as np
import sklearn
from sklearn.model_selection import KFold, StratifiedKFold

ROOT = pathlib.Path(__file__).resolve().parents[2]
mne.set_log_level("ERROR")


def write_files(folder):
    cmd = (f'source "{ROOT}/scripts/common.sh"; cd "{ROOT}"; '
           "cargo test -q --features eeg,fmri --test parity write_parity_files -- --ignored")
    subprocess.run(["bash", "-c", cmd], check=True, env={**os.environ, "BRAINML_PARITY_DIR": str(folder)})


def muse_pipeline(files):
    from mne.decoding import Vectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    sys.path.insert(0, str(ROOT / "bench"))
    from eeg_muse import load_muse_csv_as_raw  # eeg-notebooks' loader, as the bench uses it

    raw = mne.concatenate_raws([load_muse_csv_as_raw(f) for f in files])
    raw.filter(1.0, 30.0)  # skip_by_annotation=("edge", "bad_acq_skip"): file by file
    events = mne.find_events(raw)
    epochs = mne.Epochs(raw, events, event_id={"house": 1, "face": 2}, tmin=-0.1, tmax=0.6, baseline=(-0.1, 0),
                        reject=dict(eeg=75e-6), preload=True)
    x = epochs.get_data(picks="eeg")
    y = epochs.events[:, -1] == 2
    clf = make_pipeline(Vectorizer(), StandardScaler(), LogisticRegression())
    res = {"n_events": len(events), "n_epochs": len(epochs), "selection": epochs.selection.tolist()}
    for name, cv in (("shuffled", StratifiedKFold(5, shuffle=True, random_state=42)), ("unshuffled", StratifiedKFold(5))):
        scores = cross_val_score(clf, x, y, cv=cv, scoring="roc_auc")
        res[f"auc_{name}"] = float(scores.mean())
        res[f"auc_{name}_folds"] = scores.tolist()
    return res


def events_list(ev):
    return [[int(a), int(b), int(c)] for a, b, c in ev]


def main():
    out = {"versions": {"mne": mne.__version__, "scikit-learn": sklearn.__version__, "nibabel": nib.__version__,
                        "numpy": np.__version__}}
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        write_files(d)
        out["sha256"] = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(d.iterdir())}

        # 1-2: status bits, an event at sample 0
        raw = mne.io.read_raw_bdf(d / "status_bits.bdf", preload=True)
        stim = raw.get_data(picks="Status")[0]
        out["status_bits"] = {
            "stim": stim.tolist(),
            "events": events_list(mne.find_events(raw, stim_channel="Status")),
            "events_initial": events_list(mne.find_events(raw, stim_channel="Status", initial_event=True)),
            "events_mask_ff": events_list(mne.find_events(raw, stim_channel="Status", mask=0xFF)),
        }

        # 3: a joined recording, filtered as MNE does by default (segment by segment)
        raws = [mne.io.read_raw_bdf(d / n, preload=True) for n in ("join_a.bdf", "join_b.bdf")]
        raw = mne.concatenate_raws(raws)
        fz = lambda r: r.get_data(picks="Fz")[0].tolist()
        filt = raw.copy().filter(1.0, 30.0)
        events = mne.find_events(filt, stim_channel="Status")
        epochs = mne.Epochs(filt, events, event_id={"a": 1, "b": 2}, tmin=-0.2, tmax=0.5, baseline=(None, 0),
                            preload=True)
        out["join"] = {
            "annotations": [[float(a["onset"]), float(a["duration"]), a["description"]] for a in raw.annotations],
            "raw_fz": fz(raw),
            "fir_fz": fz(filt),
            "fir_fz_across": fz(raw.copy().filter(1.0, 30.0, skip_by_annotation=())),
            "iir_fz": fz(raw.copy().filter(1.0, 30.0, method="iir", iir_params=dict(order=4, ftype="butter"))),
            "notch_fz": fz(raw.copy().notch_filter([50.0])),
            "resample_fz": fz(raw.copy().resample(128.0)),
            "events": events_list(events),
            "epochs_kept": len(epochs),
            "epochs_dropped": [i for i, log in enumerate(epochs.drop_log) if log and log != ("IGNORED",)],
        }

        # 5: mixed sampling rates; include / exclude
        raw = mne.io.read_raw_edf(d / "mixed.edf", preload=True)
        ex = mne.io.read_raw_edf(d / "mixed.edf", exclude=["Resp"], preload=True)
        inc = mne.io.read_raw_edf(d / "mixed.edf", include=["Resp"], preload=True)
        out["mixed"] = {
            "sfreq": raw.info["sfreq"], "ch_names": raw.ch_names, "data": raw.get_data().tolist(),
            "exclude_sfreq": ex.info["sfreq"], "exclude_n_ch": len(ex.ch_names),
            "include_sfreq": inc.info["sfreq"], "include_n_times": inc.n_times, "include_data": inc.get_data()[0].tolist(),
        }

        # 6: TR 2000 with units "seconds"
        img = nib.load(d / "tr_ms.nii")
        out["tr_ms"] = {"zooms": [float(z) for z in img.header.get_zooms()],
                        "data_c_order": np.asarray(img.dataobj, dtype=float).ravel(order="C").tolist()}

    # 4: shuffled folds for several seeds, sizes, class balances (y deterministic, stored)
    folds = []
    for n, frac in [(10, 0.5), (37, 0.3), (100, 0.5), (101, 0.1), (1123, 0.5), (1174, 0.47)]:
        y = np.array([(i * 7919) % 1000 < frac * 1000 for i in range(n)], dtype=int)
        for seed in (0, 1, 42, 2**31 + 5):
            for k in (3, 5):
                for name, cv in (("StratifiedKFold", StratifiedKFold(k, shuffle=True, random_state=seed)),
                                 ("KFold", KFold(k, shuffle=True, random_state=seed))):
                    tests = [sorted(map(int, te)) for _, te in cv.split(np.zeros((n, 1)), y)]
                    folds.append({"kind": name, "n_splits": k, "seed": seed, "y": y.tolist(), "test": tests})
    out["folds"] = folds

    # the Muse N170 pipeline on subject 1, session 1 (public data; brainml fetch puts it under
    # data/public): as the reference pipeline, with shuffled folds (seed 42), MNE's defaults
    muse = ROOT / "data/public/eeg-n170-muse/subject1/session1"
    files = sorted(muse.glob("*.csv"))
    if len(files) != 6:
        raise SystemExit(f"expected the 6 Muse CSV files of subject 1 session 1 in {muse}; run scripts/run.sh first")
    out["muse"] = muse_pipeline(files)
    out["sha256"].update({f"muse/{f.name}": hashlib.sha256(f.read_bytes()).hexdigest() for f in files})
    path = ROOT / "tests/golden/parity.json"
    path.write_text(json.dumps(out, default=lambda o: o.item()))
    print(f"wrote {path} ({path.stat().st_size // 1024} KB): {len(folds)} fold cases")


if __name__ == "__main__":
    main()
