//! Readers on the real public files (skipped when they have not been fetched).
#![cfg(feature = "eeg")]

/// Real EDF / EDF+ exports (BrainVision Analyzer), when fetched: both read, same data.
#[test]
fn real_edf_files_read() {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/public/eeg-formats");
    let (a, b) = (d.join("bv_export_edf.edf"), d.join("bv_export_edf+.edf"));
    if !a.exists() || !b.exists() {
        eprintln!("eeg-formats not fetched: skipped");
        return;
    }
    let ra = brainml::eeg::io::read_raw_edf(&a).unwrap();
    let rb = brainml::eeg::io::read_raw_edf(&b).unwrap();
    eprintln!("{} channels at {} Hz, {} samples; EDF+ {} channels", ra.ch_names().len(), ra.sfreq(), ra.n_times(), rb.ch_names().len());
    assert_eq!(ra.sfreq(), rb.sfreq());
    assert!(ra.ch_names().len() >= 1 && ra.n_times() > 0);
}
