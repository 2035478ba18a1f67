//! Reading and writing EEG files (MNE's `mne.io`).

pub mod bdf;
pub mod muse;

pub use bdf::{read_header, read_raw_bdf, read_raw_edf, write_bdf, WriteOptions};
pub use muse::read_raw_muse_csv;
