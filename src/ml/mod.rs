//! Machine learning shared by the EEG and fMRI sessions: cross-validation splits
//! ([`cv`]), linear classifiers behind a standard scaler ([`classify`]), scores
//! ([`metrics`]) and the decoding analyses built from them ([`decoding`]). Labels are binary
//! (`true` = the class of interest, e.g. faces), as in the workshop's contrasts.
//!
//! Names follow scikit-learn, which MNE and nilearn build on: `Cv::stratified(5)` is
//! `StratifiedKFold(5)`, `cross_val_score`, `permutation_test_score`; the time-resolved
//! analyses follow MNE's `SlidingEstimator` and `GeneralizingEstimator`.

pub mod classify;
pub mod cv;
pub mod decoding;
pub mod metrics;
pub mod stats;

pub use classify::{Classifier, Fitted};
pub use cv::{Cv, Split};
pub use decoding::{
    cross_val_score, generalizing_score, mean_over_folds, permutation_test_score,
    sliding_permutation_threshold, sliding_score, CvScore, PermutationTest,
};
pub use metrics::{accuracy, roc_auc, Scoring};
