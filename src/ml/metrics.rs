//! Scores for binary decoding, as scikit-learn's `metrics` computes them.

use crate::error::{Error, Result};

/// What a cross-validation reports per fold (scikit-learn's `scoring=` strings).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scoring {
    /// `"accuracy"`: fraction of test samples classified right (chance = the larger class's share).
    Accuracy,
    /// `"roc_auc"`: area under the ROC curve of the decision values (chance = 0.5 whatever
    /// the class balance) — MNE's decoding tutorials use it.
    RocAuc,
}

/// scikit-learn `accuracy_score(y_true, y_pred)`.
pub fn accuracy(y_true: &[bool], y_pred: &[bool]) -> Result<f64> {
    if y_true.len() != y_pred.len() || y_true.is_empty() {
        return Err(Error::shape(
            "accuracy: predictions",
            format!("{} (one per label)", y_true.len()),
            y_pred.len(),
        ));
    }
    Ok(y_true.iter().zip(y_pred).filter(|(a, b)| a == b).count() as f64 / y_true.len() as f64)
}

/// scikit-learn `roc_auc_score(y_true, scores)`: the probability that a random positive
/// sample scores higher than a random negative one (ties count one half), computed from
/// ranks (Mann–Whitney U).
pub fn roc_auc(y_true: &[bool], scores: &[f64]) -> Result<f64> {
    if y_true.len() != scores.len() {
        return Err(Error::shape(
            "roc_auc: scores",
            format!("{} (one per label)", y_true.len()),
            scores.len(),
        ));
    }
    if scores.iter().any(|s| !s.is_finite()) {
        return Err(Error::data("roc_auc: scores contain NaN or infinite values"));
    }
    let n_pos = y_true.iter().filter(|&&v| v).count();
    let n_neg = y_true.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return Err(Error::data("roc_auc: only one class present in y_true; ROC AUC is not defined"));
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // average ranks over ties (1-based)
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        let avg = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if y_true[k] {
                rank_sum_pos += avg;
            }
        }
        i = j + 1;
    }
    let u = rank_sum_pos - (n_pos * (n_pos + 1)) as f64 / 2.0;
    Ok(u / (n_pos as f64 * n_neg as f64))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_and_accuracy() {
        // sklearn: roc_auc_score([0,0,1,1], [0.1,0.4,0.35,0.8]) == 0.75
        assert!((roc_auc(&[false, false, true, true], &[0.1, 0.4, 0.35, 0.8]).unwrap() - 0.75).abs() < 1e-12);
        // ties count one half: all equal → 0.5
        assert_eq!(roc_auc(&[false, true, true], &[1.0, 1.0, 1.0]).unwrap(), 0.5);
        assert!(roc_auc(&[true, true], &[1.0, 2.0]).is_err());
        assert!(roc_auc(&[true, false], &[f64::NAN, 2.0]).is_err());
        assert_eq!(accuracy(&[true, false, true, true], &[true, true, true, false]).unwrap(), 0.5);
    }
}
