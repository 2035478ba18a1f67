//! [`NiftiMasker`]: mask and clean in one step — nilearn's `NiftiMasker(mask_img, runs=...,
//! detrend=..., standardize=..., high_pass=..., t_r=...)`, from an image to a `samples ×
//! voxels` matrix and back.

use ndarray::Array2;

use crate::error::{Error, Result};
use crate::fmri::io::{Img, Mask};
use crate::fmri::preprocess::{clean, CleanOptions};

/// A mask with cleaning options: [`NiftiMasker::transform`] turns a 4-D image into `volumes ×
/// voxels` signals cleaned run by run, [`NiftiMasker::inverse_transform`] puts one value per
/// voxel back on the grid, [`NiftiMasker::mean_signal`] averages over the mask.
///
/// Mirrors nilearn's `NiftiMasker`, with its names and defaults: `detrend=False`,
/// `standardize=False`, no `high_pass` — so by default `transform` returns the masked values
/// as they are. Differs from nilearn:
/// - the mask is required (nilearn computes one from the data when `mask_img` is None; use
///   [`crate::fmri::compute_epi_mask`] for that), so `fit` has nothing to learn and
///   `fit_transform` is `transform`;
/// - as soon as any cleaning is asked for, each run's mean is removed as well (nilearn keeps
///   it when neither `detrend` nor `standardize` is set);
/// - `standardize(true)` is nilearn's `standardize="zscore_sample"` (sample standard
///   deviation, ddof = 1), see [`crate::fmri::clean`];
/// - `t_r` defaults to the image's TR (nilearn asks for it);
/// - no `smoothing_fwhm`, `low_pass`, confounds or `sample_mask` (smooth with
///   [`crate::fmri::smooth_img`], censor with [`crate::fmri::censor`] first).
#[derive(Clone, Debug)]
pub struct NiftiMasker {
    mask: Mask,
    runs: Option<Vec<i64>>,
    /// what `clean` is asked for; `t_r: None` means the image's TR
    opts: CleanOptions,
}

impl NiftiMasker {
    /// A masker on `mask` that does not clean (nilearn `NiftiMasker(mask_img=mask)`).
    pub fn new(mask: &Mask) -> NiftiMasker {
        let opts = CleanOptions { detrend: false, standardize: false, high_pass: None, t_r: None };
        NiftiMasker { mask: mask.clone(), runs: None, opts }
    }
    /// Remove a linear trend per run (nilearn `detrend=True`).
    pub fn detrend(mut self, on: bool) -> Self {
        self.opts.detrend = on;
        self
    }
    /// z-score each voxel per run (nilearn `standardize="zscore_sample"`).
    pub fn standardize(mut self, on: bool) -> Self {
        self.opts.standardize = on;
        self
    }
    /// Regress out cosine drifts below `hz` per run (nilearn `high_pass=hz`; needs a TR).
    pub fn high_pass(mut self, hz: f64) -> Self {
        self.opts.high_pass = Some(hz);
        self
    }
    /// The repetition time in seconds, if the image's header has none or a wrong one
    /// (nilearn `t_r`).
    pub fn t_r(mut self, seconds: f64) -> Self {
        self.opts.t_r = Some(seconds);
        self
    }
    /// The run of each volume: each run is cleaned on its own (nilearn `runs`). Without it the
    /// image is one run.
    pub fn runs(mut self, runs: impl IntoIterator<Item = i64>) -> Self {
        self.runs = Some(runs.into_iter().collect());
        self
    }
    /// The mask (nilearn `masker.mask_img_`).
    pub fn mask(&self) -> &Mask {
        &self.mask
    }

    /// The image's voxels inside the mask as `volumes × voxels` (columns in [`Mask::voxels`]
    /// order), cleaned per run as set (nilearn `masker.transform(img)`). Errors on a grid or
    /// affine mismatch, and (as [`clean`]) on a non-finite value, run labels that are not one
    /// per volume, a `high_pass` that is not a positive frequency, or a `high_pass` without a TR.
    pub fn transform(&self, img: &Img) -> Result<Array2<f64>> {
        let x = self.mask.apply(img)?;
        let o = &self.opts;
        if !(o.detrend || o.standardize || o.high_pass.is_some()) {
            return Ok(x);
        }
        let runs = self.runs.clone().unwrap_or_else(|| vec![0; x.nrows()]);
        clean(x.view(), &runs, &CleanOptions { t_r: o.t_r.or(img.tr()), ..o.clone() })
    }

