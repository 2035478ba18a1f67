//! The real Muse N170 recordings (subject 1, session 1: six CSV files), with the settings an
//! MNE user would pick: 1–30 Hz, −0.1…0.6 s, baseline −0.1…0, 75 µV peak-to-peak rejection,
//! standard scaler + logistic regression, 5-fold stratified CV on whole epochs.
//! MNE + scikit-learn give ROC AUC 0.649 on these files (bench/eeg_muse.py prints both).
#![cfg(feature = "eeg")]

use brainml::data::public_file;
use brainml::eeg::io::read_raw_muse_csv;
use brainml::eeg::{find_events, Epochs, Raw};
use brainml::ml::{cross_val_score, Classifier, Cv, Scoring};

#[test]
fn muse_subject1_whole_epoch_auc_reaches_mne() {
    let dir = public_file("eeg-n170-muse/subject1/session1/data_2017-09-13-15.30.01.csv").unwrap();
    let dir = dir.parent().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 6);
    let raws: Vec<Raw> = files
        .iter()
        .map(|f| read_raw_muse_csv(f).unwrap())
        .collect();
    let raw = Raw::concatenate(&raws)
        .unwrap()
        .filter(Some(1.0), Some(30.0))
        .unwrap();
    let events = find_events(&raw, "stim").unwrap();
    let epochs = Epochs::new(&raw, &events, &[("house", 1), ("face", 2)], -0.1, 0.6)
        .unwrap()
        .drop_bad(75e-6)
        .unwrap();
    let y = epochs.labels("face");
    eprintln!(
        "{} events, {} epochs kept ({} face)",
        events.len(),
        epochs.len(),
        y.iter().filter(|&&v| v).count()
    );
    let x = epochs.to_features();
    let score = cross_val_score(
        x.view(),
        &y,
        &Cv::stratified(5),
        &Classifier::logistic(),
        Scoring::RocAuc,
    )
    .unwrap();
    eprintln!("{score}");
    assert!(score.mean >= 0.64, "{score}");
}
