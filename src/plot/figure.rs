//! Line figures drawn with plotters into SVG (no fonts needed: the browser draws the text).
//!
//! [`LinePlot`] is an owned builder (so it can live in a notebook variable across cells);
//! [`LinePlot::render`] checks the data and returns a [`Figure`], which shows itself inline.
//! The building blocks mirror matplotlib's `plot`, `fill_between`, `axvline`/`axhline` and
//! `axvspan`, which MNE's and nilearn's figures are made of.

use plotters::prelude::*;

use crate::display::{emit, svg_img_html, EvcxrDisplay};
use crate::error::{Error, Result};

/// A rendered figure: an SVG document. Shows inline in a notebook; [`Figure::save`] writes it.
#[derive(Clone, Debug)]
pub struct Figure {
    svg: String,
}

impl Figure {
    /// Wrap an SVG document made elsewhere.
    pub fn from_svg(svg: String) -> Self {
        Figure { svg }
    }
    /// The SVG text.
    pub fn svg(&self) -> &str {
        &self.svg
    }
    /// Write the figure as an `.svg` file.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, &self.svg).map_err(|e| Error::io(path, e))
    }
    /// The figure as HTML: an `<img>` holding the SVG as a `data:` URI (what a notebook shows).
    pub fn to_html(&self) -> String {
        svg_img_html(&self.svg)
    }
    /// Send to the notebook (evcxr calls this for a cell's last expression) as `text/html`
    /// holding the SVG in an `<img>`: JupyterLab does not render a bare `image/svg+xml` output of
    /// a notebook it did not execute itself (an untrusted notebook: any committed or downloaded
    /// one), while sanitised HTML with a `data:` image shows (checked in JupyterLab 4 by
    /// tests/browser; VS Code, nbviewer and GitHub render the same HTML output, not tested here).
    pub fn evcxr_display(&self) {
        emit("text/html", &self.to_html());
    }
}

impl EvcxrDisplay for Figure {
    fn evcxr_display(&self) {
        Figure::evcxr_display(self)
    }
}

/// The ten colours of matplotlib's `tab10` cycle, which MNE and nilearn figures use.
pub const TAB10: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

#[derive(Clone, Debug)]
struct Series {
    label: String,
    x: Vec<f64>,
    y: Vec<f64>,
    /// optional lower/upper band (confidence interval)
    band: Option<(Vec<f64>, Vec<f64>)>,
    color: Option<usize>,
    dashed: bool,
}

/// A line plot under construction (owned, so a cell can keep it).
///
/// ```no_run
/// # use brainml::prelude::*;
/// let t: Vec<f64> = (0..100).map(|i| i as f64 / 100.0).collect();
/// let y: Vec<f64> = t.iter().map(|t| (6.28 * 3.0 * t).sin()).collect();
/// let fig = LinePlot::new("3 Hz").xlabel("time (s)").ylabel("a.u.").line("sine", &t, &y).render()?;
/// # Ok::<(), brainml::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct LinePlot {
    title: String,
    xlabel: String,
    ylabel: String,
    size: (u32, u32),
    series: Vec<Series>,
    hlines: Vec<f64>,
    vlines: Vec<f64>,
    spans: Vec<(f64, f64)>,
    ylim: Option<(f64, f64)>,
    invert_y: bool,
}

