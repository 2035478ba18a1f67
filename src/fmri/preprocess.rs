//! Image and signal preprocessing: [`mean_img`], [`index_img`], [`compute_epi_mask`],
//! [`clean`] (per-run detrend / cosine high-pass / z-score, as `nilearn.signal.clean`),
//! [`smooth_img`] (Gaussian smoothing by FWHM in mm, through the one Gaussian filter brainml
//! has, shared with the simulator) and [`trial_patterns`].

use linfa_linalg::qr::QR;
use ndarray::{Array2, Array3, ArrayView2, Axis};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fmri::io::{Img, Mask};

/// The mean over time of a 4-D image (nilearn `mean_img`): a 3-D image.
pub fn mean_img(img: &Img) -> Result<Img> {
    if img.ndim() != 4 {
        return Err(Error::shape("mean_img input", "a 4-D image", format!("{} dimensions", img.ndim())));
    }
    let m = img.data().mean_axis(Axis(3)).ok_or_else(|| Error::data("image has no volume"))?;
    img.new_like(m)
}

/// A brain mask from the mean EPI intensity: nilearn `compute_epi_mask` (lower_cutoff 0.2,
/// upper_cutoff 0.85: the threshold sits at the widest gap between sorted mean intensities in
/// that quantile range). Differs: no morphological opening and no largest-component step.
pub fn compute_epi_mask(img: &Img) -> Result<Mask> {
    let mean = if img.ndim() == 4 { mean_img(img)? } else { img.clone() };
    let mut v: Vec<f64> = mean.data().iter().map(|&x| x as f64).filter(|x| x.is_finite()).collect();
    if v.len() < 10 {
        return Err(Error::data("compute_epi_mask: image too small"));
    }
    v.sort_by(f64::total_cmp);
    let n = v.len();
    let lo = (0.2 * n as f64) as usize;
    let hi = ((0.85 * n as f64) as usize).min(n - 1);
    let (mut best, mut thr) = (-1.0, v[lo]);
    for i in lo..hi {
        let gap = v[i + 1] - v[i];
        if gap > best {
            best = gap;
            thr = v[i + 1];
        }
    }
    let s = img.shape3();
    let md = mean.data();
    let data = Array3::from_shape_fn((s[0], s[1], s[2]), |(i, j, k)| md[[i, j, k, 0]] as f64 >= thr);
    let m = Mask::from_array(data, img)?;
    if m.n_voxels() == 0 {
        return Err(Error::data("compute_epi_mask: no voxel above the threshold"));
    }
    Ok(m)
}

/// Settings of [`clean`], nilearn `signal.clean` names and defaults (`detrend=True`,
/// `standardize="zscore"`): `detrend` (linear, per run), `standardize` (z-score per run),
/// `high_pass` (Hz, cosine drift regressors per run as nilearn's `high_pass` with `t_r`).
#[derive(Clone, Debug)]
pub struct CleanOptions {
    pub detrend: bool,
    pub standardize: bool,
    pub high_pass: Option<f64>,
    pub t_r: Option<f64>,
}

impl Default for CleanOptions {
    fn default() -> Self {
        CleanOptions { detrend: true, standardize: true, high_pass: None, t_r: None }
    }
}

/// An orthonormal basis (one `Vec` per direction) of the span of `columns` (each `n` long):
/// the Q of linfa-linalg's Householder QR. A column whose part outside the span of the
/// columns before it is shorter than 1e-9 (|Rᵢᵢ| ≤ 1e-9, e.g. the first cosine of a 3-volume
/// run, which is the linear trend) adds no direction and is left out, as Gram–Schmidt would.
fn orthonormal_basis(mut columns: Vec<Vec<f64>>, n: usize) -> Result<Vec<Vec<f64>>> {
    loop {
        // more than n columns cannot be independent: the first n decide
        let k = columns.len().min(n);
        if k == 0 {
            return Ok(Vec::new());
        }
        let m = Array2::from_shape_fn((n, k), |(t, c)| columns[c][t]);
        let qr = m.qr().map_err(|e| Error::data(format!("clean: QR of the confounds failed ({e})")))?;
        let q = qr.generate_q();
        let r = qr.into_r();
        match (0..k).find(|&i| r[[i, i]].abs() <= 1e-9) {
            Some(i) => {
                columns.remove(i);
            }
            None => return Ok(q.columns().into_iter().map(|c| c.to_vec()).collect()),
        }
    }
}

