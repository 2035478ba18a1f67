//! Linear regression with an L2 penalty, as scikit-learn's `sklearn.linear_model`:
//! [`Ridge`] is `Ridge(alpha)` and [`RidgeCv`] is `RidgeCV(alphas)` with its efficient
//! leave-one-out choice of alpha (`gcv_mode=None`, mean squared error). Checked against
//! scikit-learn 1.7 in `tests/llm_analysis.rs`.
//!
//! Written here on top of linfa-linalg's symmetric eigendecomposition (through
//! [`crate::ml::decomposition`]) because linfa has no ridge with leave-one-out alpha
//! selection: the centred problem is diagonalised once, so every candidate alpha costs only a
//! few products (scikit-learn's `_RidgeGCV` does the same with an eigendecomposition of the
//! Gram matrix or an SVD).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use crate::error::{Error, Result};
use crate::ml::decomposition::eigh_desc;
use crate::ml::stats::{center, check_finite};

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
    /// Predictions for new rows (scikit-learn `predict`).
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

/// Rows of `x` and values of `y` agree, at least 2 rows, everything finite.
pub(crate) fn check_xy(what: &str, x: ArrayView2<f64>, y: ArrayView1<f64>) -> Result<()> {
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
