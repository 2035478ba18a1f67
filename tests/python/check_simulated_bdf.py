"""Cross-check the simulated BDF with MNE-Python: header values and trigger counts.

Usage: python check_simulated_bdf.py <simulated dataset folder>
Reads sub-01/eeg/sub-01_task-faces_eeg.bdf with mne.io.read_raw_bdf and compares with the
dataset's own events.tsv, channels.tsv and truth.json. Exits non-zero on any mismatch.
"""
import csv
import json
import os
import sys

import mne
import numpy as np


def main(root):
    d = os.path.join(root, "sub-01", "eeg")
    stem = os.path.join(d, "sub-01_task-faces_")
    raw = mne.io.read_raw_bdf(stem + "eeg.bdf", preload=True, verbose="error")
    truth = json.load(open(stem + "truth.json"))
    events_tsv = list(csv.DictReader(open(stem + "events.tsv"), delimiter="\t"))
    channels = list(csv.DictReader(open(stem + "channels.tsv"), delimiter="\t"))
    problems = []

    def check(ok, what):
        if not ok:
            problems.append(what)

    check(raw.info["sfreq"] == truth["params"]["sfreq"], f"sfreq {raw.info['sfreq']}")
    check(raw.ch_names == [c["name"] for c in channels], "channel names differ from channels.tsv")
    check(raw.get_channel_types()[-1] == "stim", "Status is not a stim channel in MNE")
    check(raw.n_times == truth["n_samples"], f"n_times {raw.n_times} != {truth['n_samples']}")
    events = mne.find_events(raw, stim_channel="Status", shortest_event=1, verbose="error")
    planted = np.array([[int(e["sample"]), int(e["value"])] for e in events_tsv])
    check(len(events) == len(planted), f"MNE finds {len(events)} events, events.tsv has {len(planted)}")
    if len(events) == len(planted):
        check(np.array_equal(events[:, 0], planted[:, 0]), "event samples differ")
        check(np.array_equal(events[:, 2], planted[:, 1]), "event codes differ")
    counts = {int(c): int((events[:, 2] == c).sum()) for c in (5, 13, 17)}
    want = truth["params"]["n_per_condition"]
    check(all(v == want for v in counts.values()), f"trigger counts {counts}, planted {want} each")
    eeg = raw.get_data(picks="eeg")
    flat = raw.ch_names.index(truth["params"]["bad_flat"])
    check(np.ptp(eeg[flat]) == 0, "the flat channel is not flat (constant) in MNE")
    sd = np.median(eeg.std(axis=1))
    check(1e-6 < sd < 1e-4, f"median channel sd {sd:.2e} V is not EEG-sized (units?)")
    print(f"MNE {mne.__version__}: {raw.n_times} samples x {len(raw.ch_names)} channels at {raw.info['sfreq']} Hz; "
          f"events {counts}; median channel sd {sd * 1e6:.1f} uV")
    for p in problems:
        print("FAIL", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
