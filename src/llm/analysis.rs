//! Embeddings as features for brain research: PCA to 2-D with labels, similarity layer by
//! layer, and cross-validated ridge regression ("encoding models": predict a per-word or
//! per-sentence response from a layer's vectors, layer by layer).
//!
//! Mirrors scikit-learn, which the Hugging Face and nilearn tutorials use for this step:
//! [`pca`] is `PCA(n_components).fit(X)` (full SVD, signs as `svd_flip(u_based_decision=False)`
//! in scikit-learn ≥ 1.5), [`Ridge`] is `Ridge(alpha)` and [`RidgeCv`] is `RidgeCV(alphas)`
//! with its efficient leave-one-out choice of alpha (`gcv_mode=None`, mean squared error).
//! [`encoding_score`] is `cross_val_score(RidgeCV(alphas), X, y, cv=KFold(k))` scored with
//! Pearson's r between predicted and measured held-out values, the score of encoding-model
//! papers. Checked against scikit-learn 1.7 in `tests/llm_analysis.rs`.
//!
//! Written by hand on top of linfa-linalg's symmetric eigendecomposition: linfa-reduction's
//! PCA does not follow scikit-learn's sign convention and linfa has no ridge with
//! leave-one-out alpha selection.

use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};
use plotters::prelude::*;
use rayon::prelude::*;

use super::embed::Embeddings;
use crate::error::{Error, Result};
use crate::ml::Cv;
use crate::plot::{Figure, LinePlot, TAB10};

fn check_finite(what: &str, x: ArrayView2<f64>) -> Result<()> {
    if let Some(pos) = x.indexed_iter().find(|(_, v)| !v.is_finite()).map(|(p, _)| p) {
        return Err(Error::data(format!(
            "{what}: value at row {}, column {} is not finite (NaN or Inf)",
            pos.0, pos.1
        )));
    }
    Ok(())
}

/// Eigendecomposition of a symmetric matrix, eigenvalues in decreasing order (eigenvectors are
/// the columns of the second array).
fn eigh_desc(a: &Array2<f64>, what: &str) -> Result<(Array1<f64>, Array2<f64>)> {
    let (vals, vecs) =
        a.eigh().map_err(|e| Error::data(format!("{what}: eigendecomposition failed: {e}")))?;
    let mut order: Vec<usize> = (0..vals.len()).collect();
    order.sort_by(|&i, &j| vals[j].total_cmp(&vals[i]));
    let vals = Array1::from_iter(order.iter().map(|&i| vals[i].max(0.0)));
    let vecs = vecs.select(Axis(1), &order);
    Ok((vals, vecs))
}

fn center(x: ArrayView2<f64>) -> (Array2<f64>, Array1<f64>) {
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
    (&x - &mean, mean)
}

/// Principal component analysis, fitted and applied to the rows it was fitted on
/// (scikit-learn `PCA(n_components).fit_transform(X)`).
#[derive(Clone, Debug)]
pub struct Pca {
    /// `components_`: (n_components, features), unit rows.
    pub components: Array2<f64>,
    /// `explained_variance_` (divided by n − 1).
    pub explained_variance: Array1<f64>,
    /// `explained_variance_ratio_`.
    pub explained_variance_ratio: Array1<f64>,
    /// `mean_`.
    pub mean: Array1<f64>,
    /// The rows projected on the components: (samples, n_components).
    pub scores: Array2<f64>,
    /// One label per row (from [`Embeddings::labels`]), used by [`Pca::plot`].
    pub labels: Vec<String>,
    /// Optional group of each row: points of a group share a colour.
    pub groups: Option<Vec<String>>,
}

