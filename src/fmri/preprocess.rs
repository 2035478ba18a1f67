//! Masks and signal cleaning: [`Mask`] (nilearn's `NiftiMasker`: image → samples × voxels and
//! back), [`compute_epi_mask`], [`clean`] (per-run detrend / cosine high-pass / z-score, as
//! `nilearn.signal.clean`) and [`smooth_img`] (Gaussian smoothing by FWHM in mm).

use std::path::Path;

use ndarray::{Array2, Array3, ArrayD, ArrayView2, Axis, IxDyn};
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::fmri::io::{load_img, Img};

/// A brain (or region) mask on a voxel grid: which voxels to keep, with the grid's affine.
/// Mirrors nilearn's mask images and `NiftiMasker`; voxels are ordered as numpy's C order
/// over `(x, y, z)`, the order `NiftiMasker.transform` uses, so maps line up with nilearn's.
#[derive(Clone, Debug)]
pub struct Mask {
    pub data: Array3<bool>,
    pub affine: [[f64; 4]; 4],
    pub zooms: [f64; 3],
}

fn affine_close(a: &[[f64; 4]; 4], b: &[[f64; 4]; 4]) -> bool {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .all(|(x, y)| (x - y).abs() <= 1e-3 * (1.0 + x.abs().max(y.abs())))
}

impl Mask {
    /// A mask from a 3-D image (or a 4-D image with one volume): voxels with a value > 0.5.
    pub fn from_img(img: &Img) -> Result<Mask> {
        let s = img.data.shape();
        let data = match s.len() {
            3 => img
                .data
                .view()
                .into_dimensionality::<ndarray::Ix3>()
                .map_err(|e| Error::data(e.to_string()))?
                .mapv(|v| v > 0.5),
            4 if s[3] == 1 => img
                .data
                .index_axis(Axis(3), 0)
                .into_dimensionality::<ndarray::Ix3>()
                .map_err(|e| Error::data(e.to_string()))?
                .mapv(|v| v > 0.5),
            _ => return Err(Error::shape("mask image", "a 3-D image", format!("shape {s:?}"))),
        };
        let m = Mask { data, affine: img.affine, zooms: img.zooms };
        if m.n_voxels() == 0 {
            return Err(Error::data("mask image has no voxel > 0.5 (empty mask)"));
        }
        Ok(m)
    }

    /// Read a mask file (nilearn `NiftiMasker(mask_img=path)`).
    pub fn load(path: impl AsRef<Path>) -> Result<Mask> {
        let path = path.as_ref();
        Mask::from_img(&load_img(path)?).map_err(|e| Error::format(path, "data", e))
    }

    /// A mask from a boolean array on the grid of `like`.
    pub fn from_array(data: Array3<bool>, like: &Img) -> Result<Mask> {
        if data.shape() != like.shape3() {
            return Err(Error::shape(
                "mask array",
                format!("{:?} (the image's grid)", like.shape3()),
                format!("{:?}", data.shape()),
            ));
        }
        Ok(Mask { data, affine: like.affine, zooms: like.zooms })
    }

    /// Number of voxels in the mask.
    pub fn n_voxels(&self) -> usize {
        self.data.iter().filter(|&&b| b).count()
    }

    /// Voxel indices `[i, j, k]` of the mask, in column order of [`Mask::apply`].
    pub fn voxels(&self) -> Vec<[usize; 3]> {
        self.data.indexed_iter().filter(|(_, &b)| b).map(|((i, j, k), _)| [i, j, k]).collect()
    }

    /// World (mm) coordinates of a voxel index.
    pub fn to_mm(&self, v: [usize; 3]) -> [f64; 3] {
        let a = &self.affine;
        let p = [v[0] as f64, v[1] as f64, v[2] as f64];
        [0, 1, 2].map(|r| a[r][0] * p[0] + a[r][1] * p[1] + a[r][2] * p[2] + a[r][3])
    }

    /// Check that `img` lies on this mask's grid (shape and affine).
    pub fn check_grid(&self, img: &Img, what: &str) -> Result<()> {
        if img.shape3() != self.data.shape() {
            return Err(Error::shape(
                format!("{what} vs mask"),
                format!("grid {:?} (the mask's)", self.data.shape()),
                format!("{:?}", img.shape3()),
            ));
        }
        if !affine_close(&self.affine, &img.affine) {
            return Err(Error::data(format!(
                "{what}: affine {:?} differs from the mask's {:?} (different space? resample first)",
                img.affine, self.affine
            )));
        }
        Ok(())
    }

