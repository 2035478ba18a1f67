//! Searchlight decoding (Kriegeskorte et al. 2006): for every voxel of a mask, decode the
//! labels from the voxels in a sphere around it with cross-validation, and map the accuracy.
//! Mirrors nilearn's `SearchLight(mask_img, radius=..., estimator=..., cv=...)`.
//!
//! Why it is fast here:
//! - neighbourhoods are computed once from the affine (sphere offsets in voxel space, checked
//!   in mm, looked up in a grid → column table): no distance search per centre;
//! - per fold, the statistics every sphere shares are computed once for all voxels
//!   (class means and variances for Gaussian naive Bayes; class means for the correlation
//!   classifier), so a sphere only adds up precomputed per-voxel terms;
//! - centres run in parallel (rayon), with a progress line in the cell.
//!
//! The cheap per-sphere classifiers ([`SlEstimator::GaussianNb`], [`SlEstimator::Correlation`])
//! are written here; [`SlEstimator::Classifier`] fits any [`crate::ml::Classifier`] (shrinkage
//! LDA, linear SVM via linfa) in each sphere, the way nilearn does — slower, for comparison.

use std::time::Instant;

use ndarray::{Array2, ArrayView2, Axis};
use rayon::prelude::*;

use crate::display::Progress;
use crate::error::{Error, Result};
use crate::fmri::io::Img;
use crate::fmri::io::Mask;
use crate::ml::{Classifier, Cv, Split};

/// The classifier fitted in each sphere.
#[derive(Clone, Debug)]
pub enum SlEstimator {
    /// Gaussian naive Bayes (scikit-learn `GaussianNB()`: per-class mean and variance per
    /// voxel, class priors from the training labels, `var_smoothing = 1e-9` × the largest
    /// variance; here the largest over the whole mask rather than over the sphere).
    GaussianNb,
    /// Correlation classifier (Haxby 2001): a test pattern goes to the class whose mean
    /// training pattern it correlates with more (Pearson, over the sphere's voxels).
    Correlation,
    /// Linear SVM as scikit-learn's `LinearSVC(C=c)` — nilearn `SearchLight`'s default
    /// estimator: liblinear's dual coordinate descent for the squared hinge loss, intercept as
    /// a regularised constant feature (`intercept_scaling=1`), tolerance 1e-4, up to 1000
    /// passes, with liblinear's shrinking. Differs: samples visited in a fixed pseudo-random
    /// order (liblinear: rand()), and each fold warm-starts from the previous fold's dual
    /// solution (same optimum, fewer passes).
    LinearSvc { c: f64 },
    /// Any linear classifier of [`crate::ml`] (e.g. `Classifier::lda()`,
    /// `Classifier::linear_svm()`), fitted per sphere and fold as nilearn does.
    Classifier(Classifier),
}

/// A searchlight: sphere radius in mm and the estimator (nilearn `SearchLight(radius=...,
/// estimator=...)`; nilearn's default estimator is a linear SVM, ours Gaussian naive Bayes
/// because it is exact and closed-form per sphere).
#[derive(Clone, Debug)]
pub struct SearchLight {
    pub radius_mm: f64,
    pub estimator: SlEstimator,
    pub verbose: bool,
}

/// Accuracy per searchlight centre (one per mask voxel, in mask order).
#[derive(Clone, Debug)]
pub struct SearchLightResult {
    pub scores: Vec<f64>,
    pub n_neighbours: Vec<usize>,
    pub mask: Mask,
    pub seconds: f64,
}

impl SearchLightResult {
    /// The accuracy map as an image (nilearn `searchlight.scores_img_`).
    pub fn to_img(&self) -> Result<Img> {
        self.mask.unmask(&self.scores)
    }
    /// Mean accuracy over centres.
    pub fn mean(&self) -> f64 {
        self.scores.iter().sum::<f64>() / self.scores.len().max(1) as f64
    }
    /// Best accuracy.
    pub fn max(&self) -> f64 {
        self.scores.iter().cloned().fold(f64::NEG_INFINITY, f64::max)
    }
    /// Mean accuracy over the centres inside another mask on the same grid (a region).
    pub fn mean_in(&self, region: &Mask) -> Result<f64> {
        let r = self.mask.intersect(region)?;
        let vox = self.mask.voxels();
        let (mut s, mut n) = (0.0, 0usize);
        for (c, v) in vox.iter().enumerate() {
            if r.contains(*v) {
                s += self.scores[c];
                n += 1;
            }
        }
        if n == 0 {
            return Err(Error::data("mean_in: the region has no voxel in the searchlight mask"));
        }
        Ok(s / n as f64)
    }
}

