//! The real Muse N170 recordings (subject 1, session 1: six CSV files), with the settings of
//! the reference pipeline an MNE user copies: 1–30 Hz (MNE's default FIR, each file filtered
//! on its own), −0.1…0.6 s, baseline −0.1…0, 75 µV peak-to-peak rejection, standard scaler +
//! logistic regression, `StratifiedKFold(5, shuffle=True, random_state=42)` on whole epochs.
//! The MNE + scikit-learn numbers are in tests/golden/parity.json (`muse`, made by
//! tests/python/make_parity_golden.py): brainml must keep the same epochs and reach the same
//! ROC AUC within ±0.005.
#![cfg(feature = "eeg")]

use brainml::data::public_file;
use brainml::eeg::io::read_raw_muse_csv;
use brainml::eeg::{find_events, Epochs, Raw};
use brainml::ml::{cross_val_score, Classifier, Cv, Scoring};

#[test]
fn muse_subject1_whole_epoch_auc_equals_mne_and_scikit_learn() {
    let g: serde_json::Value = serde_json::from_str(include_str!("golden/parity.json")).unwrap();
    let g = &g["muse"];
    let dir = public_file("eeg-n170-muse/subject1/session1/data_2017-09-13-15.30.01.csv").unwrap();
    let dir = dir.parent().unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    assert_eq!(files.len(), 6);
    let raws: Vec<Raw> = files.iter().map(|f| read_raw_muse_csv(f).unwrap()).collect();
    let raw = Raw::concatenate(&raws).unwrap().filter(Some(1.0), Some(30.0)).unwrap();
    let events = find_events(&raw, "stim").unwrap();
    assert_eq!(events.len() as u64, g["n_events"].as_u64().unwrap());
    let epochs =
        Epochs::new(&raw, &events, &[("house", 1), ("face", 2)], -0.1, 0.6).unwrap().drop_bad(75e-6).unwrap();
    let selection: Vec<usize> =
        g["selection"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let kept: Vec<usize> = (0..events.len()).filter(|i| !epochs.dropped().contains(i)).collect();
    assert_eq!(kept, selection, "the same epochs kept as MNE");
    let y = epochs.labels("face");
    let x = epochs.to_features();
    for (name, cv) in [("shuffled", Cv::stratified(5).shuffle(42)), ("unshuffled", Cv::stratified(5))] {
        let score = cross_val_score(x.view(), &y, &cv, &Classifier::logistic(), Scoring::RocAuc).unwrap();
        let want = g[format!("auc_{name}")].as_f64().unwrap();
        eprintln!("{name}: brainml {score}; MNE + scikit-learn {want:.4}");
        assert!(
            (score.mean - want).abs() <= 0.005,
            "{name}: brainml {:.4}, MNE + scikit-learn {want:.4}",
            score.mean
        );
    }
}
