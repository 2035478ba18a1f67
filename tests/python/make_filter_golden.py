"""Golden vectors for brainml's IIR filters, from scipy (the library MNE's IIR path calls).

Run from the project root with the test environment:
    tests/.venv/bin/python tests/python/make_filter_golden.py
Writes tests/golden/filters.json (committed); tests/filters.rs compares against it.
"""
import json

import numpy as np
import scipy
from scipy import signal

rng = np.random.RandomState(0)
sfreq = 256.0
n = 768
t = np.arange(n) / sfreq
x = (rng.randn(n) * 5 + 20 * np.sin(2 * np.pi * 10 * t) + 8 * np.sin(2 * np.pi * 0.3 * t) + 3 * np.sin(2 * np.pi * 50 * t) + 40)

cases = []
for order, btype, freqs in [(4, "bandpass", [1.0, 30.0]), (2, "bandpass", [0.5, 40.0]), (4, "lowpass", 30.0),
                            (3, "lowpass", 45.0), (4, "highpass", 1.0), (5, "highpass", 0.1)]:
    sos = signal.butter(order, freqs, btype=btype, output="sos", fs=sfreq)
    y = signal.sosfiltfilt(sos, x)
    cases.append({"order": order, "btype": btype, "freqs": freqs, "y": y.tolist()})

json.dump({"scipy": scipy.__version__, "sfreq": sfreq, "x": x.tolist(), "cases": cases},
          open("tests/golden/filters.json", "w"))
print(f"wrote tests/golden/filters.json with scipy {scipy.__version__}: {len(cases)} cases of {n} samples")