    /// nilearn's `masker.fit_transform(img)`: the mask is given, so this is [`NiftiMasker::transform`].
    pub fn fit_transform(&self, img: &Img) -> Result<Array2<f64>> {
        self.transform(img)
    }

    /// One value per mask voxel back on the grid as a 3-D image, zero outside (nilearn
    /// `masker.inverse_transform(values)` for one sample; nilearn also turns `samples ×
    /// voxels` into a 4-D image).
    pub fn inverse_transform(&self, values: &[f64]) -> Result<Img> {
        self.mask.unmask(values)
    }

    /// The mean over the mask of each (cleaned) volume: one value per volume — what nilearn
    /// users get with `masker.fit_transform(img).mean(axis=1)` or
    /// `NiftiLabelsMasker(strategy="mean")` on a one-region atlas. Errors on an empty mask.
    pub fn mean_signal(&self, img: &Img) -> Result<Vec<f64>> {
        let x = self.transform(img)?;
        if x.ncols() == 0 {
            return Err(Error::data("mean_signal: the mask has no voxel"));
        }
        Ok(x.rows().into_iter().map(|r| r.mean().unwrap_or(0.0)).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmri::io::affine_ras;
    use ndarray::{Array3, Array4};

    fn run() -> (Img, Mask) {
        let data = Array4::from_shape_fn((3, 2, 2, 12), |(i, j, _, t)| {
            100.0 * (i + 1) as f32 + t as f32 * (j + 1) as f32 + ((t * 7) % 3) as f32
        });
        let img = Img::new(data, affine_ras([3.0; 3], [0.0; 3]), Some(2.0)).unwrap();
        let mask =
            Mask::from_array(Array3::from_shape_fn((3, 2, 2), |(i, _, k)| i > 0 && k == 0), &img).unwrap();
        (img, mask)
    }

    #[test]
    fn defaults_do_not_clean_and_options_clean_per_run() {
        let (img, mask) = run();
        let m = NiftiMasker::new(&mask);
        assert_eq!(m.fit_transform(&img).unwrap(), mask.apply(&img).unwrap());
        let runs: Vec<i64> = (0..12).map(|t| t / 6).collect();
        let z = NiftiMasker::new(&mask).detrend(true).standardize(true).runs(runs.clone());
        let want = clean(mask.apply(&img).unwrap().view(), &runs, &CleanOptions::default()).unwrap();
        assert_eq!(z.transform(&img).unwrap(), want);
        // high_pass takes the image's TR unless told otherwise
        let hp = NiftiMasker::new(&mask).high_pass(0.05).transform(&img).unwrap();
        let opts = CleanOptions { detrend: false, standardize: false, high_pass: Some(0.05), t_r: Some(2.0) };
        assert_eq!(hp, clean(mask.apply(&img).unwrap().view(), &[0; 12], &opts).unwrap());
        assert!(NiftiMasker::new(&mask).high_pass(-1.0).transform(&img).is_err());
        assert!(NiftiMasker::new(&mask).detrend(true).runs([0, 1]).transform(&img).is_err());
    }

    #[test]
    fn mean_signal_and_inverse_transform() {
        let (img, mask) = run();
        let m = NiftiMasker::new(&mask);
        let x = mask.apply(&img).unwrap();
        let mean = m.mean_signal(&img).unwrap();
        assert_eq!(mean.len(), 12);
        assert!((mean[3] - x.row(3).sum() / x.ncols() as f64).abs() < 1e-9);
        let back = m.inverse_transform(&vec![2.0; mask.n_voxels()]).unwrap();
        assert_eq!(
            (back.shape(), back.data()[[1, 0, 0, 0]], back.data()[[0, 0, 0, 0]]),
            (&[3, 2, 2][..], 2.0, 0.0)
        );
        let empty = Mask::from_array(Array3::from_elem((3, 2, 2), false), &img).unwrap();
        assert!(NiftiMasker::new(&empty).mean_signal(&img).is_err());
    }
}