/// For every mask voxel, the mask columns within `radius_mm` (world distance through the
/// affine, centre included; nilearn's ball of radius `radius` around each voxel's mm position).
pub fn neighbourhoods(mask: &Mask, radius_mm: f64) -> Result<Vec<Vec<u32>>> {
    if !(radius_mm.is_finite() && radius_mm >= 0.0) {
        return Err(Error::data(format!("searchlight radius must be ≥ 0 mm, got {radius_mm}")));
    }
    let a = mask.affine();
    let sh = mask.shape();
    let vox = mask.voxels();
    if vox.len() > u32::MAX as usize {
        return Err(Error::data("mask too large"));
    }
    let mut lookup = ndarray::Array3::<i64>::from_elem((sh[0], sh[1], sh[2]), -1);
    for (c, v) in vox.iter().enumerate() {
        lookup[[v[0], v[1], v[2]]] = c as i64;
    }
    // offsets (di, dj, dk) whose mm length through the affine's linear part is ≤ radius
    let colnorm = |k: usize| (a[0][k].powi(2) + a[1][k].powi(2) + a[2][k].powi(2)).sqrt().max(1e-9);
    // bounding box: the smallest column norm bounds how far an index can move (axis-aligned
    // or oblique affines both stay within radius / (smallest singular value); use a safe box)
    let min_norm = (0..3).map(colnorm).fold(f64::INFINITY, f64::min);
    let reach = (radius_mm / min_norm).ceil() as i64 + 1;
    let mut offsets = Vec::new();
    for di in -reach..=reach {
        for dj in -reach..=reach {
            for dk in -reach..=reach {
                let d = [di as f64, dj as f64, dk as f64];
                let mm2: f64 =
                    (0..3).map(|r| (a[r][0] * d[0] + a[r][1] * d[1] + a[r][2] * d[2]).powi(2)).sum();
                if mm2 <= radius_mm * radius_mm * (1.0 + 1e-9) {
                    offsets.push([di, dj, dk]);
                }
            }
        }
    }
    Ok(vox
        .par_iter()
        .map(|v| {
            let mut nb = Vec::with_capacity(offsets.len());
            for o in &offsets {
                let (i, j, k) = (v[0] as i64 + o[0], v[1] as i64 + o[1], v[2] as i64 + o[2]);
                if i < 0 || j < 0 || k < 0 || i >= sh[0] as i64 || j >= sh[1] as i64 || k >= sh[2] as i64 {
                    continue;
                }
                let c = lookup[[i as usize, j as usize, k as usize]];
                if c >= 0 {
                    nb.push(c as u32);
                }
            }
            nb.sort_unstable();
            nb
        })
        .collect())
}

/// What each fold precomputes once for all spheres.
enum FoldStats {
    /// per test sample × voxel: log p(x | true) − log p(x | false); and log prior ratio
    Gnb {
        llr: Array2<f64>,
        log_prior: f64,
    },
    /// class means per voxel (false, true)
    Corr {
        m0: Vec<f64>,
        m1: Vec<f64>,
    },
    None,
}

impl SearchLight {
    /// A searchlight of this radius with Gaussian naive Bayes; progress printed.
    pub fn new(radius_mm: f64) -> Self {
        SearchLight { radius_mm, estimator: SlEstimator::GaussianNb, verbose: true }
    }
    /// Choose the per-sphere estimator.
    pub fn estimator(mut self, e: SlEstimator) -> Self {
        self.estimator = e;
        self
    }
    /// Print progress lines (default on).
    pub fn verbose(mut self, on: bool) -> Self {
        self.verbose = on;
        self
    }

