"""Write the workshop notebooks' *sources* (cells without outputs) from the text below.

The committed notebooks hold outputs from a real run (scripts/run.sh executes them in place);
this script is only for (re)creating a notebook's cells when its text changes:
    .venv/bin/python scripts/make_notebooks.py 00_check
"""
import sys

import nbformat

KERNEL = {"kernelspec": {"name": "rust", "display_name": "Rust (brainml)", "language": "rust"},
          "language_info": {"name": "Rust", "file_extension": ".rs", "mimetype": "text/rust",
                            "codemirror_mode": "rust", "pygment_lexer": "rust"}}


def md(s):
    return nbformat.v4.new_markdown_cell(s.strip())


def code(s):
    """A code cell. House style (evcxr): end a cell with a *variable* (`fig`), not with an
    expression holding `?` or moving a variable of the same cell — evcxr then fails to call
    `evcxr_display`, compiles the cell a second time and prints the value as Debug text."""
    return nbformat.v4.new_code_cell(s.strip())


NOTEBOOKS = {}
# what each executed notebook must show (checked by scripts/check_notebook.py)
REQUIRE = {"00_check": ["image/svg+xml", "text/html", "stream:stderr"]}

NOTEBOOKS["00_check"] = [
    md("""
# 00 · Check that everything works

This short notebook proves the set-up before the workshop starts: the Rust kernel runs, the
`brainml` helper library builds, and a figure, an image, a table and a progress bar show up.

**Cost:** the first cell builds `brainml` and its dependencies. On a fresh machine that takes
several minutes, once; after that a restarted kernel is ready in seconds. Every other cell
takes a couple of seconds — Rust compiles each cell before running it.
"""),
    code(':dep brainml = { path = ".." }'),
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


def main(names):
    for name in names or NOTEBOOKS:
        meta = dict(KERNEL, brainml={"require": REQUIRE.get(name, [])})
        nb = nbformat.v4.new_notebook(cells=NOTEBOOKS[name], metadata=meta)
        path = f"notebooks/{name}.ipynb"
        nbformat.write(nb, path)
        print("wrote", path)


if __name__ == "__main__":
    main(sys.argv[1:])
