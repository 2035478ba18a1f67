"""Cells of notebooks/00_check.ipynb (see scripts/make_notebooks.py)."""
from cells import code, md

NAME = "00_check"
# what the executed notebook must show (checked by scripts/check_notebook.py)
REQUIRE = ["figure", "text/html", "stream:stderr"]

CELLS = [
    md("""
# 00 · Check that everything works

This short notebook proves the set-up before the workshop starts: the Rust kernel runs, the
`brainml` helper library builds, and a figure, an image, a table and a progress bar show up.

**Cost:** after `bash scripts/run.sh` (which builds everything once) the first cell takes
about 10 s: brainml is already compiled, and most of the time is rust-analyzer, inside the
kernel, reading the library so that it knows the types of your variables. On a machine where the set-up has not been run it would first compile brainml and all its dependencies — about 8 minutes on 2 cores — showing nothing in the cell meanwhile. Every other
cell takes a second or two — Rust compiles each cell before running it.
"""),
    code(':dep brainml = { path = "..", features = ["eeg"] }'),
    code("use brainml::prelude::*;"),
    md("""
## A line plot

Ten cycles per second — the **alpha rhythm** you will meet in the EEG session — fading out.
Figures are drawn as SVG, so they stay sharp when you zoom.
"""),
    code("""
let sfreq = 250.0; // samples per second, as an EEG amplifier would record
let t: Vec<f64> = (0..500).map(|i| i as f64 / sfreq).collect();
let alpha: Vec<f64> = t.iter().map(|t| 20.0 * (2.0 * std::f64::consts::PI * 10.0 * t).sin() * (-t).exp()).collect();
let fig = LinePlot::new("A 10 Hz alpha burst").xlabel("time (s)").ylabel("amplitude (µV)")
    .line("alpha", &t, &alpha).hline(0.0).render()?;
fig
"""),
    md("""
## An image

Pictures — brain slices, similarity matrices — are sent as PNG. This one is a 2-D Gaussian
blob, the shape of the smoothing kernel used in the fMRI session.
"""),
    code("""
let blob = Array2::from_shape_fn((64, 64), |(i, j)| {
    let (y, x) = (i as f64 - 32.0, j as f64 - 32.0);
    (-(x * x + y * y) / (2.0 * 8.0 * 8.0)).exp()
});
let kernel_map = Heatmap::new(blob).title("Gaussian kernel, σ = 8 voxels").xlabel("x (voxels)").ylabel("y (voxels)");
kernel_map
"""),
    md("""
## A table

Events, trial lists and results are [polars](https://pola.rs) data frames, shown as tables.
"""),
    code("""
let events = df!(
    "onset" => [0.5, 3.6, 6.4, 9.5, 12.4],
    "duration" => [0.0; 5],
    "trial_type" => ["face", "scrambled", "face", "face", "scrambled"],
)?;
events
"""),
    md("""
## A progress bar

Long computations (searchlights, cross-validation) report progress *while they run*.
"""),
    code("""
let mut total = 0u64;
for i in progress(0..25, "counting") {
    std::thread::sleep(std::time::Duration::from_millis(100));
    total += i;
}
total
"""),
    md("All four showed? Then you are ready for the workshop."),
]

