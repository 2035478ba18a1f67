//! Linear classifiers for decoding, each behind an optional standard scaler — what
//! `make_pipeline(StandardScaler(), LogisticRegression())` is in scikit-learn, the pipeline
//! MNE's and nilearn's decoding tutorials build.
//!
//! The linear SVM is linfa's (`linfa-svm`). Logistic regression is linfa-logistic 0.8.1's
//! binary model solved the same way — argmin's L-BFGS (10 corrections) with a Moré–Thuente
//! line search, gradient tolerance 1e-4, zeros to start, the intercept not penalised — but
//! with the loss written here (`LogisticLoss`, following linfa-logistic's `logistic_loss`
//! and `logistic_grad`, src/lib.rs lines 471–510): linfa computes the margins `Xw` as a
//! one-column matrix product, which packs all of X on every call, and computes them again
//! for the gradient; here one pass gives the margins (kept for the gradient at the same
//! point) and one pass the gradient. Same optimiser, same answer (`tests/ml_logistic.rs`
//! compares with linfa-logistic itself), about 3× faster.
//! Shrinkage LDA is written here because linfa has no discriminant analysis; it follows
//! scikit-learn's `LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")` (Ledoit–Wolf
//! shrinkage of each class covariance, pooled by class priors). All three are linear, so a
//! fitted model is a weight vector and an intercept: predicting many time points (temporal
//! generalisation) is one matrix product.

use std::cell::RefCell;

use argmin::core::{CostFunction, Executor, Gradient, State};
use argmin::solver::linesearch::MoreThuenteLineSearch;
use argmin::solver::quasinewton::LBFGS;
use linfa::prelude::*;
use linfa_linalg::cholesky::SolveC;
use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use rayon::prelude::*;

use crate::error::{Error, Result};

#[derive(Clone, Copy, Debug, PartialEq)]
enum Kind {
    Logistic { c: f64 },
    LinearSvm { c: f64 },
    Lda,
}

/// A binary linear classifier with an optional standard scaler in front (on by default).
#[derive(Clone, Debug, PartialEq)]
pub struct Classifier {
    kind: Kind,
    standardize: bool,
    max_iter: u64,
}

impl Classifier {
    /// L2-regularised logistic regression, `C = 1` (scikit-learn's `LogisticRegression()`
    /// defaults: lbfgs, 100 iterations, tol 1e-4; linfa minimises the same objective with
    /// `alpha = 1/C`).
    pub fn logistic() -> Self {
        Classifier { kind: Kind::Logistic { c: 1.0 }, standardize: true, max_iter: 100 }
    }
    /// Linear support vector machine, `C = 1` (scikit-learn's `SVC(kernel="linear")`; nilearn's
    /// `Decoder` and `SearchLight` default to an SVC — linfa's SMO solver, hinge loss).
    pub fn linear_svm() -> Self {
        Classifier { kind: Kind::LinearSvm { c: 1.0 }, standardize: true, max_iter: 100 }
    }
    /// Linear discriminant analysis with automatic (Ledoit–Wolf) shrinkage: scikit-learn's
    /// `LinearDiscriminantAnalysis(solver="lsqr", shrinkage="auto")`. Closed form, so the
    /// cheapest to fit many times (per time point, per sphere).
    pub fn lda() -> Self {
        Classifier { kind: Kind::Lda, standardize: true, max_iter: 0 }
    }
    /// Inverse regularisation strength `C` (logistic regression, SVM).
    pub fn c(mut self, c: f64) -> Self {
        match &mut self.kind {
            Kind::Logistic { c: v } | Kind::LinearSvm { c: v } => *v = c,
            Kind::Lda => {}
        }
        self
    }
    /// Whether to standardise features with the training folds' mean and standard deviation
    /// (scikit-learn `StandardScaler`) before the classifier. On by default.
    pub fn standardize(mut self, on: bool) -> Self {
        self.standardize = on;
        self
    }
    /// Maximum optimiser iterations (logistic regression).
    pub fn max_iter(mut self, n: u64) -> Self {
        self.max_iter = n;
        self
    }
    /// Short name for tables and plot legends.
    pub fn name(&self) -> String {
        let base = match self.kind {
            Kind::Logistic { c } => format!("logistic regression (C={c})"),
            Kind::LinearSvm { c } => format!("linear SVM (C={c})"),
            Kind::Lda => "shrinkage LDA".to_string(),
        };
        if self.standardize {
            format!("scaler + {base}")
        } else {
            base
        }
    }

