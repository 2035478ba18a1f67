//! The bridge from Rust values to what Jupyter shows (evcxr's rich output protocol).
//!
//! evcxr calls `(last expression).evcxr_display()` on the value that ends a cell and, for
//! anything printed between `EVCXR_BEGIN_CONTENT <mime>` and `EVCXR_END_CONTENT` on stdout,
//! sends a rich display bundle after the cell finishes. One bundle holds one entry per MIME
//! type, so **one rich output per cell** (the last one of each type wins).
//!
//! What shows how:
//! - [`Figure`](crate::plot::Figure) (line plots, ERPs, curves): SVG — sharp and small — sent
//!   as `text/html` holding `<img src="data:image/svg+xml;base64,…">` ([`svg_img_html`]): a bare
//!   `image/svg+xml` output is hidden by JupyterLab in any notebook it did not execute itself
//!   (untrusted), which is every committed notebook a learner opens;
//! - [`Image`](crate::plot::Image) (slices, raw pictures): `image/png`, base64, encoded by the
//!   `png` crate; [`Heatmap`](crate::plot::Heatmap) adds a title, axis labels and a colour bar
//!   around the PNG as `text/html` (thousands of SVG rectangles would bloat notebooks);
//! - a polars `DataFrame`: `text/html` table through the [`EvcxrDisplay`] trait (in the prelude),
//!   head and tail for long frames, shape shown, like polars' own notebook repr;
//! - long loops: [`Progress`] writes plain lines to **stderr**, which evcxr streams to the
//!   cell *while it runs* (rich bundles arrive only at the end of a cell, so they cannot show
//!   progress).

use std::fmt::Write as _;
use std::io::Write as _;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use polars::prelude::*;

/// Emit one rich output of MIME type `mime` (the evcxr protocol).
pub fn emit(mime: &str, content: &str) {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // A failed write to stdout has nowhere to be reported; ignore it like `print!` would panic,
    // but without the panic.
    let _ = writeln!(out, "EVCXR_BEGIN_CONTENT {mime}\n{content}\nEVCXR_END_CONTENT");
    let _ = out.flush();
}

/// Types that show themselves richly in an evcxr notebook. In the prelude so that a cell
/// ending in a `DataFrame` shows a table.
pub trait EvcxrDisplay {
    /// Send this value to the notebook.
    fn evcxr_display(&self);
}

/// An SVG document as an HTML `<img>` with a base64 `data:` URI, at the SVG's own size (scaled
/// down to the cell's width when narrower). JupyterLab's sanitiser keeps `data:` images and
/// these attributes in untrusted notebooks; the SVG's text is drawn by the browser's fonts.
pub fn svg_img_html(svg: &str) -> String {
    use base64::Engine as _;
    let attr = |name: &str| -> Option<&str> {
        let head = &svg[..svg.find('>')?];
        let at = head.find(&format!(" {name}=\""))? + name.len() + 3;
        head[at..].split('"').next()
    };
    let size = match (attr("width"), attr("height")) {
        (Some(w), Some(h)) => format!(" width=\"{}\" height=\"{}\"", html_escape(w), html_escape(h)),
        _ => String::new(),
    };
    let b64 = base64::engine::general_purpose::STANDARD.encode(svg.as_bytes());
    format!("<img alt=\"figure\"{size} style=\"max-width:100%;height:auto\" src=\"data:image/svg+xml;base64,{b64}\"/>")
}

/// Escape text for HTML.
pub fn html_escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            _ => o.push(c),
        }
    }
    o
}

/// Rows shown at the head and tail of a long table (polars shows 5 + 5 by default; we show
/// a little more since learners scroll events tables).
const TABLE_HEAD: usize = 10;
const TABLE_TAIL: usize = 5;

