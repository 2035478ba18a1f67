//! The first session's pipeline on the simulated faces dataset, checked against its truth
//! file: bad channels, muscle-artifact trials, the N170 latency, and when decoding works.
#![cfg(feature = "eeg")]

use brainml::data::simulate::eeg;
use brainml::eeg::{annotate_muscle_zscore, combine_evoked, find_bad_channels, find_events, Epochs};
use brainml::ml::{mean_over_folds, sliding_score, Classifier, Cv, Scoring};

const EVENT_ID: [(&str, i32); 3] = [("face/famous", 5), ("face/unfamiliar", 13), ("scrambled", 17)];

#[test]
fn simulated_session_recovers_the_planted_truth() {
    let sim = eeg::simulate_eeg(&eeg::EegParams::default()).unwrap();
    let t = std::time::Instant::now();
    let raw = sim.raw.with_bads::<&str>(&[]).unwrap();

    let bads = find_bad_channels(&raw, 5.0).unwrap();
    eprintln!("bad channels {:?} (truth {:?})", bads.names, sim.truth.bad_channels);
    let mut want = sim.truth.bad_channels.clone();
    want.sort();
    let mut got = bads.names.clone();
    got.sort();
    assert_eq!(got, want);
    let raw = raw.with_bads(&bads.names).unwrap();

    let (annot, _scores) = annotate_muscle_zscore(&raw, 4.0, 0.1, (110.0, 140.0)).unwrap();
    eprintln!("{} muscle spans", annot.len());
    let raw = raw
        .filter(Some(0.1), Some(40.0))
        .unwrap()
        .set_annotations(annot)
        .unwrap()
        .set_eeg_reference_average()
        .unwrap();
    let events = find_events(&raw, "Status").unwrap();
    assert_eq!(events.len(), 450);
    let epochs = Epochs::new(&raw, &events, &EVENT_ID, -0.2, 0.6).unwrap();
    eprintln!("dropped {:?} (truth {:?}); {:?}", epochs.dropped(), sim.truth.artifact_trials, t.elapsed());
    assert_eq!(epochs.dropped(), sim.truth.artifact_trials);

    let face = epochs.get("face").unwrap().average().unwrap();
    let scr = epochs.get("scrambled").unwrap().average().unwrap();
    let diff = combine_evoked(&[&face, &scr], &[1.0, -1.0]).unwrap();
    let peak = diff.get_peak(Some("P8"), 0.1, 0.25, "neg").unwrap();
    eprintln!("face − scrambled at P8: {peak}");
    assert!((peak.latency - sim.truth.n170_latency).abs() <= 0.010, "{peak}");

    let dec = epochs.decimate(4).unwrap();
    let y = dec.labels("face");
    let x = dec.get_data();
    let t = std::time::Instant::now();
    let auc = mean_over_folds(
        &sliding_score(x.view(), &y, &Cv::stratified(5), &Classifier::logistic(), Scoring::RocAuc).unwrap(),
    );
    let (imax, best) = auc.iter().enumerate().fold((0, 0.0), |b, (i, &v)| if v > b.1 { (i, v) } else { b });
    eprintln!("sliding AUC peaks at {:.0} ms: {best:.3} ({:?})", dec.times()[imax] * 1e3, t.elapsed());
    assert!(
        best > 0.8 && (0.130..=0.220).contains(&dec.times()[imax]),
        "peak {best} at {}",
        dec.times()[imax]
    );
    let pre: f64 = auc.iter().zip(dec.times()).filter(|(_, &t)| t < 0.0).map(|(a, _)| *a).fold(0.0, f64::max);
    assert!(pre < 0.65, "before the stimulus AUC stays near chance, max {pre}");
}
