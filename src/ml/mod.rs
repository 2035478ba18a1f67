//! Every estimator and score of the crate, shared by the EEG, fMRI and LLM sessions and named
//! after scikit-learn (which MNE and nilearn build on):
//! - [`cv`]: the splitters (`KFold`, `StratifiedKFold` — shuffled as scikit-learn —
//!   `LeaveOneGroupOut`) and the one cross-validation engine, [`cross_validate`], that runs a
//!   fit-and-score closure over the splits; every train/test loop in the crate goes through it;
//! - [`classify`]: linear classifiers behind a standard scaler (logistic regression, linear
//!   SVM, shrinkage LDA); [`linear`]: [`Ridge`] and [`RidgeCv`]; [`decomposition`]: [`pca`];
//! - [`metrics`] (accuracy, ROC AUC) and [`stats`] (median, quantile, [`pearson_r`]);
//! - analyses built from them: [`decoding`] (`cross_val_score`, `permutation_test_score`, and
//!   MNE's `SlidingEstimator` / `GeneralizingEstimator`) and [`encoding`] (cross-validated
//!   ridge encoding models scored with Pearson's r).
//!
//! Labels are binary (`true` = the class of interest, e.g. faces), as in the workshop's
//! contrasts. `ml` imports only `crate::error`: figures of its results live in `crate::plot`
//! (`Pca::plot` in `plot/llm.rs`), and the domains (`eeg`, `fmri`, `llm`) call into `ml`, never
//! the reverse.

pub mod classify;
pub mod cv;
pub mod decoding;
pub mod decomposition;
pub mod encoding;
pub mod linear;
pub mod metrics;
pub mod stats;

pub use classify::{Classifier, Fitted};
pub use cv::{cross_validate, cross_validate_splits, Cv, Split};
pub use decoding::{
    cross_val_score, generalizing_score, mean_over_folds, permutation_test_score,
    sliding_permutation_threshold, sliding_score, CvScore, PermutationTest,
};
pub use decomposition::{pca, Pca};
pub use encoding::{encoding_score, EncodingScore};
pub use linear::{Ridge, RidgeCv, RidgeFit};
pub use metrics::{accuracy, roc_auc, Scoring};
pub use stats::pearson_r;