impl LinePlot {
    /// An empty plot with a title.
    pub fn new(title: impl Into<String>) -> Self {
        LinePlot {
            title: title.into(),
            xlabel: String::new(),
            ylabel: String::new(),
            size: (640, 360),
            series: Vec::new(),
            hlines: Vec::new(),
            vlines: Vec::new(),
            spans: Vec::new(),
            ylim: None,
            invert_y: false,
        }
    }
    super::builder::text_setters! {
        /// x-axis label.
        xlabel,
        /// y-axis label.
        ylabel,
    }
    /// Figure size in pixels (default 640 × 360).
    pub fn size(mut self, width: u32, height: u32) -> Self {
        self.size = (width.clamp(100, 4000), height.clamp(80, 4000));
        self
    }
    /// Fix the y range (default: fitted to the data).
    pub fn ylim(mut self, lo: f64, hi: f64) -> Self {
        self.ylim = Some((lo, hi));
        self
    }
    /// Draw negative up, as many EEG papers do for ERPs.
    pub fn negative_up(mut self) -> Self {
        self.invert_y = true;
        self
    }
    /// Add a line (matplotlib `plot`). `x` and `y` must have the same length.
    pub fn line(mut self, label: impl Into<String>, x: &[f64], y: &[f64]) -> Self {
        self.series.push(Series {
            label: label.into(),
            x: x.to_vec(),
            y: y.to_vec(),
            band: None,
            color: None,
            dashed: false,
        });
        self
    }
    /// Add a line with a shaded band between `lo` and `hi` (matplotlib `fill_between`), e.g. a
    /// 95 % confidence interval.
    pub fn line_band(
        mut self,
        label: impl Into<String>,
        x: &[f64],
        y: &[f64],
        lo: &[f64],
        hi: &[f64],
    ) -> Self {
        self.series.push(Series {
            label: label.into(),
            x: x.to_vec(),
            y: y.to_vec(),
            band: Some((lo.to_vec(), hi.to_vec())),
            color: None,
            dashed: false,
        });
        self
    }
    /// Add a dashed line (e.g. chance level over time).
    pub fn dashed(mut self, label: impl Into<String>, x: &[f64], y: &[f64]) -> Self {
        self.series.push(Series {
            label: label.into(),
            x: x.to_vec(),
            y: y.to_vec(),
            band: None,
            color: Some(7),
            dashed: true,
        });
        self
    }
    /// A thin grey line without a legend entry (one of many, e.g. a butterfly plot's channels).
    pub fn thin_grey(mut self, x: &[f64], y: &[f64]) -> Self {
        self.series.push(Series {
            label: String::new(),
            x: x.to_vec(),
            y: y.to_vec(),
            band: None,
            color: Some(usize::MAX),
            dashed: false,
        });
        self
    }
    /// A horizontal reference line (matplotlib `axhline`), e.g. chance level or zero.
    pub fn hline(mut self, y: f64) -> Self {
        self.hlines.push(y);
        self
    }
    /// A vertical reference line (matplotlib `axvline`), e.g. stimulus onset.
    pub fn vline(mut self, x: f64) -> Self {
        self.vlines.push(x);
        self
    }
    /// Shade an x interval (matplotlib `axvspan`), e.g. a significant stretch.
    pub fn span(mut self, x0: f64, x1: f64) -> Self {
        self.spans.push((x0.min(x1), x0.max(x1)));
        self
    }

    fn check(&self) -> Result<()> {
        if self.series.is_empty() {
            return Err(Error::data(format!(
                "plot {:?}: no line to draw (add one with .line(..))",
                self.title
            )));
        }
        for s in &self.series {
            if s.x.len() != s.y.len() {
                return Err(Error::shape(
                    format!("plot {:?}, line {:?}: y", self.title, s.label),
                    format!("{} values (as many as x)", s.x.len()),
                    s.y.len(),
                ));
            }
            if let Some((lo, hi)) = &s.band {
                if lo.len() != s.x.len() || hi.len() != s.x.len() {
                    return Err(Error::shape(
                        format!("plot {:?}, band of {:?}", self.title, s.label),
                        s.x.len(),
                        format!("{} and {}", lo.len(), hi.len()),
                    ));
                }
            }
        }
        Ok(())
    }

    fn ranges(&self) -> Result<((f64, f64), (f64, f64))> {
        let fin = |v: &&f64| v.is_finite();
        let xs = self.series.iter().flat_map(|s| s.x.iter()).filter(fin);
        let (x0, x1) =
            min_max(xs).ok_or_else(|| Error::data(format!("plot {:?}: no finite x value", self.title)))?;
        let ys = self.series.iter().flat_map(|s| {
            let band = s.band.iter().flat_map(|(l, h)| l.iter().chain(h.iter()));
            s.y.iter().chain(band)
        });
        let ys = ys.chain(self.hlines.iter()).filter(fin);
        let (y0, y1) = match self.ylim {
            Some(l) => l,
            None => {
                min_max(ys).ok_or_else(|| Error::data(format!("plot {:?}: no finite y value", self.title)))?
            }
        };
        let pad = |a: f64, b: f64, f: f64| {
            let d = if b > a { (b - a) * f } else { a.abs().max(1.0) * 0.1 };
            (a - d, b + d)
        };
        let (x0, x1) = if x1 > x0 { (x0, x1) } else { pad(x0, x1, 0.0) };
        let y = if self.ylim.is_some() && y1 > y0 { (y0, y1) } else { pad(y0, y1, 0.05) };
        Ok(((x0, x1), y))
    }