    /// Run the searchlight on `x` (samples × mask voxels, columns in `mask` order, e.g. from
    /// `mask.apply(&img)` then [`crate::fmri::clean`] and a row selection) with labels `y` and
    /// cross-validation `cv` (e.g. `Cv::leave_one_group_out(runs)`). The score of a centre is
    /// the accuracy averaged over folds, as nilearn's `cross_val_score(...).mean()`.
    pub fn fit(&self, mask: &Mask, x: ArrayView2<f64>, y: &[bool], cv: &Cv) -> Result<SearchLightResult> {
        let start = Instant::now();
        let (n, p) = x.dim();
        if p != mask.n_voxels() {
            return Err(Error::shape(
                "searchlight data",
                format!("{} columns (one per mask voxel)", mask.n_voxels()),
                p,
            ));
        }
        if y.len() != n {
            return Err(Error::shape("searchlight labels", format!("{n} (one per sample)"), y.len()));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::data("searchlight: data contain NaN or infinite values"));
        }
        let splits = cv.split(n, Some(y))?;
        for (f, s) in splits.iter().enumerate() {
            let pos = s.train.iter().filter(|&&i| y[i]).count();
            if pos == 0 || pos == s.train.len() || s.test.is_empty() {
                return Err(Error::data(format!(
                    "searchlight: fold {f} has one class only in training or no test sample"
                )));
            }
        }
        let nbs = neighbourhoods(mask, self.radius_mm)?;
        let stats: Vec<FoldStats> = splits.iter().map(|s| self.fold_stats(x, y, s)).collect();
        let prog = Progress::new(format!("searchlight ({} centres, {} folds)", p, splits.len()), p);
        let prog = if self.verbose { prog } else { prog.quiet() };
        let scores: Result<Vec<f64>> = nbs
            .par_iter()
            .map(|nb| {
                let mut acc = 0.0;
                if let SlEstimator::LinearSvc { c } = self.estimator {
                    acc = svc_sphere(x, y, &splits, nb, c);
                } else if let SlEstimator::Classifier(clf) = &self.estimator {
                    acc = classifier_sphere(x, y, &splits, nb, clf)?;
                } else {
                    for (s, st) in splits.iter().zip(&stats) {
                        acc += self.sphere_fold(x, y, s, st, nb)?;
                    }
                }
                prog.inc(1);
                Ok(acc / splits.len() as f64)
            })
            .collect();
        let scores = scores?;
        prog.finish();
        Ok(SearchLightResult {
            scores,
            n_neighbours: nbs.iter().map(|v| v.len()).collect(),
            mask: mask.clone(),
            seconds: start.elapsed().as_secs_f64(),
        })
    }

    fn fold_stats(&self, x: ArrayView2<f64>, y: &[bool], s: &Split) -> FoldStats {
        let p = x.ncols();
        let class_mean_var = |cls: bool| {
            let idx: Vec<usize> = s.train.iter().copied().filter(|&i| y[i] == cls).collect();
            let xc = x.select(Axis(0), &idx);
            let m = xc.mean_axis(Axis(0)).unwrap_or_else(|| ndarray::Array1::zeros(p));
            let v = xc.var_axis(Axis(0), 0.0);
            (m, v, idx.len())
        };
        match &self.estimator {
            SlEstimator::GaussianNb => {
                let (m0, v0, n0) = class_mean_var(false);
                let (m1, v1, n1) = class_mean_var(true);
                let xtr = x.select(Axis(0), &s.train);
                let eps = 1e-9 * xtr.var_axis(Axis(0), 0.0).iter().cloned().fold(0.0, f64::max);
                let mut llr = Array2::<f64>::zeros((s.test.len(), p));
                for (r, &t) in s.test.iter().enumerate() {
                    for c in 0..p {
                        let (a0, a1) = (v0[c] + eps, v1[c] + eps);
                        let xv = x[[t, c]];
                        let l0 =
                            -0.5 * (2.0 * std::f64::consts::PI * a0).ln() - (xv - m0[c]).powi(2) / (2.0 * a0);
                        let l1 =
                            -0.5 * (2.0 * std::f64::consts::PI * a1).ln() - (xv - m1[c]).powi(2) / (2.0 * a1);
                        llr[[r, c]] = l1 - l0;
                    }
                }
                FoldStats::Gnb { llr, log_prior: (n1 as f64 / n0 as f64).ln() }
            }
            SlEstimator::Correlation => {
                let (m0, _, _) = class_mean_var(false);
                let (m1, _, _) = class_mean_var(true);
                FoldStats::Corr { m0: m0.to_vec(), m1: m1.to_vec() }
            }
            SlEstimator::Classifier(_) | SlEstimator::LinearSvc { .. } => FoldStats::None,
        }
    }

    fn sphere_fold(
        &self,
        x: ArrayView2<f64>,
        y: &[bool],
        s: &Split,
        st: &FoldStats,
        nb: &[u32],
    ) -> Result<f64> {
        let mut correct = 0usize;
        match st {
            FoldStats::Gnb { llr, log_prior } => {
                for (r, &t) in s.test.iter().enumerate() {
                    let row = llr.row(r);
                    let d: f64 = nb.iter().map(|&c| row[c as usize]).sum::<f64>() + log_prior;
                    correct += ((d > 0.0) == y[t]) as usize;
                }
            }
            FoldStats::Corr { m0, m1 } => {
                let k = nb.len() as f64;
                let stat = |m: &[f64]| {
                    let s1: f64 = nb.iter().map(|&c| m[c as usize]).sum();
                    let s2: f64 = nb.iter().map(|&c| m[c as usize].powi(2)).sum();
                    (s1, s2 - s1 * s1 / k)
                };
                let (s0, q0) = stat(m0);
                let (s1, q1) = stat(m1);
                for &t in &s.test {
                    let (mut sx, mut sxx, mut sx0, mut sx1) = (0.0, 0.0, 0.0, 0.0);
                    for &c in nb {
                        let v = x[[t, c as usize]];
                        sx += v;
                        sxx += v * v;
                        sx0 += v * m0[c as usize];
                        sx1 += v * m1[c as usize];
                    }
                    let qx = sxx - sx * sx / k;
                    let r0 = (sx0 - sx * s0 / k) / (qx * q0).sqrt().max(1e-300);
                    let r1 = (sx1 - sx * s1 / k) / (qx * q1).sqrt().max(1e-300);
                    correct += ((r1 > r0) == y[t]) as usize;
                }
            }
            FoldStats::None => return Err(Error::data("searchlight: internal estimator mismatch")),
        }
        Ok(correct as f64 / s.test.len() as f64)
    }
}

