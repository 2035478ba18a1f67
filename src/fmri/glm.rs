//! The general linear model of a first-level fMRI analysis, as nilearn's
//! `nilearn.glm.first_level`: the SPM haemodynamic response ([`spm_hrf`], nilearn `spm_hrf`),
//! event regressors ([`regressor`], `compute_regressor(..., "spm")`), cosine drifts
//! ([`cosine_drift`]), the design matrix ([`make_first_level_design_matrix`], its picture in
//! [`crate::plot::fmri`]), ordinary least squares for one time series ([`fit_ols`]) and for
//! every voxel ([`fit_first_level`], `FirstLevelModel(noise_model="ols")`), and t contrasts
//! ([`FirstLevel::t_values`], `compute_contrast(..., stat_type="t")`).
//!
//! The gamma densities come from statrs and the least-squares solve from linfa-linalg
//! (Cholesky of XᵀX).

use linfa_linalg::cholesky::{Cholesky, InverseC};
use ndarray::{s, Array2};
use statrs::distribution::{Continuous, Gamma};

use crate::error::{Error, Result};

/// Gamma density with shape `k`, scale 1, shifted by `loc` (scipy `gamma.pdf(t, k, loc)`):
/// statrs's log-density (`(k − 1) ln x − x − ln Γ(k)`), exponentiated; 0 at and before `loc`.
fn gamma_pdf(g: &Gamma, t: f64, loc: f64) -> f64 {
    let x = t - loc;
    if x <= 0.0 {
        return 0.0;
    }
    g.ln_pdf(x).exp()
}

/// SPM's canonical HRF sampled every `tr / oversampling` seconds over 32 s, summing to 1
/// (nilearn `spm_hrf(t_r, oversampling=50, time_length=32., onset=0.)`: peak Γ(6) minus
/// Γ(16)/6).
pub fn spm_hrf(tr: f64, oversampling: usize) -> Result<Vec<f64>> {
    if !(tr.is_finite() && tr > 0.0) || oversampling == 0 {
        return Err(Error::data(format!(
            "spm_hrf: TR must be positive and oversampling ≥ 1, got {tr} and {oversampling}"
        )));
    }
    let dt = tr / oversampling as f64;
    let n = (32.0 / dt).round() as usize;
    // numpy.linspace(0, 32, n)
    let ts: Vec<f64> = (0..n).map(|i| if n > 1 { 32.0 * i as f64 / (n - 1) as f64 } else { 0.0 }).collect();
    let gamma = |k: f64| Gamma::new(k, 1.0).map_err(|e| Error::data(format!("spm_hrf: {e}")));
    let (peak, undershoot) = (gamma(6.0)?, gamma(16.0)?);
    let mut h: Vec<f64> =
        ts.iter().map(|&t| gamma_pdf(&peak, t, dt) - 0.167 * gamma_pdf(&undershoot, t, dt)).collect();
    let s: f64 = h.iter().sum();
    for v in &mut h {
        *v /= s;
    }
    Ok(h)
}

/// One condition's events: onsets and durations in seconds (amplitude 1).
#[derive(Clone, Debug, Default)]
pub struct Condition {
    pub onsets: Vec<f64>,
    pub durations: Vec<f64>,
}

/// A regressor at `n_scans` frames `tr` apart: boxcars of the events convolved with the SPM
/// HRF on a grid `oversampling` times finer, sampled at the frame times
/// (nilearn `compute_regressor(exp_condition, "spm", frame_times, oversampling=50)`).
pub fn regressor(cond: &Condition, tr: f64, n_scans: usize, oversampling: usize) -> Result<Vec<f64>> {
    if cond.onsets.len() != cond.durations.len() {
        return Err(Error::shape(
            "events",
            format!("{} durations (one per onset)", cond.onsets.len()),
            cond.durations.len(),
        ));
    }
    let hrf = spm_hrf(tr, oversampling)?;
    let dt = tr / oversampling as f64;
    let n_hi = n_scans * oversampling + hrf.len();
    let mut boxcar = vec![0.0; n_hi];
    let run_len = n_scans as f64 * tr;
    for (&on, &du) in cond.onsets.iter().zip(&cond.durations) {
        if !(on.is_finite() && du.is_finite()) || du < 0.0 || on < 0.0 || on >= run_len {
            return Err(Error::data(format!(
                "event at {on} s lasting {du} s does not fit in a run of {run_len} s"
            )));
        }
        let a = (on / dt).round() as usize;
        let b = (((on + du) / dt).round() as usize).max(a + 1).min(n_hi);
        for v in &mut boxcar[a..b] {
            *v += 1.0;
        }
    }
    // causal convolution, sampled at the frames
    Ok((0..n_scans)
        .map(|f| {
            let i = f * oversampling;
            (0..hrf.len().min(i + 1)).map(|k| hrf[k] * boxcar[i - k]).sum()
        })
        .collect())
}

