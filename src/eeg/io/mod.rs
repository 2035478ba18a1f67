//! Reading and writing EEG files (MNE's `mne.io`).

pub mod bdf;
pub mod muse;

pub use bdf::{
    read_header, read_raw_bdf, read_raw_bdf_with, read_raw_edf, read_raw_edf_with, write_bdf, EdfOptions,
    WriteOptions, STIM_MASK,
};
pub use muse::read_raw_muse_csv;
