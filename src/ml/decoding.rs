//! Cross-validated decoding: whole-pattern scores, permutation tests, and the per-time-point
//! ("sliding") and temporal-generalisation analyses of MNE's `mne.decoding`. Every loop over
//! folds is the crate's one cross-validation engine ([`crate::ml::cv::cross_validate`]); folds
//! and time points run in parallel (rayon).

use ndarray::{Array2, Array3, ArrayView2, ArrayView3, Axis};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rayon::prelude::*;

use crate::error::{Error, Result};
use crate::ml::classify::Classifier;
use crate::ml::cv::{cross_validate, Cv, Split};
use crate::ml::metrics::{accuracy, roc_auc, Scoring};

/// Per-fold scores of a cross-validation, with their mean and standard deviation.
#[derive(Clone, Debug)]
pub struct CvScore {
    pub per_fold: Vec<f64>,
    pub mean: f64,
    pub std: f64,
    pub scoring: Scoring,
}

impl CvScore {
    fn new(per_fold: Vec<f64>, scoring: Scoring) -> Self {
        let n = per_fold.len().max(1) as f64;
        let mean = per_fold.iter().sum::<f64>() / n;
        let std = (per_fold.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
        CvScore { per_fold, mean, std, scoring }
    }
}

impl std::fmt::Display for CvScore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self.scoring {
            Scoring::Accuracy => "accuracy",
            Scoring::RocAuc => "ROC AUC",
        };
        let folds: Vec<String> = self.per_fold.iter().map(|v| format!("{v:.3}")).collect();
        write!(
            f,
            "{name} {:.3} ± {:.3} over {} folds [{}]",
            self.mean,
            self.std,
            self.per_fold.len(),
            folds.join(", ")
        )
    }
}

fn score(scoring: Scoring, y: &[bool], d: &[f64]) -> Result<f64> {
    match scoring {
        Scoring::RocAuc => roc_auc(y, d),
        Scoring::Accuracy => accuracy(y, &d.iter().map(|&v| v > 0.0).collect::<Vec<_>>()),
    }
}

fn check_xy(n: usize, y: &[bool]) -> Result<()> {
    if y.len() != n {
        return Err(Error::shape("decoding labels", format!("{n} (one per sample)"), y.len()));
    }
    Ok(())
}

/// Fit `clf` on the training rows of one split and score it on the test rows (one fold of
/// scikit-learn's `cross_val_score`; the searchlight's generic estimator runs it per sphere).
pub(crate) fn fold_score(
    x: ArrayView2<f64>,
    y: &[bool],
    s: &Split,
    clf: &Classifier,
    scoring: Scoring,
) -> Result<f64> {
    let xtr = x.select(Axis(0), &s.train);
    let ytr: Vec<bool> = s.train.iter().map(|&i| y[i]).collect();
    let fitted = clf.fit(xtr.view(), &ytr)?;
    let xte = x.select(Axis(0), &s.test);
    let yte: Vec<bool> = s.test.iter().map(|&i| y[i]).collect();
    let d = fitted.decision_function(xte.view())?;
    score(scoring, &yte, d.as_slice().unwrap_or(&d.to_vec()))
}

/// Cross-validated score of one pattern per sample (rows of `x`): scikit-learn's
/// `cross_val_score(clf, X, y, cv=cv, scoring=...)`, MNE's `cross_val_multiscore` for 2-D X.
pub fn cross_val_score(
    x: ArrayView2<f64>,
    y: &[bool],
    cv: &Cv,
    clf: &Classifier,
    scoring: Scoring,
) -> Result<CvScore> {
    check_xy(x.nrows(), y)?;
    let per_fold = cross_validate(cv, y.len(), Some(y), |s| fold_score(x, y, s, clf, scoring))?;
    Ok(CvScore::new(per_fold, scoring))
}

/// Result of [`permutation_test_score`].
#[derive(Clone, Debug)]
pub struct PermutationTest {
    /// the cross-validated score with the true labels
    pub score: f64,
    /// the same score with shuffled labels, once per permutation
    pub permutation_scores: Vec<f64>,
    /// `(1 + #{permutation ≥ score}) / (1 + n_permutations)`
    pub pvalue: f64,
}

