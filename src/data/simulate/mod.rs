//! The simulated single-subject faces dataset: the workshop's offline default and the ground
//! truth its tests check against. Deterministic from a seed (ChaCha8 random numbers and plain
//! scalar arithmetic: same seed, same bytes), written in real file formats in a BIDS layout:
//!
//! ```text
//! <out>/dataset_description.json, participants.tsv
//! <out>/sub-01/eeg/sub-01_task-faces_{eeg.bdf, eeg.json, events.tsv, channels.tsv, electrodes.tsv, truth.json}
//! <out>/sub-01/func/sub-01_task-faces_run-0{1,2}_{bold.nii.gz, bold.json, events.tsv, desc-confounds_timeseries.tsv}
//! <out>/sub-01/func/sub-01_task-faces_{label-<region>_mask.nii.gz, truth.json}
//! <out>/sub-01/anat/sub-01_{T1w.nii.gz, desc-brain_mask.nii.gz}
//! ```
//! The design follows Wakeman & Henson (2015): famous, unfamiliar and scrambled faces with
//! their trigger codes 5, 13 and 17; the fMRI half (`sub-01/func`, `sub-01/anat`) is the
//! same experiment in the scanner.

#[cfg(feature = "eeg")]
pub mod eeg;
#[cfg(feature = "fmri")]
pub mod fmri;

use std::path::Path;

use crate::error::{IoContext, Result};

/// Write `bytes` to `path` through a temporary file and a rename.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    crate::error::write_atomically(path, |tmp| std::fs::write(tmp, bytes).at(tmp))
}

/// Write the BIDS top-level files.
pub fn write_dataset_description(out: &Path) -> Result<()> {
    std::fs::create_dir_all(out).at(out)?;
    let desc = serde_json::json!({
        "Name": "brainml simulated faces (EEG + fMRI)",
        "BIDSVersion": "1.9.0",
        "DatasetType": "raw",
        "GeneratedBy": [{"Name": "brainml", "Version": env!("CARGO_PKG_VERSION"), "Description": "brainml::data::simulate — planted, known effects"}],
        "Authors": ["brainml"],
    });
    write_atomic(&out.join("dataset_description.json"), format!("{:#}\n", desc).as_bytes())?;
    write_atomic(&out.join("participants.tsv"), b"participant_id\tage\tsex\thandedness\nsub-01\t25\tF\tR\n")
}