    /// Voxel time series inside the mask: `volumes × voxels` (nilearn
    /// `NiftiMasker(mask_img).fit_transform(img)` without cleaning; call [`clean`] next).
    /// Errors on a grid or affine mismatch, or a non-finite value.
    pub fn apply(&self, img: &Img) -> Result<Array2<f64>> {
        self.check_grid(img, "image")?;
        let vox = self.voxels();
        let nt = img.n_volumes();
        let four = img.data.ndim() == 4;
        let mut out = Array2::<f64>::zeros((nt, vox.len()));
        for (c, v) in vox.iter().enumerate() {
            for t in 0..nt {
                let x = if four { img.data[[v[0], v[1], v[2], t]] } else { img.data[[v[0], v[1], v[2]]] };
                if !x.is_finite() {
                    return Err(Error::data(format!(
                        "image has a non-finite value at voxel {v:?}, volume {t}"
                    )));
                }
                out[[t, c]] = x as f64;
            }
        }
        Ok(out)
    }

    /// Put one value per mask voxel back on the grid as a 3-D image (zero outside): nilearn
    /// `masker.inverse_transform(values)`.
    pub fn unmask(&self, values: &[f64]) -> Result<Img> {
        let vox = self.voxels();
        if values.len() != vox.len() {
            return Err(Error::shape(
                "values to unmask",
                format!("{} (one per mask voxel)", vox.len()),
                values.len(),
            ));
        }
        let s = self.data.shape();
        let mut data = ArrayD::<f32>::zeros(IxDyn(&[s[0], s[1], s[2]]));
        for (v, &x) in vox.iter().zip(values) {
            data[[v[0], v[1], v[2]]] = x as f32;
        }
        Ok(Img { data, affine: self.affine, zooms: self.zooms, tr: None, warnings: Vec::new() })
    }

    /// The mask as a 0/1 image (to save or plot).
    pub fn to_img(&self) -> Img {
        Img {
            data: self.data.mapv(|b| if b { 1.0f32 } else { 0.0 }).into_dyn(),
            affine: self.affine,
            zooms: self.zooms,
            tr: None,
            warnings: Vec::new(),
        }
    }

    /// Voxels in both masks (same grid required).
    pub fn intersect(&self, other: &Mask) -> Result<Mask> {
        if self.data.shape() != other.data.shape() || !affine_close(&self.affine, &other.affine) {
            return Err(Error::shape(
                "masks to intersect",
                format!("grid {:?}", self.data.shape()),
                format!("{:?}", other.data.shape()),
            ));
        }
        let mut data = self.data.clone();
        data.zip_mut_with(&other.data, |a, &b| *a = *a && b);
        Ok(Mask { data, affine: self.affine, zooms: self.zooms })
    }
}

/// The mean over time of a 4-D image (nilearn `mean_img`).
pub fn mean_img(img: &Img) -> Result<Img> {
    if img.data.ndim() != 4 {
        return Err(Error::shape("mean_img input", "a 4-D image", format!("{} dimensions", img.data.ndim())));
    }
    let m = img.data.mean_axis(Axis(3)).ok_or_else(|| Error::data("image has no volume"))?;
    Ok(Img { data: m, affine: img.affine, zooms: img.zooms, tr: None, warnings: Vec::new() })
}

/// A brain mask from the mean EPI intensity: nilearn `compute_epi_mask` (lower_cutoff 0.2,
/// upper_cutoff 0.85: the threshold sits at the widest gap between sorted mean intensities in
/// that quantile range). Differs: no morphological opening and no largest-component step.
pub fn compute_epi_mask(img: &Img) -> Result<Mask> {
    let mean = if img.data.ndim() == 4 { mean_img(img)? } else { img.clone() };
    let mut v: Vec<f64> = mean.data.iter().map(|&x| x as f64).filter(|x| x.is_finite()).collect();
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
    let data = Array3::from_shape_fn((s[0], s[1], s[2]), |(i, j, k)| mean.data[[i, j, k]] as f64 >= thr);
    let m = Mask { data, affine: img.affine, zooms: img.zooms };
    if m.n_voxels() == 0 {
        return Err(Error::data("compute_epi_mask: no voxel above the threshold"));
    }
    Ok(m)
}