/// scikit-learn's `permutation_test_score`: how often does shuffling the labels give a
/// cross-validated score at least as good as the real one? Seeded, so the same call gives
/// the same p-value. Permutations run in parallel.
pub fn permutation_test_score(
    x: ArrayView2<f64>,
    y: &[bool],
    cv: &Cv,
    clf: &Classifier,
    scoring: Scoring,
    n_permutations: usize,
    seed: u64,
) -> Result<PermutationTest> {
    if n_permutations == 0 {
        return Err(Error::data("permutation_test_score: n_permutations must be at least 1"));
    }
    let real = cross_val_score(x, y, cv, clf, scoring)?.mean;
    let perms = shuffled_labels(y, n_permutations, seed);
    let permutation_scores: Result<Vec<f64>> =
        perms.par_iter().map(|yp| Ok(cross_val_score(x, yp, cv, clf, scoring)?.mean)).collect();
    let permutation_scores = permutation_scores?;
    let c = permutation_scores.iter().filter(|&&s| s >= real).count();
    Ok(PermutationTest {
        score: real,
        pvalue: (c + 1) as f64 / (n_permutations + 1) as f64,
        permutation_scores,
    })
}

fn shuffled_labels(y: &[bool], n: usize, seed: u64) -> Vec<Vec<bool>> {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    (0..n)
        .map(|_| {
            let mut v = y.to_vec();
            v.shuffle(&mut rng);
            v
        })
        .collect()
}

fn check_3d(x: ArrayView3<f64>, y: &[bool]) -> Result<()> {
    check_xy(x.len_of(Axis(0)), y)?;
    if x.len_of(Axis(2)) == 0 {
        return Err(Error::data("decoding: the data have no time points"));
    }
    Ok(())
}

/// Per-time-point decoding, folds × times: MNE's
/// `cross_val_multiscore(SlidingEstimator(clf, scoring=...), X, y, cv=cv)` with `x` shaped
/// (samples, features, times) like `epochs.get_data()`. One classifier per time point, fitted
/// on the features (channels) at that time.
pub fn sliding_score(
    x: ArrayView3<f64>,
    y: &[bool],
    cv: &Cv,
    clf: &Classifier,
    scoring: Scoring,
) -> Result<Array2<f64>> {
    check_3d(x, y)?;
    let per_fold = time_resolved(x, y, cv, clf, scoring, false)?;
    let n_t = x.len_of(Axis(2));
    let flat: Vec<f64> = per_fold.into_iter().flatten().flatten().collect();
    Ok(Array2::from_shape_vec((flat.len() / n_t, n_t), flat)?)
}

/// The loop MNE's `SlidingEstimator` and `GeneralizingEstimator` (its subclass) share: in each
/// fold, for each training time t, fit `clf` on the features at t; score it at t only
/// (sliding, through `decision_function`) or at every test time (generalising, through the
/// raw weights on the test samples' features at that time). Returns folds × train times ×
/// test times.
fn time_resolved(
    x: ArrayView3<f64>,
    y: &[bool],
    cv: &Cv,
    clf: &Classifier,
    scoring: Scoring,
    generalize: bool,
) -> Result<Vec<Vec<Vec<f64>>>> {
    let n_t = x.len_of(Axis(2));
    cross_validate(cv, y.len(), Some(y), |s: &Split| {
        let ytr: Vec<bool> = s.train.iter().map(|&i| y[i]).collect();
        let yte: Vec<bool> = s.test.iter().map(|&i| y[i]).collect();
        let xte = generalize.then(|| x.select(Axis(0), &s.test)); // test × features × times
        (0..n_t)
            .into_par_iter()
            .map(|t| {
                let xt = x.index_axis(Axis(2), t);
                let fitted = clf.fit(xt.select(Axis(0), &s.train).view(), &ytr)?;
                let Some(xte) = &xte else {
                    let d = fitted.decision_function(xt.select(Axis(0), &s.test).view())?;
                    return Ok(vec![score(scoring, &yte, d.as_slice().unwrap_or(&d.to_vec()))?]);
                };
                let (w, b) = fitted.raw_weights();
                (0..n_t)
                    .map(|t2| {
                        let d = xte.index_axis(Axis(2), t2).dot(&w) + b;
                        score(scoring, &yte, &d.to_vec())
                    })
                    .collect()
            })
            .collect()
    })
}

/// Mean over folds of a folds × points score array.
pub fn mean_over_folds(scores: &Array2<f64>) -> Vec<f64> {
    scores.mean_axis(Axis(0)).map(|m| m.to_vec()).unwrap_or_default()
}

/// Temporal generalisation, folds × train time × test time: MNE's
/// `cross_val_multiscore(GeneralizingEstimator(clf, scoring=...), X, y, cv=cv)`. A classifier
/// trained at one time is tested at every time: a square along the diagonal means a
/// sustained code, a narrow diagonal a changing one.
pub fn generalizing_score(
    x: ArrayView3<f64>,
    y: &[bool],
    cv: &Cv,
    clf: &Classifier,
    scoring: Scoring,
) -> Result<Array3<f64>> {
    check_3d(x, y)?;
    let per_fold = time_resolved(x, y, cv, clf, scoring, true)?;
    let n_t = x.len_of(Axis(2));
    let flat: Vec<f64> = per_fold.into_iter().flatten().flatten().collect();
    Ok(Array3::from_shape_vec((flat.len() / (n_t * n_t), n_t, n_t), flat)?)
}