/// Clean `volumes × voxels` signals run by run (`runs[t]` = run label of volume `t`):
/// nilearn `signal.clean(signals, runs=runs, detrend=..., standardize="zscore_sample"|..., high_pass=..., t_r=...)`.
/// Mean removal always happens; detrending and high-pass regress out a linear trend / the
/// cosine drift basis ([`crate::fmri::glm::cosine_drift`]), projected out through an
/// orthonormal basis (linfa-linalg's QR); z-scoring divides by the sample standard deviation
/// (ddof = 1; nilearn's `"zscore_sample"`). A constant voxel stays 0 instead of becoming
/// NaN. Returns a new array.
pub fn clean(x: ArrayView2<f64>, runs: &[i64], opts: &CleanOptions) -> Result<Array2<f64>> {
    let (nt, nv) = x.dim();
    if runs.len() != nt {
        return Err(Error::shape("clean: runs", format!("{nt} (one run label per volume)"), runs.len()));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::data("clean: signals contain NaN or infinite values"));
    }
    if let Some(hp) = opts.high_pass.filter(|hp| !(hp.is_finite() && *hp > 0.0)) {
        return Err(Error::data(format!("clean: high_pass is a frequency in Hz > 0, got {hp}")));
    }
    if opts.high_pass.is_some() && !opts.t_r.is_some_and(|t| t > 0.0) {
        return Err(Error::data("clean: high_pass needs the repetition time t_r"));
    }
    let mut out = x.to_owned();
    let mut labels: Vec<i64> = runs.to_vec();
    labels.sort_unstable();
    labels.dedup();
    for r in labels {
        let idx: Vec<usize> = (0..nt).filter(|&t| runs[t] == r).collect();
        let n = idx.len();
        // the confounds of this run: constant, trend, cosines
        let mut basis: Vec<Vec<f64>> = vec![vec![1.0; n]];
        if opts.detrend && n > 2 {
            basis.push((0..n).map(|t| t as f64).collect());
        }
        if let (Some(hp), Some(tr)) = (opts.high_pass, opts.t_r) {
            basis.extend(crate::fmri::glm::cosine_drift(n, tr, hp).into_iter().skip(1));
        }
        let q = orthonormal_basis(basis, n)?;
        let cols: Vec<Vec<f64>> = (0..nv)
            .into_par_iter()
            .map(|c| {
                let mut y: Vec<f64> = idx.iter().map(|&t| x[[t, c]]).collect();
                for u in &q {
                    let d: f64 = y.iter().zip(u).map(|(a, b)| a * b).sum();
                    for (yi, ui) in y.iter_mut().zip(u) {
                        *yi -= d * ui;
                    }
                }
                if opts.standardize && n > 1 {
                    let sd = (y.iter().map(|v| v * v).sum::<f64>() / (n - 1) as f64).sqrt();
                    if sd > 1e-12 {
                        for v in &mut y {
                            *v /= sd;
                        }
                    } else {
                        y.iter_mut().for_each(|v| *v = 0.0);
                    }
                }
                y
            })
            .collect();
        for (c, y) in cols.into_iter().enumerate() {
            for (k, &t) in idx.iter().enumerate() {
                out[[t, c]] = y[k];
            }
        }
    }
    Ok(out)
}

/// How [`gaussian_filter`] extends a volume past its edges (scipy.ndimage's `mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Edge {
    /// `"reflect"`: d c b a | a b c d | d c b a (scipy's default, nilearn's `smooth_img`)
    Reflect,
    /// `"nearest"`: a a a a | a b c d | d d d d (the simulator's noise)
    Nearest,
}

