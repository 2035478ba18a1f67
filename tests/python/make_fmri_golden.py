"""Golden vectors for brainml's fMRI preprocessing, made with nilearn (bench/.venv, pinned in
bench/requirements-fmri.txt). Writes tests/golden/nilearn_fmri.json; tests/fmri_golden.rs
compares brainml against it.

    bench/.venv/bin/python tests/python/make_fmri_golden.py
"""
import json
import os

import nibabel as nib
import nilearn
import numpy as np
import pandas as pd
from nilearn import image, signal
from nilearn.masking import compute_epi_mask

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HX = os.path.join(ROOT, "data", "public", "fmri-haxby2001")

# smooth_img: first volume of the 25 mm run 1 (anisotropy comes from the slice file below)
run = nib.load(os.path.join(HX, "sub001", "BOLD", "task001_run001", "bold_25mm.nii.gz"))
vol = image.index_img(run, 0)
sm = np.asarray(image.smooth_img(vol, fwhm=40.0).dataobj, dtype=np.float64)
# the slice file: 3.1 x 3.75 x 3.75 mm voxels, FWHM 6 mm, first volume
sl = image.index_img(nib.load(os.path.join(HX, "bold.nii.gz")), 0)
sm_slice = np.asarray(image.smooth_img(sl, fwhm=6.0).dataobj, dtype=np.float64)

# signal.clean: masked slice, runs 0 and 1, linear detrend + z-score (ddof 1)
att = pd.read_csv(os.path.join(HX, "attributes_literal.txt"), sep=" ", header=None, names=["label", "chunk"])
bold = np.asarray(nib.load(os.path.join(HX, "bold.nii.gz")).dataobj, dtype=np.float64)
mask = np.asarray(nib.load(os.path.join(HX, "mask.nii.gz")).dataobj) > 0.5
x = bold[mask].T
keep = att.chunk.values < 2
cl = signal.clean(x[keep], runs=att.chunk.values[keep], detrend=True, standardize="zscore_sample")

epi = np.asarray(compute_epi_mask(run).dataobj) > 0

# SearchLight on the slice, face vs house volumes, radius 5.6 mm, leave one run out
from nilearn.decoding import SearchLight
from sklearn.model_selection import LeaveOneGroupOut
from sklearn.naive_bayes import GaussianNB
from sklearn.svm import LinearSVC

xa = signal.clean(x, runs=att.chunk.values, detrend=True, standardize="zscore_sample")
fh = att.label.isin(["face", "house"]).values
vol4 = np.zeros(mask.shape + (fh.sum(),), dtype=np.float32)
vol4[mask] = xa[fh].T
img4 = nib.Nifti1Image(vol4, nib.load(os.path.join(HX, "bold.nii.gz")).affine)
mimg = nib.load(os.path.join(HX, "mask.nii.gz"))
sl_maps = {}
for name, est in [("gnb", GaussianNB()), ("linearsvc", LinearSVC())]:
    sl = SearchLight(mimg, radius=5.6, estimator=est, cv=LeaveOneGroupOut(), n_jobs=2)
    sl.fit(img4, att.label.values[fh] == "face", groups=att.chunk.values[fh])
    sl_maps[name] = np.asarray(sl.scores_img_.dataobj)[mask].tolist()

out = {
    "nilearn": nilearn.__version__,
    "smooth_25mm_fwhm40": sm.ravel(order="C").tolist(),
    "smooth_slice_fwhm6": sm_slice.ravel(order="C").tolist(),
    "clean_first_5_voxels": cl[:, :5].T.tolist(),
    "clean_n_volumes": int(keep.sum()),
    "epi_mask_25mm_n_voxels": int(epi.sum()),
    "searchlight_slice_face_house_gnb": sl_maps["gnb"],
    "searchlight_slice_face_house_linearsvc": sl_maps["linearsvc"],
}
with open(os.path.join(ROOT, "tests", "golden", "nilearn_fmri.json"), "w") as f:
    json.dump(out, f)
print({k: (v if not isinstance(v, list) else len(v)) for k, v in out.items()})