/// PCA of the rows of `x` (scikit-learn `PCA(n_components)` with the full SVD). The sign of
/// each component is fixed as scikit-learn ≥ 1.5 does: its largest-magnitude loading is
/// positive. Errors on NaN/Inf, fewer than 2 rows, or more components than `min(n, p)`.
pub fn pca(x: ArrayView2<f64>, n_components: usize) -> Result<Pca> {
    let (n, p) = x.dim();
    if n < 2 {
        return Err(Error::shape("PCA input rows", "at least 2", n));
    }
    if n_components == 0 || n_components > n.min(p) {
        return Err(Error::shape("PCA n_components", format!("1..={}", n.min(p)), n_components));
    }
    check_finite("PCA input", x)?;
    let (xc, mean) = center(x);
    let total: f64 = xc.iter().map(|v| v * v).sum();
    // right singular vectors from whichever Gram matrix is smaller
    let (vals, mut comps) = if n <= p {
        let (vals, u) = eigh_desc(&xc.dot(&xc.t()), "PCA (X Xᵀ)")?;
        let mut v = Array2::zeros((n_components, p));
        for k in 0..n_components {
            let s = vals[k].sqrt();
            if s > 0.0 {
                v.row_mut(k).assign(&(xc.t().dot(&u.column(k)) / s));
            }
        }
        (vals, v)
    } else {
        let (vals, v) = eigh_desc(&xc.t().dot(&xc), "PCA (XᵀX)")?;
        (vals, v.slice(ndarray::s![.., ..n_components]).t().to_owned())
    };
    for mut row in comps.rows_mut() {
        let big = row.iter().copied().fold(0.0f64, |m, v| if v.abs() > m.abs() { v } else { m });
        if big < 0.0 {
            row.mapv_inplace(|v| -v);
        }
    }
    let scores = xc.dot(&comps.t());
    let ev = vals.slice(ndarray::s![..n_components]).mapv(|l| l / (n - 1) as f64);
    let ratio = vals.slice(ndarray::s![..n_components]).mapv(|l| if total > 0.0 { l / total } else { 0.0 });
    Ok(Pca {
        components: comps,
        explained_variance: ev,
        explained_variance_ratio: ratio,
        mean,
        scores,
        labels: (0..n).map(|i| i.to_string()).collect(),
        groups: None,
    })
}

impl Embeddings {
    /// The rows as `f64` (samples × features), for scikit-learn-style analyses.
    pub fn to_f64(&self) -> Array2<f64> {
        self.data.mapv(|v| v as f64)
    }
    /// PCA of the vectors, labelled with the texts (see [`pca`]).
    pub fn pca(&self, n_components: usize) -> Result<Pca> {
        let mut p = pca(self.to_f64().view(), n_components)?;
        p.labels = self.labels.clone();
        Ok(p)
    }
    /// Cosine similarity as a labelled heatmap (rows and columns follow the texts).
    pub fn plot_similarity(&self, title: &str) -> crate::plot::Heatmap {
        crate::plot::Heatmap::new(self.cosine_similarity()).title(title).labels(self.labels.clone())
    }
}

fn short(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(n - 1).collect::<String>())
    }
}

impl Pca {
    /// Colour the points by group (one entry per row, e.g. a sentence's topic).
    pub fn groups(mut self, groups: Vec<String>) -> Result<Self> {
        if groups.len() != self.scores.nrows() {
            return Err(Error::shape("PCA groups", self.scores.nrows(), groups.len()));
        }
        self.groups = Some(groups);
        Ok(self)
    }

    /// Scatter plot of the first two components with each point labelled (matplotlib
    /// `scatter` + `annotate`, as in the workshop's PCA figure).
    pub fn plot(&self) -> Result<Figure> {
        if self.scores.ncols() < 2 {
            return Err(Error::shape("PCA components to plot", "at least 2", self.scores.ncols()));
        }
        let xs = self.scores.column(0);
        let ys = self.scores.column(1);
        let mm = |v: ArrayView1<f64>| {
            let (a, b) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
            let d = ((b - a) * 0.08).max(1e-9);
            (a - d, b + d)
        };
        let ((x0, x1), (y0, y1)) = (mm(xs), mm(ys));
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
        let group_names: Vec<String> = match &self.groups {
            Some(g) => {
                let mut u: Vec<String> = Vec::new();
                for s in g {
                    if !u.contains(s) {
                        u.push(s.clone());
                    }
                }
                u
            }
            None => Vec::new(),
        };
        let r = &self.explained_variance_ratio;
        let mut svg = String::new();
        {
            let root = SVGBackend::with_string(&mut svg, (760, 520)).into_drawing_area();
            let e = |e: String| Error::data(format!("PCA plot: drawing failed: {e}"));
            root.fill(&WHITE).map_err(|x| e(x.to_string()))?;
            let mut chart = ChartBuilder::on(&root)
                .caption("PCA of the embeddings", ("sans-serif", 18))
                .margin(12)
                .x_label_area_size(36)
                .y_label_area_size(56)
                .build_cartesian_2d(x0..x1, y0..y1)
                .map_err(|x| e(x.to_string()))?;
            chart
                .configure_mesh()
                .light_line_style(RGBColor(240, 240, 240))
                .x_desc(format!("PC1 ({:.1} % of variance)", 100.0 * r[0]))
                .y_desc(format!("PC2 ({:.1} % of variance)", 100.0 * r[1]))
                .label_style(("sans-serif", 12))
                .draw()
                .map_err(|x| e(x.to_string()))?;
            for (gi, name) in group_names.iter().enumerate() {
                let color = TAB10[gi % TAB10.len()];
                chart
                    .draw_series(std::iter::once(Circle::new((f64::NAN, f64::NAN), 0, color.filled())))
                    .map_err(|x| e(x.to_string()))?
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
                chart.draw_series(std::iter::once(point)).map_err(|x| e(x.to_string()))?;
            }
            if !group_names.is_empty() {
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(RGBColor(200, 200, 200))
                    .label_font(("sans-serif", 12))
                    .position(corners[corner].clone())
                    .draw()
                    .map_err(|x| e(x.to_string()))?;
            }
            root.present().map_err(|x| e(x.to_string()))?;
        }
        Ok(Figure::from_svg(svg))
    }
}