/// Sum over folds of the accuracy of any [`crate::ml::Classifier`] in one sphere: nilearn's
/// `cross_val_score(estimator, X[:, sphere], y, cv=cv)`, run by the crate's one
/// cross-validation engine on the folds made once for all spheres.
fn classifier_sphere(
    x: ArrayView2<f64>,
    y: &[bool],
    splits: &[Split],
    nb: &[u32],
    clf: &Classifier,
) -> Result<f64> {
    let cols: Vec<usize> = nb.iter().map(|&c| c as usize).collect();
    let xs = x.select(Axis(1), &cols);
    let per_fold = crate::ml::cross_validate_splits(splits, |s| {
        crate::ml::decoding::fold_score(xs.view(), y, s, clf, crate::ml::Scoring::Accuracy)
    })?;
    Ok(per_fold.iter().fold(0.0, |a, b| a + b))
}

/// Sum over folds of the LinearSvc accuracy in one sphere. The folds of a sphere share most
/// training samples, so each fold starts from the previous fold's dual variables (samples new
/// to the training set start at 0): the same optimum, reached in fewer passes.
fn svc_sphere(x: ArrayView2<f64>, y: &[bool], splits: &[Split], nb: &[u32], c: f64) -> f64 {
    let k = nb.len();
    let mut alpha_all = vec![0.0; y.len()];
    let mut acc = 0.0;
    for s in splits {
        let mut xt = Vec::with_capacity(s.train.len() * (k + 1));
        for &i in &s.train {
            xt.extend(nb.iter().map(|&col| x[[i, col as usize]]));
            xt.push(1.0); // intercept as a constant feature (intercept_scaling = 1)
        }
        let yt: Vec<f64> = s.train.iter().map(|&i| if y[i] { 1.0 } else { -1.0 }).collect();
        let a0: Vec<f64> = s.train.iter().map(|&i| alpha_all[i]).collect();
        let (w, a) = linear_svc_dual_cd(&xt, &yt, k + 1, c, a0);
        for (j, &i) in s.train.iter().enumerate() {
            alpha_all[i] = a[j];
        }
        let correct = s
            .test
            .iter()
            .filter(|&&t| {
                let d: f64 =
                    nb.iter().enumerate().map(|(j, &col)| w[j] * x[[t, col as usize]]).sum::<f64>() + w[k];
                (d > 0.0) == y[t]
            })
            .count();
        acc += correct as f64 / s.test.len() as f64;
    }
    acc
}

