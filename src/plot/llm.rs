//! Figures of the language-model session: the PCA scatter of embeddings ([`Pca::plot`], an
//! `ml` type, so it needs only the `ml` feature), the encoding curve by layer
//! (`LayerScores::plot`) and the similarity heatmap (`Embeddings::plot_similarity`). The
//! types live in `ml` and `llm`; their figures live here, so neither imports `plot`.

use plotters::prelude::*;

use super::{Figure, TAB10};
use crate::error::{Error, Result};
use crate::ml::Pca;

/// At most `n` characters of `s`, an ellipsis marking a cut.
fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

/// Lower and upper limits of `v` with an 8 % margin.
fn padded_range(v: ndarray::ArrayView1<f64>) -> (f64, f64) {
    let (a, b) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    let d = ((b - a) * 0.08).max(1e-9);
    (a - d, b + d)
}

/// The groups in order of first appearance.
fn unique_in_order(groups: Option<&[String]>) -> Vec<String> {
    let mut u: Vec<String> = Vec::new();
    for s in groups.unwrap_or_default() {
        if !u.contains(s) {
            u.push(s.clone());
        }
    }
    u
}

impl Pca {
    /// Scatter plot of the first two components with each point labelled (matplotlib
    /// `scatter` + `annotate`, as in the workshop's PCA figure); points of a group (see
    /// [`Pca::groups`]) share a colour, with a legend in the emptiest corner.
    pub fn plot(&self) -> Result<Figure> {
        if self.scores.ncols() < 2 {
            return Err(Error::shape("PCA components to plot", "at least 2", self.scores.ncols()));
        }
        let xs = self.scores.column(0);
        let ys = self.scores.column(1);
        let ((x0, x1), (y0, y1)) = (padded_range(xs), padded_range(ys));
        // room for the labels, which run to the right of their points
        let x1 = x1 + (x1 - x0) * 0.3;
        // the legend goes in the corner with the fewest points
        let corners = [
            SeriesLabelPosition::UpperLeft,
            SeriesLabelPosition::UpperRight,
            SeriesLabelPosition::LowerLeft,
            SeriesLabelPosition::LowerRight,
        ];
        let (xm, ym) = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let crowd = |k: usize| {
            xs.iter().zip(ys).filter(|(&x, &y)| (x >= xm) == (k % 2 == 1) && (y < ym) == (k >= 2)).count()
        };
        let corner = (0..4).min_by_key(|&k| crowd(k)).unwrap_or(1);
        let group_names = unique_in_order(self.groups.as_deref());
        let r = &self.explained_variance_ratio;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (760, 520)).into_drawing_area();
            root.fill(&WHITE)?;
            let mut chart = ChartBuilder::on(&root)
                .caption("PCA of the embeddings", ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d(x0..x1, y0..y1)?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(240, 240, 240))
                .x_desc(format!("PC1 ({:.1} % of variance)", 100.0 * r[0]))
                .y_desc(format!("PC2 ({:.1} % of variance)", 100.0 * r[1]))
                .label_style(("sans-serif", 12))
                .draw()?;
            for (gi, name) in group_names.iter().enumerate() {
                let color = TAB10[gi % TAB10.len()];
                chart
                    .draw_series(std::iter::once(Circle::new((f64::NAN, f64::NAN), 0, color.filled())))?
                    .label(name.as_str())
                    .legend(move |(x, y)| Circle::new((x + 8, y), 5, color.filled()));
            }
            for i in 0..self.scores.nrows() {
                let gi = match &self.groups {
                    Some(g) => group_names.iter().position(|n| n == &g[i]).unwrap_or(0),
                    None => 0,
                };
                let color = TAB10[gi % TAB10.len()];
                let pt = (xs[i], ys[i]);
                let label = short(&self.labels[i], 30);
                let font = ("sans-serif", 11).into_font().color(&RGBColor(60, 60, 60));
                let point = EmptyElement::at(pt)
                    + Circle::new((0, 0), 5, color.filled())
                    + Text::new(label, (7, -12), font);
                chart.draw_series(std::iter::once(point))?;
            }
            if !group_names.is_empty() {
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(RGBColor(200, 200, 200))
                    .label_font(("sans-serif", 12))
                    .position(corners[corner].clone())
                    .draw()?;
            }
            root.present()?;
        }
        Ok(Figure::from_svg(svg))
    }
}

#[cfg(feature = "llm")]
impl crate::llm::LayerScores {
    /// Mean r ± SEM over folds, layer by layer.
    pub fn plot(&self) -> super::LinePlot {
        let x: Vec<f64> = (0..self.scores.len()).map(|l| l as f64).collect();
        let m = self.mean();
        let lo: Vec<f64> = self.scores.iter().map(|s| s.mean() - s.sem()).collect();
        let hi: Vec<f64> = self.scores.iter().map(|s| s.mean() + s.sem()).collect();
        super::LinePlot::new(format!("encoding model: {}", self.name))
            .xlabel("layer (0 = embeddings)")
            .ylabel("held-out Pearson r")
            .line_band(self.name.clone(), &x, &m, &lo, &hi)
            .hline(0.0)
    }
}

#[cfg(feature = "llm")]
impl crate::llm::Embeddings {
    /// Cosine similarity as a labelled heatmap (rows and columns follow the texts).
    pub fn plot_similarity(&self, title: &str) -> super::Heatmap {
        super::Heatmap::new(self.cosine_similarity()).title(title).labels(self.labels.clone())
    }
}