/// Cosine similarity of chosen pairs of texts at every layer: `(pairs, layers)`. `layers[l]`
/// holds one vector per text (as [`super::Embedder::embed_layers`] returns them).
pub fn cosine_by_layer(layers: &[Embeddings], pairs: &[(usize, usize)]) -> Result<Array2<f64>> {
    if layers.is_empty() {
        return Err(Error::data("cosine_by_layer: no layer given"));
    }
    let n = layers[0].data.nrows();
    for (l, e) in layers.iter().enumerate() {
        if e.data.nrows() != n {
            return Err(Error::shape(format!("cosine_by_layer: texts at layer {l}"), n, e.data.nrows()));
        }
    }
    if let Some(&(a, b)) = pairs.iter().find(|&&(a, b)| a >= n || b >= n) {
        return Err(Error::data(format!(
            "cosine_by_layer: pair ({a}, {b}) is out of range: there are {n} texts"
        )));
    }
    let mut out = Array2::zeros((pairs.len(), layers.len()));
    for (l, e) in layers.iter().enumerate() {
        let z = e.normalize().data;
        for (k, &(a, b)) in pairs.iter().enumerate() {
            out[(k, l)] = z.row(a).iter().zip(z.row(b)).map(|(x, y)| (*x as f64) * (*y as f64)).sum();
        }
    }
    Ok(out)
}

/// Ridge regression parameters (scikit-learn `Ridge(alpha, fit_intercept=True)`): minimises
/// ‖y − Xw − b‖² + alpha‖w‖², the intercept not penalised.
#[derive(Clone, Debug)]
pub struct Ridge {
    pub alpha: f64,
}

/// A fitted ridge model.
#[derive(Clone, Debug)]
pub struct RidgeFit {
    /// `coef_`.
    pub coef: Array1<f64>,
    /// `intercept_`.
    pub intercept: f64,
    /// `alpha_` (the penalty used).
    pub alpha: f64,
    /// For [`RidgeCv`]: mean squared leave-one-out error of each candidate alpha.
    pub loo_mse: Vec<f64>,
}

impl RidgeFit {
    /// Predictions for new rows.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        if x.ncols() != self.coef.len() {
            return Err(Error::shape("ridge predict: features", self.coef.len(), x.ncols()));
        }
        Ok(x.dot(&self.coef) + self.intercept)
    }
}

/// The centred problem diagonalised once, so every alpha costs only a few products.
struct RidgePath {
    xc: Array2<f64>,
    x_mean: Array1<f64>,
    yc: Array1<f64>,
    y_mean: f64,
    vals: Array1<f64>,
    /// eigenvectors of X Xᵀ (dual, n ≤ p) or of XᵀX (primal)
    vecs: Array2<f64>,
    dual: bool,
}

fn check_xy(what: &str, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<()> {
    if x.nrows() != y.len() {
        return Err(Error::shape(format!("{what}: y values (one per row of X)"), x.nrows(), y.len()));
    }
    if x.nrows() < 2 {
        return Err(Error::shape(format!("{what}: rows"), "at least 2", x.nrows()));
    }
    check_finite(&format!("{what}: X"), x)?;
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(Error::data(format!("{what}: y[{i}] is not finite (NaN or Inf)")));
    }
    Ok(())
}

