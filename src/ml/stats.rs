//! Descriptive statistics shared by every session: medians and quantiles (numpy's
//! `nanmedian` / `nanquantile` with the default linear interpolation), computed by
//! `ndarray-stats` (quickselect, no full sort).

use ndarray::{Array1, Axis};
use ndarray_stats::interpolate::Linear;
use ndarray_stats::QuantileExt;
use noisy_float::types::n64;

/// The `q`-th quantile (0 ≤ q ≤ 1) of `v`, NaNs skipped, linear interpolation between the two
/// nearest ranks — numpy's `np.nanquantile(v, q)` (default `method="linear"`). NaN when `v`
/// holds no number or `q` is outside [0, 1].
pub fn quantile(v: &[f64], q: f64) -> f64 {
    if !(0.0..=1.0).contains(&q) {
        return f64::NAN;
    }
    let mut a = Array1::from(v.to_vec());
    match a.quantile_axis_skipnan_mut(Axis(0), n64(q), &Linear) {
        Ok(r) => r.into_scalar(),
        Err(_) => f64::NAN,
    }
}

/// The median of `v`, NaNs skipped — numpy's `np.nanmedian(v)` (NaN when `v` holds no
/// number).
pub fn median(v: &[f64]) -> f64 {
    quantile(v, 0.5)
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
    }
}