    fn check(&self) -> Result<()> {
        match self.kind {
            Kind::Logistic { c } | Kind::LinearSvm { c } if !(c.is_finite() && c > 0.0) => {
                Err(Error::data(format!("classifier: C must be positive, got {c}")))
            }
            _ => Ok(()),
        }
    }

    /// Fit on samples × features `x` with labels `y` (true = the class of interest).
    pub fn fit(&self, x: ArrayView2<f64>, y: &[bool]) -> Result<Fitted> {
        self.check()?;
        let (n, p) = x.dim();
        if y.len() != n {
            return Err(Error::shape(
                "classifier labels",
                format!("{n} (one per sample, rows of X)"),
                y.len(),
            ));
        }
        if p == 0 {
            return Err(Error::data("classifier: X has no features"));
        }
        let n_pos = y.iter().filter(|&&v| v).count();
        if n_pos == 0 || n_pos == n {
            return Err(Error::data(format!(
                "classifier: the training samples hold only one class ({n} samples, {n_pos} true)"
            )));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::data("classifier: X contains NaN or infinite values"));
        }
        let (mean, scale) =
            if self.standardize {
                let mean = x.mean_axis(Axis(0)).ok_or_else(|| Error::data("classifier: no samples"))?;
                let scale = x.std_axis(Axis(0), 0.0).mapv(|s| {
                    if s > 1e-12 * (1.0 + s.abs()) && s > 0.0 {
                        s
                    } else {
                        1.0
                    }
                });
                (mean, scale)
            } else {
                (Array1::zeros(p), Array1::ones(p))
            };
        let xs = (&x - &mean) / &scale;
        let (w, b) = match self.kind {
            Kind::Logistic { c } => fit_logistic(xs.view(), y, 1.0 / c, self.max_iter)?,
            Kind::LinearSvm { c } => {
                let ds = Dataset::new(xs, Array1::from(y.to_vec()));
                let m = linfa_svm::Svm::<f64, bool>::params()
                    .linear_kernel()
                    .pos_neg_weights(c, c)
                    .fit(&ds)
                    .map_err(|e| Error::data(format!("linear SVM: {e}")))?;
                // decision = Σ_j w_j x_j − ρ; with a linear kernel the weights are recovered
                // from unit vectors (linfa keeps the hyperplane private)
                let mut w = Array1::zeros(p);
                let mut e = Array1::zeros(p);
                for j in 0..p {
                    e[j] = 1.0;
                    w[j] = m.weighted_sum(&e);
                    e[j] = 0.0;
                }
                (w, -m.rho)
            }
            Kind::Lda => lda(xs.view(), y)?,
        };
        Ok(Fitted { mean, scale, w, b })
    }
}

/// Parameters with the cost and gradient there.
type Evaluated = (Array1<f64>, f64, Array1<f64>);

/// The L2-penalised binary logistic loss of linfa-logistic 0.8.1 with labels ±1 and the
/// parameters `[w, b]`: `−Σᵢ log σ(yᵢ (xᵢ·w + b)) + α/2 ‖w‖²`.
struct LogisticLoss<'a> {
    /// standard layout: row i is `x[i*nf..(i+1)*nf]`
    x: &'a [f64],
    nf: usize,
    /// labels as ±1
    y: Vec<f64>,
    alpha: f64,
    /// the last parameters the loss was evaluated at, with its cost and gradient (argmin
    /// asks for both at every point the line search tries)
    last: RefCell<Option<Evaluated>>,
}

/// Rows per block of [`LogisticLoss::eval`]: fixed, so the sums (and the fitted weights) are
/// the same on any number of threads; small enough that a block of rows is still in cache
/// when it is read the second time (32, 64 and 128 rows timed alike on the Muse decoding;
/// 128 keeps the number of parallel tasks small).
const LOSS_BLOCK: usize = 128;