/// Settings of [`clean`], nilearn `signal.clean` names: `detrend` (linear, per run),
/// `standardize` (z-score per run), `high_pass` (Hz, cosine drift regressors per run as
/// nilearn's `high_pass` with `t_r`).
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

/// Clean `volumes × voxels` signals run by run (`runs[t]` = run label of volume `t`):
/// nilearn `signal.clean(signals, runs=runs, detrend=..., standardize="zscore_sample"|..., high_pass=..., t_r=...)`.
/// Mean removal always happens; detrending and high-pass regress out a linear trend / the
/// cosine drift basis ([`crate::fmri::glm::cosine_drift`]); z-scoring divides by the sample
/// standard deviation (ddof = 1; nilearn's `"zscore_sample"`). A constant voxel stays 0
/// instead of becoming NaN. Returns a new array.
pub fn clean(x: ArrayView2<f64>, runs: &[i64], opts: &CleanOptions) -> Result<Array2<f64>> {
    let (nt, nv) = x.dim();
    if runs.len() != nt {
        return Err(Error::shape("clean: runs", format!("{nt} (one run label per volume)"), runs.len()));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::data("clean: signals contain NaN or infinite values"));
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
        // orthonormal basis of the confounds of this run (constant, trend, cosines)
        let mut basis: Vec<Vec<f64>> = vec![vec![1.0; n]];
        if opts.detrend && n > 2 {
            basis.push((0..n).map(|t| t as f64).collect());
        }
        if let (Some(hp), Some(tr)) = (opts.high_pass, opts.t_r) {
            basis.extend(crate::fmri::glm::cosine_drift(n, tr, hp).into_iter().skip(1));
        }
        let mut q: Vec<Vec<f64>> = Vec::new();
        for mut b in basis {
            for u in &q {
                let d: f64 = b.iter().zip(u).map(|(a, c)| a * c).sum();
                for (bi, ui) in b.iter_mut().zip(u) {
                    *bi -= d * ui;
                }
            }
            let nrm = b.iter().map(|v| v * v).sum::<f64>().sqrt();
            if nrm > 1e-9 {
                q.push(b.into_iter().map(|v| v / nrm).collect());
            }
        }
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

/// Gaussian smoothing by FWHM in mm (nilearn `smooth_img(img, fwhm)`): separable 1-D kernels
/// along each axis with σ = FWHM / 2.3548 / voxel size (so anisotropic voxels are handled),
/// truncated at 4 σ (scipy's default), edges reflected as scipy's `mode="reflect"`. Each
/// volume of a 4-D image is smoothed. `fwhm = 0` returns a copy.
pub fn smooth_img(img: &Img, fwhm_mm: f64) -> Result<Img> {
    if !(fwhm_mm.is_finite() && fwhm_mm >= 0.0) {
        return Err(Error::data(format!("smooth_img: FWHM must be ≥ 0 mm, got {fwhm_mm}")));
    }
    let mut out = img.clone();
    if fwhm_mm == 0.0 {
        return Ok(out);
    }
    let kernels: Vec<Vec<f64>> = (0..3)
        .map(|a| {
            let sigma = fwhm_mm / (8.0 * 2f64.ln()).sqrt() / img.zooms[a].abs().max(1e-6);
            let r = (4.0 * sigma + 0.5) as isize;
            let k: Vec<f64> = (-r..=r).map(|x| (-(x * x) as f64 / (2.0 * sigma * sigma)).exp()).collect();
            let s: f64 = k.iter().sum();
            k.into_iter().map(|v| v / s).collect()
        })
        .collect();
    let nt = img.n_volumes();
    let s = img.shape3();
    let smooth_vol = |mut v: Array3<f64>| -> Array3<f64> {
        for (axis, kern) in kernels.iter().enumerate() {
            let n = v.shape()[axis] as isize;
            let r = (kern.len() / 2) as isize;
            for mut lane in v.lanes_mut(Axis(axis)) {
                let src = lane.to_vec();
                for (i, o) in lane.iter_mut().enumerate() {
                    let mut acc = 0.0;
                    for (kk, w) in kern.iter().enumerate() {
                        let mut j = i as isize + kk as isize - r;
                        // reflect (scipy "reflect": d c b a | a b c d | d c b a)
                        while j < 0 || j >= n {
                            j = if j < 0 { -j - 1 } else { 2 * n - j - 1 };
                        }
                        acc += w * src[j as usize];
                    }
                    *o = acc;
                }
            }
        }
        v
    };
    let vols: Vec<Array3<f64>> = (0..nt)
        .into_par_iter()
        .map(|t| {
            let v = Array3::from_shape_fn((s[0], s[1], s[2]), |(i, j, k)| {
                if img.data.ndim() == 4 {
                    img.data[[i, j, k, t]] as f64
                } else {
                    img.data[[i, j, k]] as f64
                }
            });
            smooth_vol(v)
        })
        .collect();
    for (t, v) in vols.into_iter().enumerate() {
        for ((i, j, k), &x) in v.indexed_iter() {
            if img.data.ndim() == 4 {
                out.data[[i, j, k, t]] = x as f32;
            } else {
                out.data[[i, j, k]] = x as f32;
            }
        }
    }
    Ok(out)
}

/// Keep only the listed volumes of a 4-D image (nilearn `index_img(img, idx)`), e.g. to censor
/// flagged volumes.
pub fn index_img(img: &Img, volumes: &[usize]) -> Result<Img> {
    if img.data.ndim() != 4 {
        return Err(Error::shape(
            "index_img input",
            "a 4-D image",
            format!("{} dimensions", img.data.ndim()),
        ));
    }
    let nt = img.n_volumes();
    if let Some(&bad) = volumes.iter().find(|&&v| v >= nt) {
        return Err(Error::data(format!("index_img: volume {bad} does not exist (image has {nt})")));
    }
    Ok(Img { data: img.data.select(Axis(3), volumes), ..img.clone() })
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
    fn smoothing_keeps_the_mean_and_spreads_by_fwhm() {
        let mut data = ArrayD::<f32>::zeros(IxDyn(&[21, 21, 21]));
        data[[10, 10, 10]] = 1.0;
        let img = Img {
            data,
            affine: affine_ras([2.0, 2.0, 4.0], [0.0; 3]),
            zooms: [2.0, 2.0, 4.0],
            tr: None,
            warnings: Vec::new(),
        };
        let sm = smooth_img(&img, 8.0).unwrap();
        let total: f32 = sm.data.iter().sum();
        assert!((total - 1.0).abs() < 1e-4);
        // FWHM 8 mm: half maximum at 4 mm = 2 voxels along x, 1 voxel along z
        let c = sm.data[[10, 10, 10]];
        assert!((sm.data[[12, 10, 10]] / c - 0.5).abs() < 0.02);
        assert!((sm.data[[10, 10, 11]] / c - 0.5).abs() < 0.02);
        assert!(smooth_img(&img, -1.0).is_err());
    }

    #[test]
    fn mask_round_trip_and_mismatch() {
        let img = Img {
            data: ArrayD::from_shape_fn(IxDyn(&[3, 4, 2, 5]), |ix| (ix[0] + 10 * ix[3]) as f32),
            affine: affine_ras([3.0; 3], [0.0; 3]),
            zooms: [3.0; 3],
            tr: Some(2.0),
            warnings: Vec::new(),
        };
        let m =
            Mask::from_array(Array3::from_shape_fn((3, 4, 2), |(i, j, _)| i == 1 && j < 2), &img).unwrap();
        let x = m.apply(&img).unwrap();
        assert_eq!(x.dim(), (5, 4));
        assert_eq!(x[[2, 0]], 21.0);
        let back = m.unmask(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(back.data[[1, 0, 0]], 1.0);
        assert!(m.unmask(&[1.0]).is_err());
        let other = Img { affine: affine_ras([2.0; 3], [0.0; 3]), ..img.clone() };
        assert!(m.apply(&other).unwrap_err().to_string().contains("affine"));
        let small = Img { data: ArrayD::zeros(IxDyn(&[2, 4, 2, 5])), ..img.clone() };
        assert!(m.apply(&small).is_err());
        assert!(Mask::from_img(&Img { data: ArrayD::zeros(IxDyn(&[3, 4, 2])), ..img.clone() }).is_err());
    }
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