/// Ordinary least squares of `y` on the columns of `x` (frames × regressors), with what a
/// t-contrast needs. Solved through the normal equations: (XᵀX)⁻¹ from linfa-linalg's
/// Cholesky factorisation, exact enough for the few, well-conditioned regressors of a
/// first-level design.
#[derive(Clone, Debug)]
pub struct OlsFit {
    pub beta: Vec<f64>,
    /// residual variance (dof = frames − regressors)
    pub sigma2: f64,
    /// (XᵀX)⁻¹
    pub xtx_inv: Vec<Vec<f64>>,
}

impl OlsFit {
    /// t statistic of the contrast `c` (nilearn `compute_contrast(..., stat_type="t")`).
    pub fn t(&self, c: &[f64]) -> Result<f64> {
        let p = self.beta.len();
        if c.len() != p || self.xtx_inv.len() != p || self.xtx_inv.iter().any(|r| r.len() != p) {
            return Err(Error::shape("contrast", format!("{p} weights (one per regressor)"), c.len()));
        }
        let effect: f64 = c.iter().zip(&self.beta).map(|(a, b)| a * b).sum();
        Ok(effect / (self.sigma2 * quadratic_form(c, &self.xtx_inv)).sqrt())
    }
}

/// cᵀ M c
fn quadratic_form(c: &[f64], m: &[Vec<f64>]) -> f64 {
    let mut var = 0.0;
    for i in 0..c.len() {
        for j in 0..c.len() {
            var += c[i] * m[i][j] * c[j];
        }
    }
    var
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>()
}

/// (XᵀX)⁻¹ of a design given column by column (`n` frames each, more frames than columns,
/// all finite). A regressor whose part outside the span of the ones before it is tiny (the
/// Cholesky pivot below 1e-12 of its squared norm) makes the design rank deficient: an error
/// naming it.
fn xtx_inverse(columns: &[Vec<f64>]) -> Result<Array2<f64>> {
    let p = columns.len();
    let xtx = Array2::from_shape_fn((p, p), |(i, j)| dot(&columns[i], &columns[j]));
    let deficient = |j: usize| {
        Error::data(format!("design matrix is rank deficient (regressor {j} is a combination of the others)"))
    };
    let l = xtx.cholesky().map_err(|_| {
        // the first regressor whose pivot is not positive
        deficient((1..=p).find(|&k| xtx.slice(s![..k, ..k]).cholesky().is_err()).map_or(0, |k| k - 1))
    })?;
    if let Some(j) = (0..p).find(|&j| l[[j, j]] * l[[j, j]] <= 1e-12 * xtx[[j, j]]) {
        return Err(deficient(j));
    }
    xtx.invc().map_err(|_| deficient(p - 1))
}

/// Fit `y ≈ x · β` by least squares; `x` is given column by column (one `Vec` per regressor).
pub fn fit_ols(columns: &[Vec<f64>], y: &[f64]) -> Result<OlsFit> {
    let p = columns.len();
    let n = y.len();
    if p == 0 || columns.iter().any(|c| c.len() != n) {
        return Err(Error::shape(
            "design matrix",
            format!("columns of {n} frames"),
            columns.iter().map(|c| c.len().to_string()).collect::<Vec<_>>().join(", "),
        ));
    }
    if n <= p {
        return Err(Error::data(format!("OLS needs more frames ({n}) than regressors ({p})")));
    }
    if y.iter().chain(columns.iter().flatten()).any(|v| !v.is_finite()) {
        return Err(Error::data("OLS: NaN or infinite value in the data or the design"));
    }
    let xtx_inv: Vec<Vec<f64>> = xtx_inverse(columns)?.rows().into_iter().map(|r| r.to_vec()).collect();
    let xty: Vec<f64> = columns.iter().map(|c| dot(c, y)).collect();
    let beta: Vec<f64> = (0..p).map(|i| dot(&xtx_inv[i], &xty)).collect();
    let rss: f64 = (0..n)
        .map(|t| {
            let fit: f64 = (0..p).map(|k| columns[k][t] * beta[k]).sum();
            (y[t] - fit).powi(2)
        })
        .sum();
    Ok(OlsFit { beta, sigma2: rss / (n - p) as f64, xtx_inv })
}

