//! Principal component analysis, as scikit-learn's `sklearn.decomposition.PCA` with the full
//! SVD: [`pca`] is `PCA(n_components).fit(X)` and its `fit_transform(X)` scores, signs as
//! `svd_flip(u_based_decision=False)` in scikit-learn ≥ 1.5. Checked against scikit-learn 1.7
//! in `tests/llm_analysis.rs`. Its figure ([`Pca::plot`]) lives in `plot/llm.rs`.
//!
//! Computed from linfa-linalg's symmetric eigendecomposition (`Eigh`) of whichever Gram matrix
//! is smaller (X Xᵀ or XᵀX), not by a hand-written SVD; linfa-reduction's own PCA is not used
//! because it does not follow scikit-learn's sign convention. The same decomposition serves
//! the ridge path of [`crate::ml::linear`].

use linfa_linalg::eigh::Eigh;
use ndarray::{Array1, Array2, ArrayView2, Axis};

use crate::error::{Error, Result};
use crate::ml::stats::{center, check_finite};

/// Eigendecomposition of a symmetric matrix, eigenvalues in decreasing order and clipped at 0
/// (eigenvectors are the columns of the second array).
pub(crate) fn eigh_desc(a: &Array2<f64>, what: &str) -> Result<(Array1<f64>, Array2<f64>)> {
    let (vals, vecs) =
        a.eigh().map_err(|e| Error::data(format!("{what}: eigendecomposition failed: {e}")))?;
    let mut order: Vec<usize> = (0..vals.len()).collect();
    order.sort_by(|&i, &j| vals[j].total_cmp(&vals[i]));
    let vals = Array1::from_iter(order.iter().map(|&i| vals[i].max(0.0)));
    let vecs = vecs.select(Axis(1), &order);
    Ok((vals, vecs))
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
    /// One label per row (the row number, or the texts for `Embeddings::pca`), used by
    /// [`Pca::plot`].
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

impl Pca {
    /// Colour the points by group (one entry per row, e.g. a sentence's topic).
    pub fn groups(mut self, groups: Vec<String>) -> Result<Self> {
        if groups.len() != self.scores.nrows() {
            return Err(Error::shape("PCA groups", self.scores.nrows(), groups.len()));
        }
        self.groups = Some(groups);
        Ok(self)
    }
}
