//! Encoding models: predict a measured response (a voxel, an EEG amplitude, a reading time)
//! from features, cross-validated and scored with Pearson's r on held-out samples — the score
//! of encoding-model papers. Not tied to language models: the features can be a layer's
//! vectors (`crate::llm::encoding_by_layer`), a design matrix or image statistics.
//!
//! [`encoding_score`] is scikit-learn's `cross_val_score(RidgeCV(alphas), X, y, cv=KFold(k),
//! scoring=make_scorer(lambda y, p: pearsonr(y, p)[0]))`, run by the one cross-validation
//! engine ([`crate::ml::cv::cross_validate`]). Checked against scikit-learn 1.7 in
//! `tests/llm_analysis.rs`.

use ndarray::{ArrayView1, ArrayView2, Axis};

use crate::error::Result;
use crate::ml::cv::{cross_validate, Cv};
use crate::ml::linear::{check_xy, RidgeCv};
use crate::ml::stats::pearson_r;

/// Cross-validated encoding score of one feature set.
#[derive(Clone, Debug)]
pub struct EncodingScore {
    /// Pearson r between predicted and measured values on each held-out fold.
    pub fold_r: Vec<f64>,
    /// The alpha RidgeCV chose in each fold.
    pub fold_alpha: Vec<f64>,
}

impl EncodingScore {
    /// Mean r over folds.
    pub fn mean(&self) -> f64 {
        self.fold_r.iter().sum::<f64>() / self.fold_r.len().max(1) as f64
    }
    /// Standard error of the mean r over folds.
    pub fn sem(&self) -> f64 {
        let k = self.fold_r.len();
        if k < 2 {
            return 0.0;
        }
        let m = self.mean();
        let var = self.fold_r.iter().map(|r| (r - m) * (r - m)).sum::<f64>() / (k - 1) as f64;
        (var / k as f64).sqrt()
    }
}

/// An encoding model: `RidgeCV(alphas)` fitted on the training folds of `cv` (scikit-learn
/// `KFold(k)` without shuffling, or any [`Cv`] that needs no class labels), scored on each
/// held-out fold with Pearson's r between predicted and measured `y` —
/// `cross_val_score(RidgeCV(alphas), X, y, cv=KFold(k), scoring=make_scorer(pearsonr))`.
/// A stratified `cv` is an error: a continuous response has no classes to stratify.
pub fn encoding_score(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    cv: &Cv,
    ridge: &RidgeCv,
) -> Result<EncodingScore> {
    check_xy("encoding_score", x, y)?;
    let per = cross_validate(cv, y.len(), None, |s| {
        let xt = x.select(Axis(0), &s.train);
        let yt = y.select(Axis(0), &s.train);
        let fit = ridge.fit(xt.view(), yt.view())?;
        let pred = fit.predict(x.select(Axis(0), &s.test).view())?;
        Ok((pearson_r(pred.view(), y.select(Axis(0), &s.test).view())?, fit.alpha))
    })?;
    let (fold_r, fold_alpha) = per.into_iter().unzip();
    Ok(EncodingScore { fold_r, fold_alpha })
}