impl RidgePath {
    fn new(x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<Self> {
        let (xc, x_mean) = center(x);
        let y_mean = y.mean().unwrap_or(0.0);
        let yc = y.mapv(|v| v - y_mean);
        let dual = x.nrows() <= x.ncols();
        let (vals, vecs) = if dual {
            eigh_desc(&xc.dot(&xc.t()), "ridge (X Xᵀ)")?
        } else {
            eigh_desc(&xc.t().dot(&xc), "ridge (XᵀX)")?
        };
        Ok(RidgePath { xc, x_mean, yc, y_mean, vals, vecs, dual })
    }

    fn coef(&self, alpha: f64) -> Array1<f64> {
        let shrink =
            |proj: Array1<f64>| Array1::from_iter(proj.iter().zip(&self.vals).map(|(p, l)| p / (l + alpha)));
        if self.dual {
            // w = Xcᵀ (Xc Xcᵀ + αI)⁻¹ yc
            let a = self.vecs.dot(&shrink(self.vecs.t().dot(&self.yc)));
            self.xc.t().dot(&a)
        } else {
            // w = (XcᵀXc + αI)⁻¹ Xcᵀ yc
            self.vecs.dot(&shrink(self.vecs.t().dot(&self.xc.t().dot(&self.yc))))
        }
    }

    fn fit(&self, alpha: f64) -> RidgeFit {
        let coef = self.coef(alpha);
        let intercept = self.y_mean - self.x_mean.dot(&coef);
        RidgeFit { coef, intercept, alpha, loo_mse: Vec::new() }
    }

    /// Mean squared leave-one-out error: e_i / (1 − H_ii) with the hat matrix of the centred
    /// problem plus 1/n for the unpenalised intercept (what scikit-learn's `_RidgeGCV` computes).
    fn loo_mse(&self, alpha: f64) -> f64 {
        let n = self.yc.len();
        // projections of the samples on the eigenvectors, scaled: Z[:, k] = (Xc v_k) (primal) or u_k (dual)
        let (z, w): (Array2<f64>, Array1<f64>) = if self.dual {
            (self.vecs.clone(), self.vals.mapv(|l| l / (l + alpha)))
        } else {
            (self.xc.dot(&self.vecs), self.vals.mapv(|l| 1.0 / (l + alpha)))
        };
        let fitted = z.dot(&(&z.t().dot(&self.yc) * &w));
        let mut sse = 0.0;
        for i in 0..n {
            let h = 1.0 / n as f64 + z.row(i).iter().zip(&w).map(|(a, b)| a * a * b).sum::<f64>();
            let e = (self.yc[i] - fitted[i]) / (1.0 - h).max(1e-12);
            sse += e * e;
        }
        sse / n as f64
    }
}

impl Ridge {
    /// `Ridge(alpha)`.
    pub fn new(alpha: f64) -> Self {
        Ridge { alpha }
    }
    /// Fit on rows `x` and targets `y`. Errors on a negative or non-finite alpha, NaN/Inf,
    /// mismatched lengths or fewer than 2 rows.
    pub fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<RidgeFit> {
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(Error::data(format!("Ridge: alpha must be finite and ≥ 0, got {}", self.alpha)));
        }
        check_xy("Ridge", x, y)?;
        Ok(RidgePath::new(x, y)?.fit(self.alpha))
    }
}

/// Ridge with alpha chosen by efficient leave-one-out (scikit-learn
/// `RidgeCV(alphas=(0.1, 1.0, 10.0))`, its defaults): the alpha with the lowest mean squared
/// leave-one-out error (the first on ties), then refitted on all rows.
#[derive(Clone, Debug)]
pub struct RidgeCv {
    pub alphas: Vec<f64>,
}

impl Default for RidgeCv {
    fn default() -> Self {
        RidgeCv { alphas: vec![0.1, 1.0, 10.0] }
    }
}

impl RidgeCv {
    /// `RidgeCV(alphas)`.
    pub fn new(alphas: Vec<f64>) -> Self {
        RidgeCv { alphas }
    }
    /// `np.logspace(lo, hi, n)` as the candidate alphas (encoding-model papers search a wide
    /// log-spaced grid).
    pub fn logspace(lo: f64, hi: f64, n: usize) -> Self {
        let step = if n > 1 { (hi - lo) / (n - 1) as f64 } else { 0.0 };
        RidgeCv { alphas: (0..n).map(|i| 10f64.powf(lo + step * i as f64)).collect() }
    }
    /// Fit, choosing alpha by leave-one-out.
    pub fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<RidgeFit> {
        if self.alphas.is_empty() || self.alphas.iter().any(|a| !(a.is_finite() && *a > 0.0)) {
            return Err(Error::data(format!(
                "RidgeCV: alphas must be a non-empty list of finite values > 0, got {:?}",
                self.alphas
            )));
        }
        check_xy("RidgeCV", x, y)?;
        let path = RidgePath::new(x, y)?;
        let loo: Vec<f64> = self.alphas.iter().map(|&a| path.loo_mse(a)).collect();
        let mut best = 0;
        for (i, m) in loo.iter().enumerate() {
            if *m < loo[best] {
                best = i;
            }
        }
        let mut fit = path.fit(self.alphas[best]);
        fit.loo_mse = loo;
        Ok(fit)
    }
}