/// Render a DataFrame as an HTML table: shape line, column names with dtypes, head/tail rows
/// with an ellipsis row between them. Mirrors polars' `DataFrame._repr_html_`.
pub fn dataframe_html(df: &DataFrame) -> String {
    let (n, m) = df.shape();
    let mut h = String::new();
    let _ =
        write!(h, "<div><small>shape: ({n}, {m})</small><table border=\"1\" class=\"dataframe\"><thead><tr>");
    for c in df.get_columns() {
        let _ = write!(
            h,
            "<th>{}<br><small>{}</small></th>",
            html_escape(c.name()),
            html_escape(&c.dtype().to_string())
        );
    }
    h.push_str("</tr></thead><tbody>");
    let rows: Vec<Option<usize>> = if n <= TABLE_HEAD + TABLE_TAIL {
        (0..n).map(Some).collect()
    } else {
        (0..TABLE_HEAD).map(Some).chain(std::iter::once(None)).chain((n - TABLE_TAIL..n).map(Some)).collect()
    };
    for r in rows {
        h.push_str("<tr>");
        for c in df.get_columns() {
            let cell = match r {
                None => "…".to_string(),
                Some(i) => match c.get(i) {
                    Ok(AnyValue::String(s)) => s.to_string(),
                    Ok(AnyValue::Float64(v)) => format_float(v),
                    Ok(AnyValue::Float32(v)) => format_float(v as f64),
                    Ok(v) => v.to_string(),
                    Err(_) => String::new(),
                },
            };
            let _ = write!(h, "<td>{}</td>", html_escape(&cell));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

fn format_float(v: f64) -> String {
    if v == 0.0 || (1e-3..1e6).contains(&v.abs()) {
        let s = format!("{v:.4}");
        let s = s.trim_end_matches('0');
        s.strip_suffix('.').unwrap_or(s).to_string()
    } else {
        format!("{v:.4e}")
    }
}

impl EvcxrDisplay for DataFrame {
    fn evcxr_display(&self) {
        emit("text/html", &dataframe_html(self));
    }
}

/// Progress of a long computation, shown live in the running cell.
///
/// Lines go to stderr (evcxr streams them while the cell runs), at most one per 10 % step
/// and never more often than every `min_interval` (default 1 s), so a 40 000-step loop prints
/// about ten lines. Safe to share across rayon threads (`&Progress` is `Sync`).
/// Mirrors the role of `tqdm` / nilearn's `verbose=1`.
pub struct Progress {
    label: String,
    total: usize,
    done: AtomicUsize,
    start: Instant,
    last: Mutex<(Instant, usize)>,
    min_interval: Duration,
    quiet: bool,
}

impl Progress {
    /// A progress counter for `total` steps.
    pub fn new(label: impl Into<String>, total: usize) -> Self {
        let now = Instant::now();
        Progress {
            label: label.into(),
            total,
            done: AtomicUsize::new(0),
            start: now,
            last: Mutex::new((now, 0)),
            min_interval: Duration::from_secs(1),
            quiet: false,
        }
    }
    /// Report at most this often (default 1 s). Zero reports every 10 % step.
    pub fn every(mut self, interval: Duration) -> Self {
        self.min_interval = interval;
        self
    }
    /// Print nothing (tests, nested loops).
    pub fn quiet(mut self) -> Self {
        self.quiet = true;
        self
    }
    /// Steps finished so far.
    pub fn done(&self) -> usize {
        self.done.load(Ordering::Relaxed)
    }
    /// Mark `n` more steps done; prints a line when a new 10 % step is reached and the
    /// interval has passed.
    pub fn inc(&self, n: usize) {
        let done = self.done.fetch_add(n, Ordering::Relaxed) + n;
        if self.quiet || self.total == 0 {
            return;
        }
        let decile = (done * 10 / self.total).min(10);
        let Ok(mut last) = self.last.try_lock() else { return };
        if decile > last.1 && last.0.elapsed() >= self.min_interval && done < self.total {
            *last = (Instant::now(), decile);
            eprintln!("{}", self.line(done));
        }
    }
    /// Print the final line (total time).
    pub fn finish(&self) {
        if !self.quiet {
            eprintln!("{}", self.line(self.done()));
        }
    }
    fn line(&self, done: usize) -> String {
        let pct = if self.total == 0 { 100.0 } else { 100.0 * done as f64 / self.total as f64 };
        let secs = self.start.elapsed().as_secs_f64();
        let bar_n = (pct / 5.0).round() as usize;
        let bar: String = "█".repeat(bar_n.min(20)) + &"·".repeat(20 - bar_n.min(20));
        let eta = if done > 0 && done < self.total {
            format!(", ~{:.0} s left", secs * (self.total - done) as f64 / done as f64)
        } else {
            String::new()
        };
        format!("{} {bar} {pct:3.0}% ({done}/{}) {secs:.1} s{eta}", self.label, self.total)
    }
}

/// Iterate with progress: `for x in progress(items, "label") { .. }` prints as it goes and
/// a last line with the total time. The total is the iterator's size hint (exact for ranges,
/// vectors and arrays of any integer type).
pub fn progress<I: IntoIterator>(iter: I, label: &str) -> ProgressIter<I::IntoIter> {
    let it = iter.into_iter();
    let (lo, hi) = it.size_hint();
    let p = Progress::new(label, hi.unwrap_or(lo));
    ProgressIter { it, p, started: false, finished: false }
}

/// The iterator returned by [`progress`].
pub struct ProgressIter<I> {
    it: I,
    p: Progress,
    started: bool,
    finished: bool,
}

impl<I: Iterator> Iterator for ProgressIter<I> {
    type Item = I::Item;
    /// Counts an item as done when the next one is asked for, so the last line reports the
    /// time of the whole loop body.
    fn next(&mut self) -> Option<I::Item> {
        let item = self.it.next();
        if self.started {
            self.p.inc(1);
        }
        self.started = true;
        if item.is_none() && !self.finished {
            self.finished = true;
            self.p.finish();
        }
        item
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_html_has_shape_head_tail_and_escapes() {
        let n = 40;
        let df = df!("onset" => (0..n).map(|i| i as f64 * 1.5).collect::<Vec<_>>(),
                     "trial_type" => (0..n).map(|i| if i % 2 == 0 { "face<1>" } else { "house" }).collect::<Vec<_>>())
        .unwrap();
        let h = dataframe_html(&df);
        assert!(h.contains("shape: (40, 2)"));
        assert!(h.contains("face&lt;1&gt;"));
        assert!(h.contains("…"));
        // 10 head + 1 ellipsis + 5 tail rows
        assert_eq!(h.matches("<tr>").count(), 1 + 16);
        assert!(h.contains("<td>58.5</td>"), "last onset shown");
        assert!(!h.contains("<td>30</td>"), "middle rows hidden");
    }

    #[test]
    fn svg_becomes_a_sized_data_uri_image() {
        use base64::Engine as _;
        let svg = "<svg width=\"800\" height=\"300\" viewBox=\"0 0 800 300\" xmlns=\"http://www.w3.org/2000/svg\"><text>a&amp;b</text></svg>";
        let h = svg_img_html(svg);
        assert!(h.starts_with("<img alt=\"figure\" width=\"800\" height=\"300\""), "{h}");
        let b64 = h.split("base64,").nth(1).unwrap().trim_end_matches("\"/>");
        let back = base64::engine::general_purpose::STANDARD.decode(b64).unwrap();
        assert_eq!(back, svg.as_bytes());
        assert!(!svg_img_html("<svg>").contains("width="), "no size when the SVG has none");
    }

    #[test]
    fn progress_iter_counts_every_item_of_any_range() {
        let mut it = progress(0..25u64, "t");
        it.p.quiet = true;
        assert_eq!(it.p.total, 25);
        assert_eq!(it.by_ref().sum::<u64>(), 300);
        assert_eq!(it.p.done(), 25);
    }

    #[test]
    fn progress_counts_across_threads() {
        use rayon::prelude::*;
        let p = Progress::new("t", 1000).quiet();
        (0..1000).into_par_iter().for_each(|_| p.inc(1));
        assert_eq!(p.done(), 1000);
        assert!(p.line(500).contains("50%"));
    }
}

/// A piece of HTML shown as is (topomaps, rows of pictures with a colour bar).
#[derive(Clone, Debug)]
pub struct Html(pub String);

impl Html {
    /// Send to the notebook as `text/html`.
    pub fn evcxr_display(&self) {
        emit("text/html", &self.0);
    }
}

impl EvcxrDisplay for Html {
    fn evcxr_display(&self) {
        Html::evcxr_display(self)
    }
}