    /// Check the data and draw the figure.
    pub fn render(&self) -> Result<Figure> {
        self.check()?;
        let ((x0, x1), (y0, y1)) = self.ranges()?;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, self.size).into_drawing_area();
            let draw_err = |e: String| Error::data(format!("plot {:?}: drawing failed: {e}", self.title));
            root.fill(&WHITE).map_err(|e| draw_err(e.to_string()))?;
            let y_range = if self.invert_y { (y1, y0) } else { (y0, y1) };
            let mut chart = ChartBuilder::on(&root)
                .caption(&self.title, ("sans-serif", 18))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d(x0..x1, y_range.0..y_range.1)
                .map_err(|e| draw_err(e.to_string()))?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(240, 240, 240))
                .x_desc(&self.xlabel)
                .y_desc(&self.ylabel)
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(|e| draw_err(e.to_string()))?;
            for &(a, b) in &self.spans {
                chart
                    .draw_series(std::iter::once(Rectangle::new(
                        [(a, y0), (b, y1)],
                        RGBColor(255, 200, 0).mix(0.25).filled(),
                    )))
                    .map_err(|e| draw_err(e.to_string()))?;
            }
            let grey = RGBColor(110, 110, 110);
            for &h in &self.hlines {
                chart
                    .draw_series(LineSeries::new([(x0, h), (x1, h)], grey.stroke_width(1)))
                    .map_err(|e| draw_err(e.to_string()))?;
            }
            for &v in &self.vlines {
                chart
                    .draw_series(LineSeries::new([(v, y0), (v, y1)], grey.stroke_width(1)))
                    .map_err(|e| draw_err(e.to_string()))?;
            }
            let mut auto = 0usize;
            for s in &self.series {
                let ci = s.color.unwrap_or_else(|| {
                    auto += 1;
                    (auto - 1) % TAB10.len()
                });
                let color = if ci == usize::MAX { RGBColor(150, 150, 150) } else { TAB10[ci % TAB10.len()] };
                if let Some((lo, hi)) = &s.band {
                    let upper: Vec<(f64, f64)> = s.x.iter().zip(hi).map(|(&x, &y)| (x, y)).collect();
                    let lower: Vec<(f64, f64)> = s.x.iter().zip(lo).rev().map(|(&x, &y)| (x, y)).collect();
                    let poly: Vec<(f64, f64)> = upper
                        .into_iter()
                        .chain(lower)
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .collect();
                    chart
                        .draw_series(std::iter::once(Polygon::new(poly, color.mix(0.2).filled())))
                        .map_err(|e| draw_err(e.to_string()))?;
                }
                let pts: Vec<(f64, f64)> =
                    s.x.iter()
                        .zip(&s.y)
                        .map(|(&x, &y)| (x, y))
                        .filter(|(x, y)| x.is_finite() && y.is_finite())
                        .collect();
                let style = color.stroke_width(if ci == usize::MAX { 1 } else { 2 });
                let series = if s.dashed {
                    chart.draw_series(DashedLineSeries::new(pts, 6, 4, style))
                } else {
                    chart.draw_series(LineSeries::new(pts, style))
                }
                .map_err(|e| draw_err(e.to_string()))?;
                if !s.label.is_empty() {
                    series
                        .label(&s.label)
                        .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
                }
            }
            if self.series.iter().any(|s| !s.label.is_empty()) {
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(RGBColor(200, 200, 200))
                    .label_font(("sans-serif", 12))
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .map_err(|e| draw_err(e.to_string()))?;
            }
            root.present().map_err(|e| draw_err(e.to_string()))?;
        }
        Ok(Figure { svg })
    }

    /// Render and show in one step (for a cell ending in a plot). Errors show as text.
    pub fn evcxr_display(&self) {
        match self.render() {
            Ok(f) => f.evcxr_display(),
            Err(e) => println!("cannot draw: {e}"),
        }
    }
}

fn min_max<'a>(it: impl Iterator<Item = &'a f64>) -> Option<(f64, f64)> {
    it.fold(None, |acc, &v| match acc {
        None => Some((v, v)),
        Some((a, b)) => Some((a.min(v), b.max(v))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_svg_with_labels_and_band() {
        let x: Vec<f64> = (0..50).map(|i| i as f64 * 0.01).collect();
        let y: Vec<f64> = x.iter().map(|t| (t * 20.0).sin()).collect();
        let lo: Vec<f64> = y.iter().map(|v| v - 0.2).collect();
        let hi: Vec<f64> = y.iter().map(|v| v + 0.2).collect();
        let f = LinePlot::new("ERP")
            .xlabel("time (s)")
            .ylabel("µV")
            .line_band("faces", &x, &y, &lo, &hi)
            .hline(0.0)
            .vline(0.1)
            .span(0.1, 0.2)
            .render()
            .unwrap();
        assert!(f.svg().starts_with("<svg"));
        for s in ["ERP", "time (s)", "faces", "<polygon"] {
            assert!(f.svg().contains(s), "{s} missing");
        }
    }

    #[test]
    fn bad_input_is_an_error_not_a_panic() {
        assert!(LinePlot::new("empty").render().is_err());
        let e = LinePlot::new("p").line("a", &[0.0, 1.0], &[1.0]).render().unwrap_err().to_string();
        assert!(e.contains("expected 2 values"), "{e}");
        let e = LinePlot::new("p").line("a", &[f64::NAN], &[f64::NAN]).render().unwrap_err().to_string();
        assert!(e.contains("no finite"), "{e}");
        // a constant line still draws
        assert!(LinePlot::new("c").line("a", &[0.0, 1.0], &[3.0, 3.0]).render().is_ok());
    }
}