/// Pearson correlation of two equally long series (0 when either is constant).
pub fn pearson_r(a: ArrayView1<f64>, b: ArrayView1<f64>) -> Result<f64> {
    if a.len() != b.len() || a.len() < 2 {
        return Err(Error::shape("pearson_r: second series length", a.len().max(2), b.len()));
    }
    let (ma, mb) = (a.mean().unwrap_or(0.0), b.mean().unwrap_or(0.0));
    let (mut sab, mut saa, mut sbb) = (0.0, 0.0, 0.0);
    for (x, y) in a.iter().zip(b) {
        sab += (x - ma) * (y - mb);
        saa += (x - ma) * (x - ma);
        sbb += (y - mb) * (y - mb);
    }
    Ok(if saa > 0.0 && sbb > 0.0 { sab / (saa * sbb).sqrt() } else { 0.0 })
}

/// Cross-validated encoding score of one feature set.
#[derive(Clone, Debug)]
pub struct EncodingScore {
    /// Pearson r between predicted and measured values on each held-out fold.
    pub fold_r: Vec<f64>,
    /// The alpha RidgeCV chose in each fold.
    pub fold_alpha: Vec<f64>,
}

impl EncodingScore {
    /// Mean r over folds.
    pub fn mean(&self) -> f64 {
        self.fold_r.iter().sum::<f64>() / self.fold_r.len().max(1) as f64
    }
    /// Standard error of the mean r over folds.
    pub fn sem(&self) -> f64 {
        let k = self.fold_r.len();
        if k < 2 {
            return 0.0;
        }
        let m = self.mean();
        let var = self.fold_r.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / (k - 1) as f64;
        (var / k as f64).sqrt()
    }
}

/// An encoding model: `RidgeCV(alphas)` fitted on the training folds of `cv` (scikit-learn
/// `KFold(k)` without shuffling, or any [`Cv`]), scored on each held-out fold with Pearson's r
/// between predicted and measured `y` — `cross_val_score(RidgeCV(alphas), X, y, cv=KFold(k),
/// scoring=make_scorer(pearsonr))`.
pub fn encoding_score(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    cv: &Cv,
    ridge: &RidgeCv,
) -> Result<EncodingScore> {
    check_xy("encoding_score", x, y)?;
    let splits = cv.split(&vec![false; y.len()])?;
    let per: Vec<Result<(f64, f64)>> = splits
        .par_iter()
        .map(|s| {
            let xt = x.select(Axis(0), &s.train);
            let yt = y.select(Axis(0), &s.train);
            let fit = ridge.fit(xt.view(), yt.view())?;
            let pred = fit.predict(x.select(Axis(0), &s.test).view())?;
            Ok((pearson_r(pred.view(), y.select(Axis(0), &s.test).view())?, fit.alpha))
        })
        .collect();
    let mut out = EncodingScore { fold_r: Vec::new(), fold_alpha: Vec::new() };
    for p in per {
        let (r, a) = p?;
        out.fold_r.push(r);
        out.fold_alpha.push(a);
    }
    Ok(out)
}

/// Encoding scores of every layer: which layer's vectors predict the response best.
#[derive(Clone, Debug)]
pub struct LayerScores {
    pub name: String,
    pub scores: Vec<EncodingScore>,
}

impl LayerScores {
    /// Mean r of each layer.
    pub fn mean(&self) -> Vec<f64> {
        self.scores.iter().map(|s| s.mean()).collect()
    }
    /// The layer with the highest mean r.
    pub fn best_layer(&self) -> usize {
        let m = self.mean();
        (0..m.len()).fold(0, |b, i| if m[i] > m[b] { i } else { b })
    }
    /// Mean r ± SEM over folds, layer by layer.
    pub fn plot(&self) -> LinePlot {
        let x: Vec<f64> = (0..self.scores.len()).map(|l| l as f64).collect();
        let m = self.mean();
        let lo: Vec<f64> = self.scores.iter().map(|s| s.mean() - s.sem()).collect();
        let hi: Vec<f64> = self.scores.iter().map(|s| s.mean() + s.sem()).collect();
        LinePlot::new(format!("encoding model: {}", self.name))
            .xlabel("layer (0 = embeddings)")
            .ylabel("held-out Pearson r")
            .line_band(self.name.clone(), &x, &m, &lo, &hi)
            .hline(0.0)
    }
}

