//! Reading and writing EEG files (MNE's `mne.io`).

pub mod bdf;

pub use bdf::{read_header, read_raw_bdf, read_raw_edf, write_bdf, WriteOptions};