/// One block of rows: margins `zᵢ = xᵢ·w + b`, then `−Σ log σ(yᵢzᵢ)`, `rᵢ = (σ(yᵢzᵢ) − 1) yᵢ`,
/// `Σ rᵢ` and `g += Σ rᵢ xᵢ` (four rows at a time), reading the rows once from memory.
fn loss_block(x: &[f64], y: &[f64], w: &[f64], b: f64, g: &mut [f64]) -> (f64, f64) {
    let nf = w.len();
    let mut r = [0.0f64; LOSS_BLOCK];
    let mut nll = 0.0;
    let mut gb = 0.0;
    for (i, (row, &yi)) in x.chunks_exact(nf).zip(y).enumerate() {
        // ndarray's dot (eight running sums, vectorised), as `X.dot(w)` computed it before
        let zi = ArrayView1::from(row).dot(&ArrayView1::from(w)) + b;
        nll -= log_logistic(yi * zi);
        r[i] = (1.0 / (1.0 + (-(yi * zi)).exp()) - 1.0) * yi;
        gb += r[i];
    }
    let mut rows = x.chunks_exact(nf).zip(r);
    while let Some((x0, r0)) = rows.next() {
        let Some((x1, r1)) = rows.next() else {
            g.iter_mut().zip(x0).for_each(|(g, a)| *g += r0 * a);
            break;
        };
        let Some((x2, r2)) = rows.next() else {
            g.iter_mut().zip(x0).zip(x1).for_each(|((g, a), b)| *g += r0 * a + r1 * b);
            break;
        };
        let Some((x3, r3)) = rows.next() else {
            g.iter_mut().zip(x0).zip(x1).zip(x2).for_each(|(((g, a), b), c)| *g += r0 * a + r1 * b + r2 * c);
            break;
        };
        for j in 0..nf {
            g[j] += r0 * x0[j] + r1 * x1[j] + r2 * x2[j] + r3 * x3[j];
        }
    }
    (nll, gb)
}

impl LogisticLoss<'_> {
    /// Cost and gradient at `p` in one pass over X, blocks of rows in parallel and summed in
    /// block order. (The first version made two passes, margins then gradient; on the Muse
    /// decoding, 900 × 720 per fold, reading X twice from memory was most of the time.)
    fn eval(&self, p: &Array1<f64>) -> (f64, Array1<f64>) {
        if let Some((lp, c, g)) = self.last.borrow().as_ref() {
            if lp == p {
                return (*c, g.clone());
            }
        }
        let nf = self.nf;
        let w: Vec<f64> = p.iter().take(nf).copied().collect();
        let b = p[nf];
        let parts: Vec<(f64, f64, Vec<f64>)> = self
            .x
            .par_chunks(LOSS_BLOCK * nf.max(1))
            .zip(self.y.par_chunks(LOSS_BLOCK))
            .map(|(xb, yb)| {
                let mut g = vec![0.0; nf];
                let (nll, gb) = loss_block(xb, yb, &w, b, &mut g);
                (nll, gb, g)
            })
            .collect();
        let mut grad = Array1::<f64>::zeros(nf + 1);
        let mut cost = 0.0;
        let mut gb = 0.0;
        for (nll, pb, part) in &parts {
            cost += nll;
            gb += pb;
            grad.iter_mut().zip(part).for_each(|(a, v)| *a += v);
        }
        cost += 0.5 * self.alpha * w.iter().map(|v| v * v).sum::<f64>();
        grad.iter_mut().zip(w.iter()).for_each(|(a, v)| *a += self.alpha * v);
        grad[nf] = gb;
        *self.last.borrow_mut() = Some((p.clone(), cost, grad.clone()));
        (cost, grad)
    }
}

/// linfa-logistic's `log_logistic` (after scikit-learn's `_logistic_sigmoid.pyx`).
fn log_logistic(v: f64) -> f64 {
    if v > 0.0 {
        -(1.0 + (-v).exp()).ln()
    } else {
        v - (1.0 + v.exp()).ln()
    }
}

impl CostFunction for LogisticLoss<'_> {
    type Param = Array1<f64>;
    type Output = f64;
    fn cost(&self, p: &Array1<f64>) -> std::result::Result<f64, argmin::core::Error> {
        Ok(self.eval(p).0)
    }
}