/// Drift regressors: a constant, then cosines up to the `high_pass` cut-off (nilearn
/// `drift_model="cosine"`, `high_pass=0.01` Hz by default).
pub fn cosine_drift(n_scans: usize, tr: f64, high_pass: f64) -> Vec<Vec<f64>> {
    let mut cols = vec![vec![1.0; n_scans]];
    let n_cos = ((2.0 * n_scans as f64 * tr * high_pass).floor() as usize).min(n_scans.saturating_sub(1));
    for k in 1..=n_cos {
        cols.push(
            (0..n_scans)
                .map(|t| {
                    (2.0 / n_scans as f64).sqrt()
                        * (std::f64::consts::PI * (t as f64 + 0.5) * k as f64 / n_scans as f64).cos()
                })
                .collect(),
        );
    }
    cols
}

/// A first-level design matrix: one column per condition (events convolved with the SPM HRF,
/// optionally followed by its time derivative), then the cosine drift regressors and a
/// constant — nilearn's `make_first_level_design_matrix(frame_times, events, hrf_model="spm"
/// | "spm + derivative", drift_model="cosine", high_pass=0.01)`. Columns are named as nilearn
/// names them (`face`, `face_derivative`, `drift_1`, …, `constant`).
#[derive(Clone, Debug)]
pub struct DesignMatrix {
    pub names: Vec<String>,
    pub columns: Vec<Vec<f64>>,
    pub tr: f64,
}

/// See [`DesignMatrix`]. `events` must lie inside the run (else an error naming the event);
/// `derivative` adds the temporal derivative of each condition's regressor.
pub fn make_first_level_design_matrix(
    n_scans: usize,
    tr: f64,
    events: &crate::fmri::events::Events,
    high_pass: f64,
    derivative: bool,
) -> Result<DesignMatrix> {
    if n_scans < 2 || !(tr.is_finite() && tr > 0.0) {
        return Err(Error::data(format!(
            "design matrix: need ≥ 2 scans and a positive TR, got {n_scans} and {tr}"
        )));
    }
    if events.onset.len() != events.duration.len() || events.onset.len() != events.trial_type.len() {
        return Err(Error::shape(
            "events",
            "onset, duration and trial_type of equal length",
            format!("{}, {}, {}", events.onset.len(), events.duration.len(), events.trial_type.len()),
        ));
    }
    events.check_fits(n_scans, tr)?;
    let mut names = Vec::new();
    let mut columns = Vec::new();
    for c in events.conditions() {
        let idx: Vec<usize> = (0..events.onset.len()).filter(|&i| events.trial_type[i] == c).collect();
        let cond = Condition {
            onsets: idx.iter().map(|&i| events.onset[i]).collect(),
            durations: idx.iter().map(|&i| events.duration[i]).collect(),
        };
        let r = regressor(&cond, tr, n_scans, 50)?;
        if derivative {
            // finite-difference derivative of the regressor sampled 0.1 s later (SPM's approach, per frame)
            let shifted = Condition {
                onsets: cond.onsets.iter().map(|o| o + 0.1).collect(),
                durations: cond.durations.clone(),
            };
            let ok = shifted.onsets.iter().all(|&o| o < n_scans as f64 * tr);
            let r2 = if ok { regressor(&shifted, tr, n_scans, 50)? } else { r.clone() };
            names.push(c.clone());
            columns.push(r.clone());
            names.push(format!("{c}_derivative"));
            columns.push(r.iter().zip(&r2).map(|(a, b)| (a - b) / 0.1).collect());
        } else {
            names.push(c.clone());
            columns.push(r);
        }
    }
    let drift = cosine_drift(n_scans, tr, high_pass);
    for (k, d) in drift.iter().enumerate().skip(1) {
        names.push(format!("drift_{k}"));
        columns.push(d.clone());
    }
    names.push("constant".into());
    columns.push(drift[0].clone());
    Ok(DesignMatrix { names, columns, tr })
}

