//! Descriptive statistics shared by every session: medians and quantiles (numpy's
//! `nanmedian` / `nanquantile` with the default linear interpolation) and Pearson's correlation
//! ([`pearson_r`], scipy's `pearsonr` statistic), the score of encoding models and of pattern
//! similarity.
//!
//! Medians and quantiles are a sort (`f64::total_cmp`) and numpy's interpolation, written here
//! rather than taken from ndarray-stats 0.6 (the release for ndarray 0.16): its quickselect
//! (`_get_many_from_sorted_mut_unchecked`, `src/sort.rs`) recurses once per element equal to its
//! pivot, so a flat EEG channel of 20 000 equal samples — what `find_bad_channels` looks for —
//! overflows the stack, and long runs of ties cost O(n²).

use ndarray::{Array1, Array2, ArrayView1, ArrayView2, Axis};

use crate::error::{Error, Result};

/// The numbers of `v` (NaNs dropped), sorted ascending.
pub fn sorted_without_nan(v: &[f64]) -> Vec<f64> {
    let mut s: Vec<f64> = v.iter().copied().filter(|x| !x.is_nan()).collect();
    s.sort_unstable_by(f64::total_cmp);
    s
}

/// The `q`-th quantile of values already sorted ascending without NaNs (see [`quantile`]);
/// NaN when `sorted` is empty or `q` is outside [0, 1].
pub fn quantile_sorted(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() || !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The median of values already sorted ascending without NaNs: the middle value, or the mean
/// of the two middle ones (numpy's `median`); NaN when empty.
pub fn median_sorted(sorted: &[f64]) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => 0.5 * (sorted[n / 2 - 1] + sorted[n / 2]),
    }
}

/// The `q`-th quantile (0 ≤ q ≤ 1) of `v`, NaNs skipped, linear interpolation between the two
/// nearest ranks — numpy's `np.nanquantile(v, q)` (default `method="linear"`). NaN when `v`
/// holds no number or `q` is outside [0, 1].
pub fn quantile(v: &[f64], q: f64) -> f64 {
    quantile_sorted(&sorted_without_nan(v), q)
}

/// The median of `v`, NaNs skipped — numpy's `np.nanmedian(v)` (NaN when `v` holds no
/// number).
pub fn median(v: &[f64]) -> f64 {
    median_sorted(&sorted_without_nan(v))
}

/// Pearson correlation of two equally long series — the statistic of scipy's
/// `scipy.stats.pearsonr(a, b)` (no p-value). Differs: 0 when either series is constant
/// (scipy returns NaN with a warning), so a flat fold scores "no prediction" instead of
/// poisoning a mean. Errors when the lengths differ or fewer than 2 values are given.
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

/// An error naming the first NaN/Inf of `x` (row and column), for estimators that need
/// finite input (scikit-learn's `check_array(force_all_finite=True)`).
pub(crate) fn check_finite(what: &str, x: ArrayView2<f64>) -> Result<()> {
    if let Some(pos) = x.indexed_iter().find(|(_, v)| !v.is_finite()).map(|(p, _)| p) {
        return Err(Error::data(format!(
            "{what}: value at row {}, column {} is not finite (NaN or Inf)",
            pos.0, pos.1
        )));
    }
    Ok(())
}

/// The columns of `x` minus their means, and the means (scikit-learn's `_preprocess_data` /
/// PCA centring).
pub(crate) fn center(x: ArrayView2<f64>) -> (Array2<f64>, Array1<f64>) {
    let mean = x.mean_axis(Axis(0)).unwrap_or_else(|| Array1::zeros(x.ncols()));
    (&x - &mean, mean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_and_quantiles_are_numpys() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[f64::NAN, 5.0, 1.0]), 3.0);
        assert!(median(&[]).is_nan());
        assert!(median(&[f64::NAN]).is_nan());
        // np.quantile([1, 2, 3, 4, 10], [0.1, 0.75]) = [1.4, 4.0]
        let v = [10.0, 2.0, 1.0, 4.0, 3.0];
        assert!((quantile(&v, 0.1) - 1.4).abs() < 1e-12);
        assert_eq!(quantile(&v, 0.75), 4.0);
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 1.0), 10.0);
        assert!(quantile(&v, 1.5).is_nan());
        // a flat channel (the case that overflowed ndarray-stats' quickselect)
        assert_eq!(median(&vec![0.25; 700_000]), 0.25);
        assert_eq!(quantile(&vec![-1.0; 700_000], 0.75), -1.0);
    }

    #[test]
    fn pearson_is_scipys_and_zero_for_constant_input() {
        let a = ndarray::arr1(&[1.0, 2.0, 3.0, 4.0]);
        let b = ndarray::arr1(&[2.0, 1.0, 4.0, 3.0]);
        // scipy.stats.pearsonr([1, 2, 3, 4], [2, 1, 4, 3]).statistic = 0.6
        assert!((pearson_r(a.view(), b.view()).unwrap() - 0.6).abs() < 1e-12);
        assert_eq!(pearson_r(a.view(), ndarray::arr1(&[5.0; 4]).view()).unwrap(), 0.0);
        assert!(pearson_r(a.view(), b.slice(ndarray::s![..3])).is_err());
    }
}