/// [`encoding_score`] for every layer (`layers[l]` one row per sample), in parallel.
pub fn encoding_by_layer(
    name: &str,
    layers: &[Embeddings],
    y: &[f64],
    cv: &Cv,
    ridge: &RidgeCv,
) -> Result<LayerScores> {
    if layers.is_empty() {
        return Err(Error::data("encoding_by_layer: no layer given"));
    }
    let y = ndarray::ArrayView1::from(y);
    let scores: Result<Vec<EncodingScore>> =
        layers.par_iter().map(|e| encoding_score(e.to_f64().view(), y, cv, ridge)).collect();
    Ok(LayerScores { name: name.to_string(), scores: scores? })
}

/// Concatenate per-text layer features row-wise (e.g. per-word vectors of several sentences):
/// `parts[t][l]` is text t's vectors at layer l; the result has one [`Embeddings`] per layer.
pub fn stack_layers(parts: &[Vec<Embeddings>]) -> Result<Vec<Embeddings>> {
    let nl = parts.first().map(|p| p.len()).ok_or_else(|| Error::data("stack_layers: nothing to stack"))?;
    (0..nl)
        .map(|l| {
            let mut labels = Vec::new();
            let mut views = Vec::new();
            for (t, p) in parts.iter().enumerate() {
                let e = p
                    .get(l)
                    .ok_or_else(|| Error::shape(format!("stack_layers: layers of text {t}"), nl, p.len()))?;
                labels.extend(e.labels.iter().cloned());
                views.push(e.data.view());
            }
            let data = ndarray::concatenate(Axis(0), &views)
                .map_err(|e| Error::data(format!("stack_layers: layer {l}: {e}")))?;
            Ok(Embeddings { data, labels })
        })
        .collect()
}

/// A simulated "brain response" with a known answer: each row's response is a fixed random
/// weighting of the z-scored features of `layers[layer]`, scaled to unit variance, plus
/// Gaussian noise of standard deviation `noise`. An encoding analysis ([`encoding_by_layer`])
/// should find `layer` — the planted-effect check the workshop's simulated data use
/// everywhere. Same seed, same numbers on every machine.
pub fn planted_response(layers: &[Embeddings], layer: usize, noise: f64, seed: u64) -> Result<Vec<f64>> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let e = layers
        .get(layer)
        .ok_or_else(|| Error::shape("planted_response: layer", format!("< {}", layers.len()), layer))?;
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(Error::data(format!("planted_response: noise must be finite and ≥ 0, got {noise}")));
    }
    let x = e.to_f64();
    check_finite("planted_response: features", x.view())?;
    let (xc, _) = center(x.view());
    let sd = xc.map_axis(Axis(0), |c| (c.iter().map(|v| v * v).sum::<f64>() / c.len().max(1) as f64).sqrt());
    let z = Array2::from_shape_fn(xc.dim(), |(i, j)| if sd[j] > 0.0 { xc[(i, j)] / sd[j] } else { 0.0 });
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).map_err(|e| Error::data(e.to_string()))?;
    let w = Array1::from_iter((0..z.ncols()).map(|_| normal.sample(&mut rng)));
    let signal = z.dot(&w);
    let s_sd = (signal.iter().map(|v| v * v).sum::<f64>() / signal.len().max(1) as f64).sqrt().max(1e-12);
    Ok(signal.iter().map(|v| v / s_sd + noise * normal.sample(&mut rng)).collect())
}

impl super::Embedder {
    /// Per-word vectors at every layer for several texts: `out[layer]` has one row per
    /// whitespace word of all the texts in order (each word the mean of its tokens, see
    /// [`super::HiddenStates::word_embeddings`]), labelled with the word. The features of
    /// word-level encoding models (one row per word a participant read or heard).
    pub fn word_features<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Embeddings>> {
        if texts.is_empty() {
            return Err(Error::data("word_features: no text given"));
        }
        let parts: Result<Vec<Vec<Embeddings>>> = texts
            .iter()
            .map(|t| {
                let hs = self.hidden_states(t.as_ref())?;
                (0..hs.num_layers()).map(|l| hs.word_embeddings(l)).collect()
            })
            .collect();
        stack_layers(&parts?)
    }
}
