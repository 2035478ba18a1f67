//! brainml's half of bench/eeg_muse.py: the Muse N170 pipeline (subject 1, session 1) with
//! per-stage wall times, printed as one JSON object. Run through the bench script, or:
//!     cargo run --release --features eeg --example bench_eeg_muse -- DIR
use std::time::Instant;

use brainml::data::list_files;
use brainml::eeg::io::read_raw_muse_csv;
use brainml::eeg::{find_events, Epochs, Raw};
use brainml::ml::{cross_val_score, Classifier, Cv, Scoring};

fn main() -> brainml::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .ok_or_else(|| brainml::Error::data("usage: bench_eeg_muse DIR (a folder of Muse CSV files)"))?;
    let t_all = Instant::now();
    let mut t = Instant::now();
    let mut stage = |name: &str, out: &mut Vec<(String, f64)>| {
        out.push((name.to_string(), t.elapsed().as_secs_f64()));
        t = Instant::now();
    };
    let mut times = Vec::new();
    let files = list_files(&dir, "csv")?;
    let runs = files.iter().map(read_raw_muse_csv).collect::<brainml::Result<Vec<Raw>>>()?;
    let raw = Raw::concatenate(&runs)?;
    stage("read", &mut times);
    let raw = raw.filter(Some(1.0), Some(30.0))?;
    stage("filter", &mut times);
    let events = find_events(&raw, "stim")?;
    let epochs = Epochs::new(&raw, &events, &[("house", 1), ("face", 2)], -0.1, 0.6)?.drop_bad(75e-6)?;
    let x = epochs.to_features();
    let y = epochs.labels("face");
    stage("epochs", &mut times);
    let score = cross_val_score(
        x.view(),
        &y,
        &Cv::stratified(5).shuffle(42),
        &Classifier::logistic(),
        Scoring::RocAuc,
    )?;
    stage("decode", &mut times);
    let total = t_all.elapsed().as_secs_f64();
    let stages: Vec<String> = times.iter().map(|(n, s)| format!("\"{n}\": {s:.6}")).collect();
    println!(
        "{{\"stages\": {{{}}}, \"total\": {total:.6}, \"n_epochs\": {}, \"auc\": {:.6}, \"auc_folds\": {:?}}}",
        stages.join(", "),
        epochs.len(),
        score.mean,
        score.per_fold
    );
    Ok(())
}
