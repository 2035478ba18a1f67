"""Cells of notebooks/01_eeg.ipynb (see scripts/make_notebooks.py)."""
from cells import code, md

NAME = "01_eeg"
# what the executed notebook must show (checked by scripts/check_notebook.py)
REQUIRE = ["figure", "text/html"]

CELLS = [
    md("""
# 01 · EEG: the N170 face response, from raw signal to decoding

When you see a face, the visual cortex on the side of your head (occipito-temporal cortex,
strongest on the right) produces a negative deflection about **170 ms** after the picture
appears: the **N170**. It is larger for faces than for other objects or for scrambled faces,
which makes it the classic first ERP (event-related potential) to study.

In this session you will:

1. load a 64-channel recording and **look at it** — finding a flat channel, a noisy one and
   bursts of muscle activity before trusting anything;
2. **filter**, re-reference and cut the recording into **epochs** around each picture;
3. average the epochs into **ERPs** for faces and scrambled faces, and find the N170;
4. train a **classifier** to tell faces from scrambled faces from the brain signal alone,
   time point by time point;
5. do the same on a **real recording**: a Muse headband (4 electrodes) while a volunteer
   looked at faces and houses.

The first dataset is *simulated*, with effects planted at known places: that lets us check
each step against the truth. The second is real and noisier — as real data are.

Each step is named as in MNE-Python, the library you would use in Python (`raw.filter`,
`mne.Epochs`, `epochs.average()`, `SlidingEstimator`…).

**Cost:** after `bash scripts/run.sh` the first code cell takes about 10 s (the library is
already compiled; the kernel's rust-analyzer reads it). On a machine where the set-up has not been run it would first compile brainml and all its dependencies — about 8 minutes on 2 cores — showing nothing in the cell meanwhile. The whole notebook runs in
about 1.5 minutes on a 2-core laptop; cells that take longer say so.
"""),
    code(':dep brainml = { path = "..", features = ["eeg"] }'),
    code("use brainml::prelude::*;"),
    md("""
## 1 · Load the recording

The recording is a BioSemi `.bdf` file: 64 EEG channels plus a `Status` channel holding the
trigger codes the stimulus computer sent at each picture (5 = famous face, 13 = unfamiliar
face, 17 = scrambled face), sampled 512 times per second.
"""),
    code("""
let bdf = data_dir()?.join("simulated/sub-01/eeg/sub-01_task-faces_eeg.bdf");
let raw = read_raw_bdf(&bdf)?;
raw
"""),
    md("""
### Look at the data first

Ten seconds of the first 20 channels. Green lines mark the pictures (with their trigger
codes). Look for channels that do not behave like their neighbours, and for slow bumps on
the frontal channels (`Fp1`): those are **eye blinks**.
"""),
    code("""
let fig = raw.plot(10.0, 10.0)?;
fig
"""),
    md("""
Two channels stand out: `T7` is a flat line (a broken electrode) and `FC5` is covered in fast
noise (poor contact). An automatic check confirms what the eye sees: each channel's robust
amplitude (from its interquartile range) is compared with all the others, as the PREP
pipeline (PyPREP) does. A **z-score** above 5 or a flat line marks a channel as bad.
"""),
    code("""
let bad = find_bad_channels(&raw, 5.0)?;
println!("bad channels: {:?}", bad.names);
let table = bad.table.clone();
table
"""),
    md("""
Bad channels are *marked*, not deleted: later steps leave them out (as MNE does with
`raw.info["bads"]`). Since this dataset is simulated, we can compare with what was planted:
"""),
    code("""
let truth = read_json(data_dir()?.join("simulated/sub-01/eeg/sub-01_task-faces_truth.json"))?;
println!("planted bad channels: {}", truth["bad_channels"]);
let raw = raw.with_bads(&bad.names)?;
raw
"""),
    md("""
## 2 · Events: when did each picture appear?

`find_events` reads the trigger channel and returns one event per picture: the sample at
which it appeared and its code. We give each code a name; the `/` lets us group conditions
later (`"face"` selects both kinds of face).
"""),
    code("""
let event_id = [("face/famous", 5), ("face/unfamiliar", 13), ("scrambled", 17)];
let events = find_events(&raw, "Status")?;
let counts = events.counts(&event_id)?;
counts
"""),
    md("""
## 3 · Muscle artifacts

Jaw clenching or frowning produces bursts of **high-frequency** activity (above ~100 Hz,
where the brain contributes little). MNE's `annotate_muscle_zscore` band-passes the data at
110–140 Hz, takes the envelope, z-scores it and marks stretches above a threshold as
`BAD_muscle`. Epochs that overlap such a stretch will be dropped.

*≈10 s: this filters all 62 good channels of a 22-minute recording.*
"""),
    code("""
let (muscle, scores) = annotate_muscle_zscore(&raw, 4.0, 0.1, (110.0, 140.0))?;
println!("{} stretches marked BAD_muscle, {:.1} s in all", muscle.len(), muscle.iter().map(|a| a.duration).sum::<f64>());
// one point per 0.75 s block (its maximum), so the figure stays small
let block = 384;
let z: Vec<f64> = scores.chunks(block).map(|c| c.iter().copied().fold(f64::MIN, f64::max)).collect();
let t: Vec<f64> = (0..z.len()).map(|i| (i * block) as f64 / raw.sfreq()).collect();
let fig = LinePlot::new("muscle score (z) over the recording").xlabel("time (s)").ylabel("z")
    .line("score", &t, &z).hline(4.0).size(700, 260).render()?;
fig
"""),
    md("""
## 4 · Filter and re-reference

* A **high-pass at 0.1 Hz** removes slow drifts (sweat, electrode polarisation);
* a **low-pass at 40 Hz** removes muscle noise and the 50 Hz mains hum — ERPs live below
  ~30 Hz.

`raw.filter(l_freq, h_freq)` uses MNE's default filter: a zero-phase FIR filter (windowed
sinc, Hamming window, transition bands chosen automatically). It matches
`mne.filter.filter_data` to 1e-12 on our test vectors.

Then the **average reference**: EEG measures voltage *differences*; subtracting the mean of
all good channels at every instant makes the map independent of the recording reference.

*≈10 s.*
"""),
    code("""
let raw_f = raw.set_annotations(muscle.clone())?.filter(Some(0.1), Some(40.0))?.set_eeg_reference_average()?;
let fig = raw_f.plot(10.0, 10.0)?;
fig
"""),
    md("""
## 5 · Epochs

Cut the recording from 200 ms before to 600 ms after each picture. Each epoch is
**baseline-corrected**: the mean of the 200 ms before the picture is subtracted, so that we
measure the change the picture caused. Epochs overlapping a `BAD_muscle` stretch are dropped
and logged.
"""),
    code("""
let epochs = Epochs::new(&raw_f, &events, &event_id, -0.2, 0.6)?;
epochs
"""),
    code("""
println!("dropped epochs: {:?}", epochs.dropped());
println!("planted artifact trials: {}", truth["artifact_trials"]);
let log = epochs.drop_log_frame()?;
log
"""),
    md("""
## 6 · ERPs: faces vs scrambled faces

Averaging the epochs of a condition cancels activity that is not time-locked to the picture
and keeps the evoked response. The shaded bands are 95 % confidence intervals across trials.
`P8` sits over the right occipito-temporal cortex.
"""),
    code("""
let faces = epochs.get("face")?;
let scrambled = epochs.get("scrambled")?;
let fig = plot_compare_evokeds(&[("faces", &faces), ("scrambled", &scrambled)], "P8")?;
fig
"""),
    md("""
The **difference wave** (faces − scrambled) isolates what is specific to faces. Where is its
most negative point between 100 and 250 ms?
"""),
    code("""
let evoked_face = faces.average()?;
let evoked_scr = scrambled.average()?;
let diff = combine_evoked(&[&evoked_face, &evoked_scr], &[1.0, -1.0])?;
let peak = diff.get_peak(Some("P8"), 0.10, 0.25, "neg")?;
println!("N170 (faces − scrambled) at {peak}");
println!("planted latency: {} s", truth["n170_latency"]);
let fig = diff.plot(Some("P8"))?;
fig
"""),
    md("""
### Where on the scalp?

A **topomap** shows the voltage over the head at one instant (nose up, seen from above;
values between electrodes are interpolated). At 100 ms the P1 is positive over the back of
the head; at 170 ms the face-specific negativity sits over both temporal-occipital sides,
stronger on the right.
"""),
    code("""
let topo = diff.plot_topomap(&[0.10, 0.17, 0.30])?;
topo
"""),
    md("""
**Try this.** Find the N170 latency in the difference wave at `PO8` (another right
occipito-temporal electrode). Replace `None` with your answer in milliseconds and run the
cell: it checks you against `get_peak`.
"""),
    code("""
let my_answer_ms: Option<f64> = None; // e.g. Some(170.0)
let po8 = diff.get_peak(Some("PO8"), 0.10, 0.25, "neg")?;
match my_answer_ms {
    None => println!("Fill in my_answer_ms first (hint: diff.get_peak(Some(\\"PO8\\"), 0.10, 0.25, \\"neg\\"))."),
    Some(a) if (a - po8.latency * 1e3).abs() <= 10.0 => println!("Right: {po8}"),
    Some(a) => println!("Not quite: you said {a} ms, the peak is at {:.0} ms", po8.latency * 1e3),
};
"""),
    md("""
## 7 · Decoding: can a classifier tell faces from scrambled faces?

Instead of averaging, we now ask whether *single trials* carry the information. At each
time point, a classifier (standard scaling + logistic regression) sees the 62 channel values
of each trial and learns to separate faces from scrambled faces. We **cross-validate**: train
on 4/5 of the trials, test on the remaining 1/5, five times (stratified 5-fold), so that
the score measures generalisation to unseen trials, not memory.

The score is the **ROC AUC**: 0.5 is chance, 1.0 perfect. To keep it quick we first keep
every 4th sample (128 Hz) — safe because we low-passed at 40 Hz.

This is MNE's `SlidingEstimator` + `cross_val_multiscore`.

*≈10 s.*
"""),
    code("""
let dec = epochs.decimate(4)?;
let y = dec.labels("face");
let x = dec.get_data();
println!("X: {:?} (trials × channels × times), {} faces, {} scrambled", x.dim(), y.iter().filter(|&&f| f).count(), y.iter().filter(|&&f| !f).count());
let clf = Classifier::logistic();
let cv = Cv::stratified(5);
let auc = mean_over_folds(&sliding_score(x.view(), &y, &cv, &clf, Scoring::RocAuc)?);
let (best_i, best) = auc.iter().enumerate().fold((0, 0.0), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
println!("best AUC {best:.3} at {:.0} ms", dec.times()[best_i] * 1e3);
"""),
    md("""
**Is it significant?** Chance is 0.5, but with 400 trials a curve fluctuates around it. We
shuffle the labels many times, recompute the whole curve, and keep the **maximum over
time** of each shuffled curve: the 95th percentile of these maxima is a threshold that
controls false positives across all time points at once. The shaded stretches are above it.

*≈20 s: 20 shuffles × 5 folds × 103 time points, with shrinkage LDA (a closed-form
classifier, fast to refit).*
"""),
    code("""
let threshold = sliding_permutation_threshold(x.view(), &y, &cv, &Classifier::lda(), Scoring::RocAuc, 20, 0.05, 42)?;
println!("corrected threshold (95th percentile of shuffled maxima): {threshold:.3}");
let fig = plot_decoding(dec.times(), &auc, 0.5, Some(threshold), "ROC AUC")?;
fig
"""),
    md("""
### Temporal generalisation

Train a classifier at one time, test it at every other time. If the brain kept the same
"code" for a while, a classifier trained at 170 ms also works at 200 ms and the matrix shows
a square; a thin diagonal means the pattern keeps changing. (MNE's `GeneralizingEstimator`.)

Look also at the column at ~170 ms testing time: classifiers trained where there is *no*
face information (before the picture, say) still score far from 0.5 there, above or below
at random. They learned noise, but the N170 in the test trials is so large that any
projection of it separates the classes — with a sign that is luck. Only the diagonal block
is learned information.

*≈10 s.*
"""),
    code("""
let tgen = generalizing_score(x.view(), &y, &cv, &Classifier::lda(), Scoring::RocAuc)?;
let mean_gen = tgen.mean_axis(Axis(0)).ok_or(Error::data("no folds"))?;
// rows: training time, bottom = earliest (flip so time runs upwards)
let flipped = mean_gen.slice(s![..;-1, ..]).to_owned();
let (t0, t1) = (dec.times()[0], dec.times()[dec.times().len() - 1]);
let heat = Heatmap::new(flipped).title("temporal generalisation (ROC AUC)").xlabel("testing time (s)")
    .ylabel("training time (s)").cmap(Colormap::RdBuR).limits(0.0, 1.0).extent(t0, t1, t0, t1).min_side(320);
heat
"""),
    md("""
### Which classifier?

Logistic regression, a linear SVM and shrinkage LDA on the same features — all channels
between 100 and 250 ms, flattened into one vector per trial (MNE's `Vectorizer`).
"""),
    code("""
let win = epochs.crop(0.10, 0.25)?.decimate(4)?;
let xw = win.to_features();
let yw = win.labels("face");
let mut names = Vec::new();
let mut aucs = Vec::new();
for clf in [Classifier::logistic(), Classifier::linear_svm(), Classifier::lda()] {
    let s = cross_val_score(xw.view(), &yw, &cv, &clf, Scoring::RocAuc)?;
    names.push(clf.name());
    aucs.push(s.mean);
}
let table = df!("classifier" => names, "ROC AUC (5-fold)" => aucs)?;
table
"""),
    md("""
## 8 · Real data: a Muse headband, faces vs houses

The Muse is a consumer headband with four dry electrodes: `TP9` and `TP10` behind the ears,
`AF7` and `AF8` on the forehead. NeuroTechX's *eeg-notebooks* project recorded volunteers
watching faces and houses. Subject 1 did six runs of about two minutes, each saved as a CSV
file; we join them (`Raw::concatenate`, like `mne.concatenate_raws`, which marks the joins:
no epoch straddles two files, and filters run on each file separately, as `raw.filter`
does in MNE by default).
"""),
    code("""
let files = list_files(data_dir()?.join("public/eeg-n170-muse/subject1/session1"), "csv")?;
let runs = files.iter().map(read_raw_muse_csv).collect::<Result<Vec<Raw>>>()?;
let muse = Raw::concatenate(&runs)?;
muse
"""),
    md("""
The settings an MNE user would choose for these recordings: band-pass 1–30 Hz, epochs from
−100 to 600 ms with the 100 ms before the picture as baseline, and epochs whose
peak-to-peak amplitude exceeds **75 µV** on any channel rejected (blinks, movement).
"""),
    code("""
let muse_f = muse.filter(Some(1.0), Some(30.0))?;
let muse_events = find_events(&muse_f, "stim")?;
let muse_epochs = Epochs::new(&muse_f, &muse_events, &[("house", 1), ("face", 2)], -0.1, 0.6)?.drop_bad(75e-6)?;
muse_epochs
"""),
    md("""
At `TP9` and `TP10`, behind the ears, the N170 appears as a negativity around 150–200 ms,
more negative for faces than for houses:
"""),
    code("""
let face_m = muse_epochs.get("face")?;
let house_m = muse_epochs.get("house")?;
let fig = plot_compare_evokeds(&[("faces", &face_m), ("houses", &house_m)], "TP10")?;
fig
"""),
    code("""
let fig = plot_compare_evokeds(&[("faces", &face_m), ("houses", &house_m)], "TP9")?;
fig
"""),
    code("""
let muse_diff = combine_evoked(&[&face_m.average()?, &house_m.average()?], &[1.0, -1.0])?;
let tp9 = muse_diff.get_peak(Some("TP9"), 0.12, 0.25, "neg")?;
let tp10 = muse_diff.get_peak(Some("TP10"), 0.12, 0.25, "neg")?;
println!("faces − houses at {tp9}\nfaces − houses at {tp10}");
"""),
    md("""
### Decoding faces vs houses from four electrodes

Whole epochs (4 channels × 181 samples, flattened), standard scaling + logistic regression,
stratified 5-fold cross-validation with the folds **shuffled, seed 42** — the reference
pipeline's `StratifiedKFold(5, shuffle=True, random_state=42)`; `Cv::stratified(5).shuffle(42)`
makes the very same folds as scikit-learn. MNE + scikit-learn give ROC AUC 0.662 on these
files with these folds (0.647 without shuffling: which trials share a fold moves the score by
more than a percent). A permutation test asks how often shuffled labels do as well.

*≈30 s: the permutation test refits the classifier 5 × 100 times.*
"""),
    code("""
let xm = muse_epochs.to_features();
let ym = muse_epochs.labels("face");
let cv_m = Cv::stratified(5).shuffle(42);
let score = cross_val_score(xm.view(), &ym, &cv_m, &Classifier::logistic(), Scoring::RocAuc)?;
println!("{score}");
let perm = permutation_test_score(xm.view(), &ym, &cv_m, &Classifier::logistic(), Scoring::RocAuc, 100, 0)?;
println!("permutation test: AUC {:.3}, p = {:.3} ({} shuffles)", perm.score, perm.pvalue, perm.permutation_scores.len());
"""),
    md("""
**Try this.** Rejection matters. Re-run the epoching with a 100 µV threshold instead of 75 µV:
how many epochs are kept, and does the AUC change? Write the number of kept epochs below.
"""),
    code("""
let my_kept: Option<usize> = None; // e.g. Some(1100)
let loose = Epochs::new(&muse_f, &muse_events, &[("house", 1), ("face", 2)], -0.1, 0.6)?.drop_bad(100e-6)?;
match my_kept {
    None => println!("Fill in my_kept (hint: Epochs::new(...)?.drop_bad(100e-6)?.len())."),
    Some(k) if k == loose.len() => println!("Right: {} epochs kept at 100 µV (vs {} at 75 µV).", loose.len(), muse_epochs.len()),
    Some(k) => println!("Not quite: you said {k}, there are {} (vs {} at 75 µV).", loose.len(), muse_epochs.len()),
};
"""),
    md("""
## What we did

| step | brainml | MNE-Python |
| --- | --- | --- |
| read | `read_raw_bdf`, `read_raw_muse_csv`, `Raw::concatenate` | `mne.io.read_raw_bdf`, `mne.concatenate_raws` |
| inspect | `raw.plot`, `find_bad_channels`, `annotate_muscle_zscore` | `raw.plot`, PyPREP, `annotate_muscle_zscore` |
| filter | `raw.filter(l, h)`, `raw.notch_filter`, `set_eeg_reference_average` | `raw.filter`, `raw.notch_filter`, `set_eeg_reference("average")` |
| epochs | `find_events`, `Epochs::new`, `drop_bad`, `get("face")` | `mne.find_events`, `mne.Epochs`, `drop_bad`, `epochs["face"]` |
| ERPs | `average`, `combine_evoked`, `get_peak`, `plot_topomap` | the same names |
| decoding | `sliding_score`, `generalizing_score`, `cross_val_score`, `permutation_test_score` | `SlidingEstimator`, `GeneralizingEstimator`, scikit-learn |

Next: **02 · fMRI**, where the same face-vs-scrambled question is asked of blood flow.
"""),
]