/// Separable Gaussian filtering of a 3-D volume in place: scipy.ndimage
/// `gaussian_filter(v, sigma, mode=edge, radius=radius)` (σ and the kernel's half-width in
/// voxels, per axis; the sampled kernel normalised to sum 1, axes filtered 0, 1, 2 in turn).
/// The one smoother shared by [`smooth_img`] and the simulator's spatially smooth noise
/// (scipy's default radius is `int(4 σ + 0.5)`, which `smooth_img` passes).
pub(crate) fn gaussian_filter(v: &mut Array3<f64>, sigma: [f64; 3], radius: [usize; 3], edge: Edge) {
    for axis in 0..3 {
        let (s, r) = (sigma[axis], radius[axis] as isize);
        let kern: Vec<f64> = (-r..=r).map(|x| (-(x * x) as f64 / (2.0 * s * s)).exp()).collect();
        let sum: f64 = kern.iter().sum();
        let kern: Vec<f64> = kern.iter().map(|k| k / sum).collect();
        let n = v.shape()[axis] as isize;
        for mut lane in v.lanes_mut(Axis(axis)) {
            let src = lane.to_vec();
            for (i, o) in lane.iter_mut().enumerate() {
                let mut acc = 0.0;
                for (kk, w) in kern.iter().enumerate() {
                    let mut j = i as isize + kk as isize - r;
                    match edge {
                        Edge::Nearest => j = j.clamp(0, n - 1),
                        Edge::Reflect => {
                            while j < 0 || j >= n {
                                j = if j < 0 { -j - 1 } else { 2 * n - j - 1 };
                            }
                        }
                    }
                    acc += w * src[j as usize];
                }
                *o = acc;
            }
        }
    }
}

/// Gaussian smoothing by FWHM in mm (nilearn `smooth_img(img, fwhm)`): separable 1-D kernels
/// along each axis with σ = FWHM / 2.3548 / voxel size (so anisotropic voxels are handled),
/// truncated at 4 σ (scipy's default), edges reflected as scipy's `mode="reflect"`. Each
/// volume of a 4-D image is smoothed. `fwhm = 0` returns a copy.
pub fn smooth_img(img: &Img, fwhm_mm: f64) -> Result<Img> {
    if !(fwhm_mm.is_finite() && fwhm_mm >= 0.0) {
        return Err(Error::data(format!("smooth_img: FWHM must be ≥ 0 mm, got {fwhm_mm}")));
    }
    if fwhm_mm == 0.0 {
        return Ok(img.clone());
    }
    let zooms = img.zooms();
    let sigma = [0, 1, 2].map(|a| fwhm_mm / (8.0 * 2f64.ln()).sqrt() / zooms[a].abs().max(1e-6));
    let radius = sigma.map(|s| (4.0 * s + 0.5) as usize);
    let s = img.shape3();
    let data = img.data();
    let vols: Vec<Array3<f64>> = (0..img.n_volumes())
        .into_par_iter()
        .map(|t| {
            let mut v = Array3::from_shape_fn((s[0], s[1], s[2]), |(i, j, k)| data[[i, j, k, t]] as f64);
            gaussian_filter(&mut v, sigma, radius, Edge::Reflect);
            v
        })
        .collect();
    let mut out = data.clone();
    for (t, v) in vols.into_iter().enumerate() {
        for ((i, j, k), &x) in v.indexed_iter() {
            out[[i, j, k, t]] = x as f32;
        }
    }
    img.same_grid(out)
}