/// liblinear's dual coordinate descent for L2-regularised squared-hinge SVC (solver 1 of
/// liblinear, what `LinearSVC(loss="squared_hinge", dual=True)` runs). `x` is row-major
/// `n × p`, `y` ±1. Returns the weights and the dual variables.
///
/// Ported from `solve_l2r_l1l2_svc` in liblinear's `linear.cpp` (v2.41, lines 899–1071;
/// Hsieh et al. 2008, algorithm 3), the L2-loss case (`D_ii = 0.5 / C`, no upper bound, so
/// only variables at 0 are shrunk), with that version's stopping rule `PGmax − PGmin ≤ eps`
/// (also the copy scikit-learn vendors in `sklearn/svm/src/liblinear/linear.cpp`; liblinear
/// ≥ 2.42 additionally asks |PGmax|, |PGmin| ≤ eps). Differs: the visiting order is shuffled
/// with a xorshift generator instead of `rand()`, and `alpha0` warm-starts the solver.
fn linear_svc_dual_cd(x: &[f64], y: &[f64], p: usize, c: f64, alpha0: Vec<f64>) -> (Vec<f64>, Vec<f64>) {
    let n = y.len();
    let d_ii = 0.5 / c;
    let mut alpha = alpha0;
    // warm start: w = Σ αᵢ yᵢ xᵢ
    let mut w = vec![0.0; p];
    for i in 0..n {
        if alpha[i] != 0.0 {
            for (wj, xj) in w.iter_mut().zip(&x[i * p..(i + 1) * p]) {
                *wj += alpha[i] * y[i] * xj;
            }
        }
    }
    let qd: Vec<f64> =
        (0..n).map(|i| x[i * p..(i + 1) * p].iter().map(|v| v * v).sum::<f64>() + d_ii).collect();
    let mut index: Vec<usize> = (0..n).collect();
    let mut seed = 0x2545F4914F6CDD1Du64;
    // liblinear's shrinking: variables stuck at 0 with a large gradient leave the active set
    let mut active = n;
    let mut pg_max_old = f64::INFINITY;
    let mut iter = 0;
    while iter < 1000 {
        let (mut pg_max, mut pg_min) = (f64::NEG_INFINITY, f64::INFINITY);
        for i in (1..active).rev() {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            index.swap(i, (seed % (i as u64 + 1)) as usize);
        }
        let mut s = 0;
        while s < active {
            let i = index[s];
            let xi = &x[i * p..(i + 1) * p];
            let g = y[i] * xi.iter().zip(&w).map(|(a, b)| a * b).sum::<f64>() - 1.0 + d_ii * alpha[i];
            let mut pg = 0.0;
            if alpha[i] == 0.0 {
                if g > pg_max_old {
                    active -= 1;
                    index.swap(s, active);
                    continue;
                } else if g < 0.0 {
                    pg = g;
                }
            } else {
                pg = g;
            }
            pg_max = pg_max.max(pg);
            pg_min = pg_min.min(pg);
            if pg.abs() > 1e-12 {
                let old = alpha[i];
                alpha[i] = (old - g / qd[i]).max(0.0);
                let step = (alpha[i] - old) * y[i];
                for (wj, xj) in w.iter_mut().zip(xi) {
                    *wj += step * xj;
                }
            }
            s += 1;
        }
        iter += 1;
        if pg_max - pg_min <= 1e-4 {
            if active == n {
                break;
            }
            active = n;
            pg_max_old = f64::INFINITY;
            continue;
        }
        pg_max_old = if pg_max <= 0.0 { f64::INFINITY } else { pg_max };
    }
    (w, alpha)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmri::io::affine_ras;
    use ndarray::Array3;

    #[test]
    fn sphere_sizes_follow_the_affine() {
        let like =
            Img::new(Array3::<f32>::zeros((9, 9, 9)), affine_ras([2.0, 2.0, 4.0], [0.0; 3]), None).unwrap();
        let m = Mask::from_array(Array3::from_elem((9, 9, 9), true), &like).unwrap();
        let nb = neighbourhoods(&m, 4.0).unwrap();
        let centre = m.voxels().iter().position(|v| *v == [4, 4, 4]).unwrap();
        // radius 4 mm on 2×2×4 mm voxels: 13 in-plane (|d|≤2 voxels) + 2 above/below
        assert_eq!(nb[centre].len(), 15);
        assert_eq!(neighbourhoods(&m, 0.0).unwrap()[centre].len(), 1);
        assert!(neighbourhoods(&m, -1.0).is_err());
    }

    #[test]
    fn dual_cd_svm_separates_and_agrees_with_the_margin() {
        // two separable points per class along feature 0, bias column last
        let x = [2.0, 0.3, 1.0, 1.5, -0.2, 1.0, -2.0, 0.1, 1.0, -1.5, -0.3, 1.0];
        let y = [1.0, 1.0, -1.0, -1.0];
        let (w, _) = linear_svc_dual_cd(&x, &y, 3, 1.0, vec![0.0; 4]);
        for i in 0..4 {
            let d: f64 = (0..3).map(|j| w[j] * x[i * 3 + j]).sum();
            assert!(d * y[i] > 0.5, "sample {i}: {d}");
        }
        assert!(w[0] > 0.0 && w[0].abs() > 5.0 * w[1].abs());
    }
}