impl Gradient for LogisticLoss<'_> {
    type Param = Array1<f64>;
    type Gradient = Array1<f64>;
    fn gradient(&self, p: &Array1<f64>) -> std::result::Result<Array1<f64>, argmin::core::Error> {
        Ok(self.eval(p).1)
    }
}

/// Fit L2 logistic regression as linfa-logistic 0.8.1 does (see the module doc).
fn fit_logistic(x: ArrayView2<f64>, y: &[bool], alpha: f64, max_iter: u64) -> Result<(Array1<f64>, f64)> {
    let nf = x.ncols();
    let x = x.as_standard_layout();
    let problem = LogisticLoss {
        x: x.as_slice().ok_or_else(|| Error::data("logistic regression: internal: X is not contiguous"))?,
        nf,
        y: y.iter().map(|&v| if v { 1.0 } else { -1.0 }).collect(),
        alpha,
        last: RefCell::new(None),
    };
    let solver = LBFGS::new(MoreThuenteLineSearch::new(), 10)
        .with_tolerance_grad(1e-4)
        .map_err(|e| Error::data(format!("logistic regression: {e}")))?;
    let res = Executor::new(problem, solver)
        .configure(|state| state.param(Array1::zeros(nf + 1)).max_iters(max_iter))
        .run()
        .map_err(|e| Error::data(format!("logistic regression: {e}")))?;
    let p = res.state().get_best_param().cloned().unwrap_or_else(|| Array1::zeros(nf + 1));
    if p.iter().any(|v| !v.is_finite()) {
        return Err(Error::data("logistic regression: the solver diverged (non-finite weights)"));
    }
    Ok((p.slice(ndarray::s![..nf]).to_owned(), p[nf]))
}

/// scikit-learn `ledoit_wolf_shrinkage` of centred data (rows = samples).
fn ledoit_wolf_shrinkage(xc: ArrayView2<f64>) -> f64 {
    let (n, p) = xc.dim();
    let (nf, pf) = (n as f64, p as f64);
    let x2 = xc.mapv(|v| v * v);
    let emp_cov_trace = x2.sum_axis(Axis(0)) / nf;
    let mu = emp_cov_trace.sum() / pf;
    let xtx = xc.t().dot(&xc);
    let delta_ = xtx.iter().map(|v| v * v).sum::<f64>() / (nf * nf);
    let beta_ = x2.t().dot(&x2).sum();
    let beta = 1.0 / (pf * nf) * (beta_ / nf - delta_);
    let delta = (delta_ - 2.0 * mu * emp_cov_trace.sum() + pf * mu * mu) / pf;
    let beta = beta.min(delta);
    if beta == 0.0 {
        0.0
    } else {
        beta / delta
    }
}

/// Shrunk covariance of one class as scikit-learn's `_cov(X, shrinkage="auto")`: standardise
/// by the class's std, Ledoit–Wolf, scale back.
fn class_cov(xk: ArrayView2<f64>) -> Array2<f64> {
    let n = xk.nrows() as f64;
    let mean = xk.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(xk.ncols()));
    let xc = &xk - &mean;
    let sd = xc.mapv(|v| v * v).sum_axis(Axis(0)).mapv(|s| {
        let s = (s / n).sqrt();
        if s > 0.0 {
            s
        } else {
            1.0
        }
    });
    let z = &xc / &sd;
    let s = ledoit_wolf_shrinkage(z.view());
    let emp = z.t().dot(&z) / n;
    let mu = emp.diag().sum() / emp.nrows() as f64;
    let mut shrunk = emp * (1.0 - s);
    for i in 0..shrunk.nrows() {
        shrunk[[i, i]] += s * mu;
    }
    let sd_col = sd.view().insert_axis(Axis(1));
    let sd_row = sd.view().insert_axis(Axis(0));
    &shrunk * &sd_col * sd_row
}