/// A threshold for "decoding above chance" along a sliding curve that corrects for testing
/// every time point: the `1 − alpha` quantile, over `n_permutations` label shuffles, of the
/// *maximum over time* of the fold-mean sliding score (the max-statistic permutation test;
/// MNE users reach for cluster tests across subjects, which a single subject does not have).
// the arguments are scikit-learn's (X, y, cv, estimator, scoring, n_permutations, random_state)
// plus alpha, in the order a notebook passes them
#[allow(clippy::too_many_arguments)]
pub fn sliding_permutation_threshold(
    x: ArrayView3<f64>,
    y: &[bool],
    cv: &Cv,
    clf: &Classifier,
    scoring: Scoring,
    n_permutations: usize,
    alpha: f64,
    seed: u64,
) -> Result<f64> {
    check_3d(x, y)?;
    if n_permutations == 0 || !(alpha > 0.0 && alpha < 1.0) {
        return Err(Error::data("sliding_permutation_threshold: need n_permutations ≥ 1 and 0 < alpha < 1"));
    }
    let mut maxima = Vec::with_capacity(n_permutations);
    for yp in shuffled_labels(y, n_permutations, seed) {
        let s = sliding_score(x, &yp, cv, clf, scoring)?;
        maxima.push(mean_over_folds(&s).into_iter().fold(f64::NEG_INFINITY, f64::max));
    }
    maxima.sort_by(f64::total_cmp);
    let k = (((1.0 - alpha) * n_permutations as f64).ceil() as usize).clamp(1, n_permutations) - 1;
    Ok(maxima[k])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array3;
    use rand::Rng;

    /// 3-D data with an effect only at times 4..7 on feature 0.
    fn data(seed: u64) -> (Array3<f64>, Vec<bool>) {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
        let n = 60;
        let y: Vec<bool> = (0..n).map(|i| i % 3 != 0).collect();
        let x = Array3::from_shape_fn((n, 4, 10), |(i, c, t)| {
            rng.gen_range(-1.0..1.0) + if y[i] && c == 0 && (4..7).contains(&t) { 1.5 } else { 0.0 }
        });
        (x, y)
    }

    #[test]
    fn sliding_finds_the_window_and_generalising_matches_its_diagonal() {
        let (x, y) = data(3);
        let cv = Cv::stratified(5);
        let clf = Classifier::lda();
        let s = sliding_score(x.view(), &y, &cv, &clf, Scoring::RocAuc).unwrap();
        assert_eq!(s.dim(), (5, 10));
        let m = mean_over_folds(&s);
        assert_eq!(m.len(), 10);
        for (t, &mt) in m.iter().enumerate() {
            if (4..7).contains(&t) {
                assert!(mt > 0.85, "t={t}: {mt}");
            } else {
                assert!(mt < 0.75, "t={t}: {mt}");
            }
        }
        let g = generalizing_score(x.view(), &y, &cv, &clf, Scoring::RocAuc).unwrap();
        for (t, &mt) in m.iter().enumerate() {
            let diag = g.index_axis(Axis(1), t).index_axis(Axis(1), t).mean().unwrap();
            assert!((diag - mt).abs() < 1e-9, "diagonal = sliding at {t}");
        }
        let thr =
            sliding_permutation_threshold(x.view(), &y, &cv, &clf, Scoring::RocAuc, 20, 0.05, 1).unwrap();
        assert!(thr > 0.5 && thr < 0.85, "threshold {thr}");
    }

    #[test]
    fn permutation_p_value_small_for_signal_large_for_noise() {
        let (x, y) = data(4);
        let flat = x.index_axis(Axis(2), 5).to_owned();
        let clf = Classifier::logistic();
        let p = permutation_test_score(flat.view(), &y, &Cv::stratified(5), &clf, Scoring::RocAuc, 30, 0)
            .unwrap();
        assert!(p.score > 0.85 && p.pvalue <= 1.0 / 31.0 + 1e-12, "{} {}", p.score, p.pvalue);
        let noise = x.index_axis(Axis(2), 0).to_owned();
        let p = permutation_test_score(noise.view(), &y, &Cv::stratified(5), &clf, Scoring::RocAuc, 30, 0)
            .unwrap();
        assert!(p.pvalue > 0.05, "noise p {}", p.pvalue);
        let c = cross_val_score(
            flat.view(),
            &y,
            &Cv::stratified(5),
            &Classifier::linear_svm(),
            Scoring::Accuracy,
        )
        .unwrap();
        assert!(c.mean > 0.8, "{c}");
        assert!(cross_val_score(flat.view(), &y[..10], &Cv::stratified(5), &clf, Scoring::Accuracy).is_err());
    }
}
