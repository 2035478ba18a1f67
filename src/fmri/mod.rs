//! fMRI: NIfTI images ([`io::Img`]) and the GLM's building blocks.

pub mod glm;
pub mod io;

pub use io::{affine_ras, load_img, save_img, Dtype, Img};