fn lda(x: ArrayView2<f64>, y: &[bool]) -> Result<(Array1<f64>, f64)> {
    let p = x.ncols();
    let idx = |c: bool| -> Vec<usize> { (0..y.len()).filter(|&i| y[i] == c).collect() };
    let (i1, i0) = (idx(true), idx(false));
    let x1 = x.select(Axis(0), &i1);
    let x0 = x.select(Axis(0), &i0);
    let (m1, m0) = (
        x1.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p)),
        x0.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(p)),
    );
    let (pr1, pr0) = (i1.len() as f64 / y.len() as f64, i0.len() as f64 / y.len() as f64);
    let mut cov = class_cov(x1.view()) * pr1 + class_cov(x0.view()) * pr0;
    // a tiny ridge keeps Cholesky well defined for constant features
    let eps = 1e-10 * (cov.diag().sum() / p as f64).max(1e-300);
    for i in 0..p {
        cov[[i, i]] += eps;
    }
    let means = ndarray::stack(Axis(1), &[m0.view(), m1.view()])?;
    let coef = cov
        .solvec(&means)
        .map_err(|e| Error::data(format!("LDA: covariance is not positive definite ({e})")))?;
    let (c0, c1) = (coef.column(0), coef.column(1));
    let b0 = -0.5 * m0.dot(&c0) + pr0.ln();
    let b1 = -0.5 * m1.dot(&c1) + pr1.ln();
    Ok((&c1 - &c0, b1 - b0))
}

/// A fitted linear classifier: `decision = ((x − mean) / scale) · w + b`, positive → true.
#[derive(Clone, Debug)]
pub struct Fitted {
    mean: Array1<f64>,
    scale: Array1<f64>,
    w: Array1<f64>,
    b: f64,
}

impl Fitted {
    /// Weights in the standardised feature space (scikit-learn `coef_`).
    pub fn coef(&self) -> ArrayView1<'_, f64> {
        self.w.view()
    }
    /// Intercept (scikit-learn `intercept_`).
    pub fn intercept(&self) -> f64 {
        self.b
    }
    /// Weights and intercept for raw (unscaled) features: `x · w_raw + b_raw` is the decision.
    pub fn raw_weights(&self) -> (Array1<f64>, f64) {
        let w = &self.w / &self.scale;
        let b = self.b - self.mean.dot(&w);
        (w, b)
    }
    /// Decision values (scikit-learn `decision_function`): larger → more "true".
    pub fn decision_function(&self, x: ArrayView2<f64>) -> Result<Array1<f64>> {
        if x.ncols() != self.w.len() {
            return Err(Error::shape("decision_function: features", self.w.len(), x.ncols()));
        }
        let (w, b) = self.raw_weights();
        Ok(x.dot(&w) + b)
    }
    /// Predicted labels.
    pub fn predict(&self, x: ArrayView2<f64>) -> Result<Vec<bool>> {
        Ok(self.decision_function(x)?.iter().map(|&d| d > 0.0).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn blobs(n: usize, p: usize, shift: f64, seed: u64) -> (Array2<f64>, Vec<bool>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let y: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
        let x = Array2::from_shape_fn((n, p), |(i, j)| {
            rng.gen_range(-1.0..1.0) + if y[i] && j < 2 { shift } else { 0.0 } + 10.0 * j as f64
        });
        (x, y)
    }

    #[test]
    fn all_three_separate_blobs() {
        let (x, y) = blobs(80, 5, 1.5, 1);
        for clf in [Classifier::logistic(), Classifier::linear_svm(), Classifier::lda()] {
            let f = clf.fit(x.view(), &y).unwrap();
            let acc = crate::ml::metrics::accuracy(&y, &f.predict(x.view()).unwrap()).unwrap();
            assert!(acc > 0.9, "{}: training accuracy {acc}", clf.name());
            // the informative features get the largest weights
            let w = f.coef();
            assert!(w[0].abs() > w[3].abs() && w[1].abs() > w[4].abs(), "{}: {w}", clf.name());
            assert!(w[0] > 0.0, "{}: positive class on the positive side", clf.name());
        }
    }

    #[test]
    fn bad_input_is_an_error() {
        let (mut x, y) = blobs(20, 3, 1.0, 2);
        assert!(Classifier::logistic().fit(x.view(), &y[..10]).is_err());
        assert!(Classifier::lda().fit(x.view(), &[true; 20]).is_err());
        assert!(Classifier::logistic().c(0.0).fit(x.view(), &y).is_err());
        x[[3, 1]] = f64::NAN;
        assert!(Classifier::linear_svm().fit(x.view(), &y).is_err());
    }
}