/// Keep only the listed volumes of a 4-D image (nilearn `index_img(img, idx)`), e.g. to censor
/// flagged volumes. At least one volume must be kept.
pub fn index_img(img: &Img, volumes: &[usize]) -> Result<Img> {
    if img.ndim() != 4 {
        return Err(Error::shape("index_img input", "a 4-D image", format!("{} dimensions", img.ndim())));
    }
    let nt = img.n_volumes();
    if let Some(&bad) = volumes.iter().find(|&&v| v >= nt) {
        return Err(Error::data(format!("index_img: volume {bad} does not exist (image has {nt})")));
    }
    if volumes.is_empty() {
        return Err(Error::data("index_img: no volume to keep (an image needs at least one)"));
    }
    img.new_like(img.data().select(Axis(3), volumes))
}

/// One pattern per event: the mean of the (cleaned) volumes whose acquisition time falls in
/// `[onset + delay_s, onset + delay_s + window_s]` — the haemodynamic peak ~5 s after a brief
/// event, or a whole block shifted by the delay. Returns `events × voxels` and each event's
/// `trial_type`. nilearn's tutorials use per-volume samples (block designs) or GLM betas
/// per trial; this is the simplest trial-wise alternative. Events whose window falls outside
/// the run are an error.
pub fn trial_patterns(
    x: ArrayView2<f64>,
    events: &crate::fmri::events::Events,
    tr: f64,
    delay_s: f64,
    window_s: f64,
) -> Result<(Array2<f64>, Vec<String>)> {
    let (nt, nv) = x.dim();
    if !(tr > 0.0 && delay_s.is_finite() && window_s >= 0.0) {
        return Err(Error::data(format!(
            "trial_patterns: need TR > 0 and window ≥ 0, got TR {tr}, window {window_s}"
        )));
    }
    events.check_fits(nt, tr)?;
    let mut out = Array2::<f64>::zeros((events.onset.len(), nv));
    for (e, &on) in events.onset.iter().enumerate() {
        let a = ((on + delay_s) / tr).ceil().max(0.0) as usize;
        let b = ((on + delay_s + window_s) / tr).floor() as usize;
        let vols: Vec<usize> = (a..=b.max(a)).filter(|&v| v < nt).collect();
        if vols.is_empty() {
            return Err(Error::data(format!(
                "trial_patterns: event {e} at {on} s has no volume in its window (run of {nt} volumes)"
            )));
        }
        let m = x.select(Axis(0), &vols).mean_axis(Axis(0)).ok_or_else(|| Error::data("no volume"))?;
        out.row_mut(e).assign(&m);
    }
    Ok((out, events.trial_type.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmri::io::affine_ras;

    #[test]
    fn clean_detrends_and_standardizes_per_run() {
        let x = Array2::from_shape_fn((20, 2), |(t, c)| {
            if t < 10 {
                5.0 + t as f64 * (c + 1) as f64
            } else {
                -3.0 + ((t * 7) % 5) as f64
            }
        });
        let runs: Vec<i64> = (0..20).map(|t| (t / 10) as i64).collect();
        let y = clean(x.view(), &runs, &CleanOptions::default()).unwrap();
        // run 0 is a pure line: nothing left
        assert!(y.slice(ndarray::s![..10, ..]).iter().all(|v| v.abs() < 1e-9));
        let r1: Vec<f64> = (10..20).map(|t| y[[t, 0]]).collect();
        let m = r1.iter().sum::<f64>() / 10.0;
        let sd = (r1.iter().map(|v| (v - m).powi(2)).sum::<f64>() / 9.0).sqrt();
        assert!(m.abs() < 1e-9 && (sd - 1.0).abs() < 1e-9);
        assert!(clean(x.view(), &runs[..5], &CleanOptions::default()).is_err());
    }

    #[test]
    fn dependent_confounds_add_no_direction() {
        // 3 volumes: the first cosine is the linear trend; 5 volumes with a cut-off at Nyquist:
        // constant, trend and 4 cosines span everything
        let b = orthonormal_basis(
            vec![vec![1.0; 3], vec![0.0, 1.0, 2.0], crate::fmri::glm::cosine_drift(3, 2.0, 0.1)[1].clone()],
            3,
        )
        .unwrap();
        assert_eq!(b.len(), 2);
        let y = clean(
            Array2::from_shape_fn((3, 1), |(t, _)| [1.0, 5.0, 2.0][t]).view(),
            &[0; 3],
            &CleanOptions { standardize: false, high_pass: Some(0.1), t_r: Some(2.0), ..Default::default() },
        )
        .unwrap();
        // what a constant and a trend leave of [1, 5, 2]: [-7/6, 7/3, -7/6]
        for (a, b) in y.column(0).iter().zip([-7.0 / 6.0, 7.0 / 3.0, -7.0 / 6.0]) {
            assert!((a - b).abs() < 1e-12, "{y:?}");
        }
        let all = clean(
            Array2::from_shape_fn((5, 1), |(t, _)| t as f64 * t as f64).view(),
            &[0; 5],
            &CleanOptions { standardize: false, high_pass: Some(0.25), t_r: Some(2.0), ..Default::default() },
        )
        .unwrap();
        assert!(all.iter().all(|v| v.abs() < 1e-9), "{all:?}");
    }

    #[test]
    fn smoothing_keeps_the_mean_and_spreads_by_fwhm() {
        let mut data = Array3::<f32>::zeros((21, 21, 21));
        data[[10, 10, 10]] = 1.0;
        let img = Img::new(data, affine_ras([2.0, 2.0, 4.0], [0.0; 3]), None).unwrap();
        let sm = smooth_img(&img, 8.0).unwrap();
        assert_eq!(sm.shape(), &[21, 21, 21]);
        let d = sm.data();
        let total: f32 = d.iter().sum();
        assert!((total - 1.0).abs() < 1e-4);
        // FWHM 8 mm: half maximum at 4 mm = 2 voxels along x, 1 voxel along z
        let c = d[[10, 10, 10, 0]];
        assert!((d[[12, 10, 10, 0]] / c - 0.5).abs() < 0.02);
        assert!((d[[10, 10, 11, 0]] / c - 0.5).abs() < 0.02);
        assert!(smooth_img(&img, -1.0).is_err());
    }

    #[test]
    fn gaussian_filter_edges() {
        // a step at the edge: "nearest" repeats the edge value, "reflect" mirrors the lane
        let mut a = Array3::from_shape_fn((5, 1, 1), |(i, _, _)| if i == 0 { 1.0 } else { 0.0 });
        let mut b = a.clone();
        gaussian_filter(&mut a, [1.0, 1.0, 1.0], [2, 0, 0], Edge::Nearest);
        gaussian_filter(&mut b, [1.0, 1.0, 1.0], [2, 0, 0], Edge::Reflect);
        let w = [(-2.0f64), -1.0, 0.0, 1.0, 2.0].map(|x| (-x * x / 2.0).exp());
        let s: f64 = w.iter().sum();
        // voxel 0: nearest sees the 1 at offsets −2, −1, 0; reflect at −1 and 0 (−2 → voxel 1)
        assert!((a[[0, 0, 0]] - (w[0] + w[1] + w[2]) / s).abs() < 1e-12);
        assert!((b[[0, 0, 0]] - (w[1] + w[2]) / s).abs() < 1e-12);
    }

    #[test]
    fn index_img_keeps_volumes_and_refuses_none() {
        let img = Img::new(
            ndarray::Array4::from_shape_fn((2, 2, 2, 4), |(_, _, _, t)| t as f32),
            affine_ras([2.0; 3], [0.0; 3]),
            Some(2.0),
        )
        .unwrap();
        let two = index_img(&img, &[3, 1]).unwrap();
        assert_eq!((two.shape(), two.tr()), (&[2, 2, 2, 2][..], Some(2.0)));
        assert_eq!(two.data()[[0, 0, 0, 0]], 3.0);
        assert!(index_img(&img, &[]).is_err() && index_img(&img, &[4]).is_err());
        assert!(index_img(&mean_img(&img).unwrap(), &[0]).is_err());
    }
}
