//! fMRI: NIfTI images ([`io::Img`]), events, quality control, masks and cleaning, the GLM,
//! and searchlight decoding.

pub mod events;
pub mod glm;
pub mod io;
pub mod preprocess;
pub mod qc;
pub mod searchlight;

pub use events::{read_attributes, read_events, read_motion, Attributes, Events};
pub use glm::{fit_first_level, make_first_level_design_matrix, DesignMatrix, FirstLevel};
pub use io::{affine_ras, load_img, save_img, Dtype, Img};
pub use preprocess::{
    clean, compute_epi_mask, index_img, mean_img, smooth_img, trial_patterns, CleanOptions, Mask,
};
pub use qc::{censor, check_img, compute_qc, framewise_displacement, Qc, QcThresholds};
pub use searchlight::{SearchLight, SearchLightResult, SlEstimator};
