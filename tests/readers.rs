//! Readers on the real public files (skipped when they have not been fetched, except under
//! `CI=true`, where scripts/test.sh has fetched them and a missing file fails).
#![cfg(feature = "eeg")]

/// Real EDF / EDF+ exports (BrainVision Analyzer), when fetched: both read, same data.
#[test]
fn real_edf_files_read() {
    let d = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/public/eeg-formats");
    let (a, b) = (d.join("bv_export_edf.edf"), d.join("bv_export_edf+.edf"));
    if !a.exists() || !b.exists() {
        return not_fetched();
    }
    let ra = brainml::eeg::io::read_raw_edf(&a).unwrap();
    let rb = brainml::eeg::io::read_raw_edf(&b).unwrap();
    eprintln!(
        "{} channels at {} Hz, {} samples; EDF+ {} channels",
        ra.ch_names().len(),
        ra.sfreq(),
        ra.n_times(),
        rb.ch_names().len()
    );
    assert_eq!(ra.sfreq(), rb.sfreq());
    assert!(ra.ch_names().len() >= 1 && ra.n_times() > 0);
}

/// EDF+ annotations of the BrainVision export, as MNE 1.13.2 reads them
/// (`mne.io.read_raw_edf(...).annotations`: 13 annotations, these onsets and texts).
#[test]
fn edf_plus_annotations_match_mne() {
    let p =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/public/eeg-formats/bv_export_edf+.edf");
    if !p.exists() {
        return not_fetched();
    }
    let raw = brainml::eeg::io::read_raw_edf(&p).unwrap();
    let a = raw.annotations();
    assert_eq!(a.len(), 13, "{a:?}");
    let mne_first = [
        (0.0, "New Segment"),
        (0.275391, "s10"),
        (0.826172, "s11"),
        (1.453125, "s12"),
        (2.542969, "s10"),
        (3.091797, "s11"),
        (3.662109, "s12"),
        (4.634765, "s10"),
        (5.181641, "s11"),
        (5.892578, "s12"),
    ];
    for (i, (onset, text)) in mne_first.iter().enumerate() {
        assert!((a[i].onset - onset).abs() < 1e-6, "annotation {i}: {:?}", a[i]);
        assert_eq!(a[i].description, *text);
        assert_eq!(a[i].duration, 0.0);
    }
    // the plain EDF export of the same recording has none
    let plain = brainml::eeg::io::read_raw_edf(p.with_file_name("bv_export_edf.edf")).unwrap();
    assert!(plain.annotations().is_empty());
}

/// A missing file: skip, or fail under `CI=true`.
fn not_fetched() {
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "data/public/eeg-formats not fetched (scripts/run.sh fetches it)"
    );
    eprintln!("eeg-formats not fetched: skipped");
}