impl DesignMatrix {
    /// Number of frames.
    pub fn n_scans(&self) -> usize {
        self.columns.first().map_or(0, |c| c.len())
    }
    /// One column by name.
    pub fn column(&self, name: &str) -> Result<&[f64]> {
        self.names.iter().position(|n| n == name).map(|i| self.columns[i].as_slice()).ok_or_else(|| {
            Error::data(format!("design matrix has no column {name:?}; it has {:?}", self.names))
        })
    }
    /// Contrast weights from `(column name, weight)` pairs (nilearn accepts `"face - scrambled"`).
    pub fn contrast(&self, terms: &[(&str, f64)]) -> Result<Vec<f64>> {
        let mut c = vec![0.0; self.names.len()];
        for (n, w) in terms {
            let i = self.names.iter().position(|x| x == n).ok_or_else(|| {
                Error::data(format!("contrast: no column {n:?}; the design has {:?}", self.names))
            })?;
            c[i] += w;
        }
        Ok(c)
    }
}

/// A fitted mass-univariate GLM: betas per voxel, residual variance, (XᵀX)⁻¹ — nilearn's
/// `FirstLevelModel(...).fit(img, design_matrices=dm)` with `noise_model="ols"` (nilearn's
/// default is AR(1); OLS t-values are larger when the noise is autocorrelated).
#[derive(Clone, Debug)]
pub struct FirstLevel {
    pub design: DesignMatrix,
    /// regressors × voxels
    pub beta: ndarray::Array2<f64>,
    pub sigma2: Vec<f64>,
    pub xtx_inv: Vec<Vec<f64>>,
}

/// Fit the design to `volumes × voxels` data (e.g. [`crate::fmri::Mask::apply`], not
/// z-scored): one least-squares fit per voxel sharing one (XᵀX)⁻¹.
pub fn fit_first_level(y: ndarray::ArrayView2<f64>, design: &DesignMatrix) -> Result<FirstLevel> {
    let (nt, nv) = y.dim();
    if nt != design.n_scans() {
        return Err(Error::shape(
            "GLM data",
            format!("{} volumes (the design's scans)", design.n_scans()),
            nt,
        ));
    }
    // (XᵀX)⁻¹ from the OLS helper on a dummy response
    let fit0 = fit_ols(&design.columns, &vec![0.0; nt])?;
    let p = design.columns.len();
    let x = ndarray::Array2::from_shape_fn((nt, p), |(t, k)| design.columns[k][t]);
    let inv = ndarray::Array2::from_shape_fn((p, p), |(i, j)| fit0.xtx_inv[i][j]);
    if y.iter().any(|v| !v.is_finite()) {
        return Err(Error::data("GLM: data contain NaN or infinite values"));
    }
    let beta = inv.dot(&x.t().dot(&y));
    let resid = &y - &x.dot(&beta);
    let sigma2: Vec<f64> =
        (0..nv).map(|c| resid.column(c).iter().map(|r| r * r).sum::<f64>() / (nt - p) as f64).collect();
    Ok(FirstLevel { design: design.clone(), beta, sigma2, xtx_inv: fit0.xtx_inv })
}

