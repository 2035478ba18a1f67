//! The general linear model's building blocks: the haemodynamic response and event regressors.
//! Mirrors nilearn's `nilearn.glm.first_level.spm_hrf` and `compute_regressor(..., "spm")`.

use crate::error::{Error, Result};

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; |error| < 1e-13 over the range used here).
fn ln_gamma(x: f64) -> f64 {
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        return (std::f64::consts::PI / (std::f64::consts::PI * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + 7.5;
    for (i, &c) in C.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Gamma density with shape `k`, scale 1, shifted by `loc` (scipy `gamma.pdf(t, k, loc)`).
fn gamma_pdf(t: f64, k: f64, loc: f64) -> f64 {
    let x = t - loc;
    if x <= 0.0 {
        return 0.0;
    }
    ((k - 1.0) * x.ln() - x - ln_gamma(k)).exp()
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
    let mut h: Vec<f64> =
        ts.iter().map(|&t| gamma_pdf(t, 6.0, dt) - 0.167 * gamma_pdf(t, 16.0, dt)).collect();
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
/// t-contrast needs. Solved through the normal equations with partial-pivot Gauss–Jordan,
/// which is exact enough for the few, well-conditioned regressors of a first-level design.
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
        if c.len() != p {
            return Err(Error::shape("contrast", format!("{p} weights (one per regressor)"), c.len()));
        }
        let effect: f64 = c.iter().zip(&self.beta).map(|(a, b)| a * b).sum();
        let mut var = 0.0;
        for i in 0..p {
            for j in 0..p {
                var += c[i] * self.xtx_inv[i][j] * c[j];
            }
        }
        Ok(effect / (self.sigma2 * var).sqrt())
    }
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
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    // augmented [XᵀX | I], inverted in place
    let mut m: Vec<Vec<f64>> = (0..p)
        .map(|i| {
            (0..2 * p)
                .map(|j| {
                    if j < p {
                        dot(&columns[i], &columns[j])
                    } else if j - p == i {
                        1.0
                    } else {
                        0.0
                    }
                })
                .collect()
        })
        .collect();
    for col in 0..p {
        let piv = (col..p).max_by(|&a, &b| m[a][col].abs().total_cmp(&m[b][col].abs())).unwrap_or(col);
        if m[piv][col].abs() < 1e-12 * m.iter().map(|r| r[col].abs()).fold(1.0, f64::max) {
            return Err(Error::data(format!(
                "design matrix is rank deficient (regressor {col} is a combination of the others)"
            )));
        }
        m.swap(col, piv);
        let d = m[col][col];
        for v in m[col].iter_mut() {
            *v /= d;
        }
        for r in 0..p {
            if r != col {
                let f = m[r][col];
                if f != 0.0 {
                    for j in 0..2 * p {
                        m[r][j] -= f * m[col][j];
                    }
                }
            }
        }
    }
    let xtx_inv: Vec<Vec<f64>> = m.into_iter().map(|r| r[p..].to_vec()).collect();
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
    /// The design matrix as a picture (nilearn `plot_design_matrix`): frames top to bottom,
    /// each column scaled to its maximum absolute value.
    pub fn plot(&self) -> crate::plot::Heatmap {
        let n = self.n_scans();
        let p = self.columns.len();
        let scale: Vec<f64> =
            self.columns.iter().map(|c| c.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12)).collect();
        let data = ndarray::Array2::from_shape_fn((n, p), |(t, k)| self.columns[k][t] / scale[k]);
        crate::plot::Heatmap::new(data)
            .cmap(crate::plot::Colormap::Gray)
            .limits(-1.0, 1.0)
            .title("design matrix")
            .xlabel(self.names.join(" | "))
            .ylabel("scan")
            .min_side(300)
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
        let mut var = 0.0;
        for i in 0..p {
            for j in 0..p {
                var += c[i] * self.xtx_inv[i][j] * c[j];
            }
        }
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
        assert!((ln_gamma(6.0) - 120f64.ln()).abs() < 1e-12);
        assert!(dt > 0.0);
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
