//! fMRI: NIfTI images and masks ([`io::Img`], [`io::Mask`]), masking with cleaning
//! ([`masker::NiftiMasker`]), events, quality control, preprocessing, the GLM, and searchlight
//! decoding. Pictures of all of these live in [`crate::plot::fmri`].

pub mod events;
pub mod glm;
pub mod io;
pub mod masker;
pub mod preprocess;
pub mod qc;
pub mod searchlight;

pub use events::{read_attributes, read_events, read_motion, Attributes, Events};
pub use glm::{fit_first_level, make_first_level_design_matrix, DesignMatrix, FirstLevel};
pub use io::{affine_ras, load_img, save_img, Dtype, Img, Mask};
pub use masker::NiftiMasker;
pub use preprocess::{
    clean, compute_epi_mask, index_img, mean_img, smooth_img, trial_patterns, CleanOptions,
};
pub use qc::{censor, check_img, compute_qc, framewise_displacement, Qc, QcThresholds};
pub use searchlight::{SearchLight, SearchLightResult, SlEstimator};
