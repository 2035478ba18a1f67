"""Golden vectors for brainml's MNE-style filters, from MNE itself.

Run from the project root with the test environment:
    tests/.venv/bin/python tests/python/make_mne_filter_golden.py
Writes tests/golden/mne_filters.json (committed); tests/filters.rs compares against it:
- mne.filter.filter_data(x, sfreq, l, h) with the defaults (FIR, firwin, hamming, zero phase)
- mne.filter.filter_data(x, sfreq, l, h, method="iir") (Butterworth order 4, MNE's padding)
- mne.filter.notch_filter(x, sfreq, freqs) (FIR defaults)
- mne.filter.resample(x, up, down, npad="auto") (FFT; the defaults of raw.resample)
"""
import json

import mne
import numpy as np

mne.set_log_level("ERROR")
rng = np.random.RandomState(1)
sfreq = 256.0
n = 3000
t = np.arange(n) / sfreq
x = (rng.randn(n) * 5 + 20 * np.sin(2 * np.pi * 10 * t) + 8 * np.sin(2 * np.pi * 0.7 * t)
     + 6 * np.sin(2 * np.pi * 50 * t) + 3 * np.sin(2 * np.pi * 60 * t) + 40)
short = x[:300].copy()  # shorter than some filters: MNE pads with zeros beyond the reflection

cases = []
for l_freq, h_freq in [(1.0, 30.0), (0.5, 40.0), (None, 30.0), (None, 100.0), (1.0, None), (0.1, None), (8.0, 12.0)]:
    h = mne.filter.create_filter(None, sfreq, l_freq, h_freq, verbose=False)
    cases.append({"kind": "fir", "l_freq": l_freq, "h_freq": h_freq, "n_taps": len(h),
                  "y": mne.filter.filter_data(x, sfreq, l_freq, h_freq, verbose=False).tolist()})
for l_freq, h_freq in [(1.0, 30.0), (None, 30.0), (0.1, None), (1.0, 40.0)]:
    ip = mne.filter.construct_iir_filter(dict(order=4, ftype="butter", output="sos"),
                                         [f for f in (l_freq, h_freq) if f is not None] if (l_freq and h_freq) else (l_freq or h_freq),
                                         None, sfreq, "bandpass" if (l_freq and h_freq) else ("highpass" if l_freq else "lowpass"),
                                         return_copy=False, verbose=False)
    cases.append({"kind": "iir", "l_freq": l_freq, "h_freq": h_freq, "padlen": int(ip["padlen"]),
                  "y": mne.filter.filter_data(x, sfreq, l_freq, h_freq, method="iir", verbose=False).tolist()})
cases.append({"kind": "fir_short", "l_freq": 1.0, "h_freq": 30.0,
              "y": mne.filter.filter_data(short, sfreq, 1.0, 30.0, verbose=False).tolist()})
cases.append({"kind": "notch", "freqs": [50.0, 60.0],
              "y": mne.filter.notch_filter(x, sfreq, [50.0, 60.0], verbose=False).tolist()})
for up, down in [(1.0, 2.0), (1.0, 4.0), (2.0, 1.0), (128.0, 256.0 * 1.5)]:
    cases.append({"kind": "resample", "up": up, "down": down,
                  "y": mne.filter.resample(x, up, down, npad="auto", verbose=False).tolist()})

def r(a):  # 13 significant digits: far below the 1e-6 tolerance, half the file
    return [float(f"{v:.13g}") for v in a]


for c in cases:
    c["y"] = r(c["y"])
json.dump({"mne": mne.__version__, "sfreq": sfreq, "x": r(x), "short": r(short), "cases": cases},
          open("tests/golden/mne_filters.json", "w"))
print(f"wrote tests/golden/mne_filters.json with MNE {mne.__version__}: {len(cases)} cases")