impl FirstLevel {
    /// t value per voxel of the contrast `c` (nilearn `compute_contrast(c, stat_type="t",
    /// output_type="stat")`).
    pub fn t_values(&self, c: &[f64]) -> Result<Vec<f64>> {
        let p = self.beta.nrows();
        if c.len() != p {
            return Err(Error::shape(
                "contrast",
                format!("{p} weights (one per regressor: {:?})", self.design.names),
                c.len(),
            ));
        }
        if self.xtx_inv.len() != p
            || self.xtx_inv.iter().any(|r| r.len() != p)
            || self.sigma2.len() != self.beta.ncols()
        {
            return Err(Error::shape(
                "fitted GLM",
                format!("(XᵀX)⁻¹ of {p} × {p} and one variance per voxel"),
                "other sizes (edited fields?)",
            ));
        }
        let var = quadratic_form(c, &self.xtx_inv);
        Ok((0..self.beta.ncols())
            .map(|v| {
                let eff: f64 = (0..p).map(|k| c[k] * self.beta[[k, v]]).sum();
                let se = (self.sigma2[v] * var).sqrt();
                if se > 0.0 {
                    eff / se
                } else {
                    0.0
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hrf_peaks_near_5_s_and_undershoots() {
        let tr = 2.0;
        let h = spm_hrf(tr, 50).unwrap();
        let dt = tr / 50.0;
        let imax = (0..h.len()).max_by(|&a, &b| h[a].total_cmp(&h[b])).unwrap();
        let t_peak = 32.0 * imax as f64 / (h.len() - 1) as f64;
        assert!((4.5..5.5).contains(&t_peak), "peak at {t_peak}");
        assert!(h.iter().cloned().fold(f64::INFINITY, f64::min) < 0.0);
        assert!((h.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // numpy.linspace(0, 32, 800) and the closed form Γ(6) − 0.167 Γ(16), both shifted by
        // dt = TR / oversampling (nilearn's onset): nothing before dt, then the ratio of two
        // samples is the ratio of the densities (the normalisation cancels)
        assert_eq!(h.len(), 800);
        assert_eq!(h[0], 0.0);
        let f = |i: usize| {
            let x = 32.0 * i as f64 / 799.0 - dt;
            x.powi(5) * (-x).exp() / 120.0 - 0.167 * x.powi(15) * (-x).exp() / 1_307_674_368_000.0
        };
        for (i, j) in [(1, 100), (125, 300), (400, 150)] {
            assert!((h[i] / h[j] - f(i) / f(j)).abs() < 1e-9 * (f(i) / f(j)).abs(), "samples {i}, {j}");
        }
    }

    #[test]
    fn regressor_rises_after_events_and_checks_input() {
        let c = Condition { onsets: vec![10.0], durations: vec![1.0] };
        let r = regressor(&c, 2.0, 30, 50).unwrap();
        assert!(r[..5].iter().all(|&v| v == 0.0));
        let imax = (0..r.len()).max_by(|&a, &b| r[a].total_cmp(&r[b])).unwrap();
        assert!((7..=9).contains(&imax), "peak at frame {imax}");
        assert!(regressor(&Condition { onsets: vec![100.0], durations: vec![1.0] }, 2.0, 30, 50).is_err());
        assert!(regressor(&Condition { onsets: vec![1.0], durations: vec![] }, 2.0, 30, 50).is_err());
    }

    #[test]
    fn ols_recovers_planted_betas_and_t() {
        let n = 200;
        let x1: Vec<f64> = (0..n).map(|t| ((t as f64) * 0.1).sin()).collect();
        let noise: Vec<f64> = (0..n).map(|t| (((t * 7919) % 101) as f64 / 101.0 - 0.5) * 0.2).collect();
        let y: Vec<f64> = (0..n).map(|t| 3.0 + 2.0 * x1[t] + noise[t]).collect();
        let fit = fit_ols(&[vec![1.0; n], x1.clone()], &y).unwrap();
        assert!((fit.beta[1] - 2.0).abs() < 0.05 && (fit.beta[0] - 3.0).abs() < 0.05, "{:?}", fit.beta);
        assert!(fit.t(&[0.0, 1.0]).unwrap() > 50.0);
        assert!(fit_ols(&[vec![1.0; n], vec![2.0; n]], &y).is_err(), "collinear");
        assert!(fit.t(&[1.0]).is_err());
        assert_eq!(cosine_drift(200, 2.0, 0.01).len(), 1 + 8);
    }
}

#[cfg(test)]
mod design_tests {
    use super::*;
    use crate::fmri::events::Events;

    #[test]
    fn design_matrix_columns_and_derivative() {
        let ev = Events {
            onset: vec![10.0, 40.0, 70.0],
            duration: vec![2.0; 3],
            trial_type: vec!["a".into(), "b".into(), "a".into()],
        };
        let dm = make_first_level_design_matrix(60, 2.0, &ev, 0.01, true).unwrap();
        assert_eq!(&dm.names[..4], &["a", "a_derivative", "b", "b_derivative"]);
        assert_eq!(dm.names.last().unwrap(), "constant");
        // 2·60·2·0.01 = 2.4 → 2 cosines
        assert_eq!(dm.names.len(), 4 + 2 + 1);
        // the derivative is positive while the response rises
        let a = dm.column("a").unwrap();
        let d = dm.column("a_derivative").unwrap();
        assert!(a[7] > a[6] && d[6] > 0.0);
        assert_eq!(dm.contrast(&[("a", 1.0), ("b", -1.0)]).unwrap()[2], -1.0);
        assert!(dm.contrast(&[("c", 1.0)]).is_err());
        // the GLM recovers a planted effect
        let y = ndarray::Array2::from_shape_fn((60, 2), |(t, v)| {
            5.0 + if v == 0 { 2.0 * a[t] } else { 0.0 } + ((t * 13 % 7) as f64 - 3.0) * 0.01
        });
        let fit = fit_first_level(y.view(), &dm).unwrap();
        let t = fit.t_values(&dm.contrast(&[("a", 1.0)]).unwrap()).unwrap();
        assert!(t[0] > 20.0 && t[1].abs() < 5.0, "{t:?}");
        assert!(fit_first_level(y.slice(ndarray::s![..50, ..]), &dm).is_err());
    }
}
