//! The simulated faces dataset, end to end: written to disk, read back with brainml's BDF
//! reader, and checked against its own truth file with plain averaging.
#![cfg(feature = "eeg")]

use std::fs;

use brainml::data::simulate::{eeg, write_dataset_description};
use brainml::eeg::io::read_raw_bdf;

fn write(dir: &std::path::Path, p: &eeg::EegParams) -> eeg::EegSimulation {
    let sim = eeg::simulate_eeg(p).unwrap();
    write_dataset_description(dir).unwrap();
    eeg::write_eeg(&sim, dir).unwrap();
    sim
}

#[test]
fn simulated_eeg_reads_back_and_shows_the_planted_n170() {
    let tmp = tempfile::tempdir().unwrap();
    let p = eeg::EegParams::default();
    let sim = write(tmp.path(), &p);
    let eegdir = tmp.path().join("sub-01/eeg");
    let raw = read_raw_bdf(eegdir.join("sub-01_task-faces_eeg.bdf")).unwrap();
    assert_eq!(raw.sfreq(), 512.0);
    assert_eq!(raw.ch_names().len(), 65);
    assert_eq!(raw.ch_names()[64], "Status");

    // triggers: rising edges of the Status channel, exactly the planted events
    let status = raw.channel("Status").unwrap();
    let mut found = vec![];
    for i in 1..status.len() {
        if status[i] != 0.0 && status[i - 1] == 0.0 {
            found.push((i, status[i] as u32));
        }
    }
    let planted: Vec<(usize, u32)> = sim.events.iter().map(|e| (e.sample, e.condition.code())).collect();
    assert_eq!(found, planted);
    for code in [5, 13, 17] {
        assert_eq!(found.iter().filter(|f| f.1 == code).count(), 150, "code {code}");
    }
    // events.tsv agrees
    let tsv = fs::read_to_string(eegdir.join("sub-01_task-faces_events.tsv")).unwrap();
    assert_eq!(tsv.lines().count(), 1 + 450);

    // plain averaging at P8: face − scrambled minimum within ±10 ms of the truth
    let truth: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(eegdir.join("sub-01_task-faces_truth.json")).unwrap())
            .unwrap();
    let t_true = truth["n170_latency"].as_f64().unwrap();
    let p8 = raw.channel("P8").unwrap();
    let (pre, post) = (51usize, 256usize); // -0.1 .. 0.5 s at 512 Hz
    let mut avg = [vec![0f64; pre + post], vec![0f64; pre + post]];
    let mut n = [0usize; 2];
    for &(s, code) in &found {
        let k = if code == 17 { 1 } else { 0 };
        let base: f64 = (s - pre..s).map(|i| p8[i] as f64).sum::<f64>() / pre as f64;
        for j in 0..pre + post {
            avg[k][j] += p8[s - pre + j] as f64 - base;
        }
        n[k] += 1;
    }
    let diff: Vec<f64> = (0..pre + post).map(|j| avg[0][j] / n[0] as f64 - avg[1][j] / n[1] as f64).collect();
    let window = (pre + 26)..(pre + 180); // 50..350 ms
    let jmin = window.clone().min_by(|&a, &b| diff[a].total_cmp(&diff[b])).unwrap();
    let t_min = (jmin as f64 - pre as f64) / 512.0;
    assert!((t_min - t_true).abs() <= 0.010, "face − scrambled minimum at {t_min:.3} s, truth {t_true}");
    let amp_true =
        truth["n170_face_minus_scrambled_uv"].as_array().unwrap().iter().find(|v| v[0] == "P8").unwrap()[1]
            .as_f64()
            .unwrap();
    let amp = diff[jmin] * 1e6;
    assert!(
        amp < 0.0 && (amp - amp_true).abs() < 0.5 * amp_true.abs(),
        "P8 difference {amp:.2} µV, truth {amp_true} µV"
    );
}

#[test]
fn same_seed_same_bytes() {
    let p = eeg::EegParams { n_per_condition: 20, ..eeg::EegParams::default() };
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    write(a.path(), &p);
    write(b.path(), &p);
    for f in ["eeg.bdf", "events.tsv", "channels.tsv", "electrodes.tsv", "truth.json", "eeg.json"] {
        let name = format!("sub-01/eeg/sub-01_task-faces_{f}");
        assert_eq!(fs::read(a.path().join(&name)).unwrap(), fs::read(b.path().join(&name)).unwrap(), "{f}");
    }
}

#[test]
fn unwritable_output_is_a_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("file");
    fs::write(&blocker, b"x").unwrap();
    let sim = eeg::simulate_eeg(&eeg::EegParams { n_per_condition: 5, ..Default::default() }).unwrap();
    let e = eeg::write_eeg(&sim, &blocker).unwrap_err().to_string();
    assert!(e.contains("file"), "{e}");
}

#[cfg(feature = "fmri")]
mod fmri_sim {
    use brainml::data::simulate::fmri;
    use brainml::fmri::glm::{cosine_drift, fit_ols, regressor, Condition};
    use brainml::fmri::{load_img, Mask, NiftiMasker};
    use std::fs;

    /// t of face − scrambled for the mean time series of a region in run 1.
    fn face_minus_scrambled_t(dir: &std::path::Path, region: &str) -> (f64, f64) {
        let func = dir.join("sub-01/func");
        let bold = load_img(func.join("sub-01_task-faces_run-01_bold.nii.gz")).unwrap();
        let mask = Mask::load(func.join(format!("sub-01_task-faces_label-{region}_mask.nii.gz"))).unwrap();
        let y = NiftiMasker::new(&mask).mean_signal(&bold).unwrap();
        let tr = bold.tr().unwrap();
        let ev = fs::read_to_string(func.join("sub-01_task-faces_run-01_events.tsv")).unwrap();
        let (mut face, mut scr) = (Condition::default(), Condition::default());
        for l in ev.lines().skip(1) {
            let f: Vec<&str> = l.split('\t').collect();
            let c = if f[2] == "scrambled" { &mut scr } else { &mut face };
            c.onsets.push(f[0].parse().unwrap());
            c.durations.push(f[1].parse().unwrap());
        }
        let n = y.len();
        let mut cols = vec![regressor(&face, tr, n, 50).unwrap(), regressor(&scr, tr, n, 50).unwrap()];
        cols.extend(cosine_drift(n, tr, 0.01));
        let fit = fit_ols(&cols, &y).unwrap();
        let mut c = vec![0.0; cols.len()];
        c[0] = 1.0;
        c[1] = -1.0;
        (fit.t(&c).unwrap(), fit.beta[0] - fit.beta[1])
    }

    #[test]
    fn simulated_fmri_reads_back_with_planted_effects() {
        let tmp = tempfile::tempdir().unwrap();
        let p = fmri::FmriParams::default();
        let sim = fmri::simulate_fmri(&p).unwrap();
        fmri::write_fmri(&sim, tmp.path()).unwrap();
        let func = tmp.path().join("sub-01/func");
        for run in 1..=2 {
            let img = load_img(func.join(format!("sub-01_task-faces_run-0{run}_bold.nii.gz"))).unwrap();
            assert_eq!(img.shape(), &[52, 62, 46, 200]);
            assert_eq!(img.tr(), Some(2.0));
            assert_eq!(img.zooms(), [3.0; 3]);
            assert_eq!(img.affine()[0], [3.0, 0.0, 0.0, -78.0]);
        }
        let (t_ffa, effect) = face_minus_scrambled_t(tmp.path(), "ffa");
        assert!(t_ffa > 5.0 && effect > 0.0, "face area: t = {t_ffa:.1}, effect {effect:.2}");
        let (t_ctl, _) = face_minus_scrambled_t(tmp.path(), "control");
        assert!(t_ctl.abs() < 3.0, "control region: t = {t_ctl:.1}");
        let truth: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(func.join("sub-01_task-faces_truth.json")).unwrap())
                .unwrap();
        assert_eq!(truth["spike_volumes"][0].as_array().unwrap().len(), 0, "run 1 is clean");
        assert_eq!(truth["spike_volumes"][1].as_array().unwrap().len(), 2);
        eprintln!("face area t = {t_ffa:.1}, control t = {t_ctl:.2}");
    }

    #[test]
    fn same_seed_same_nifti_bytes_and_bad_parameters() {
        let p = fmri::FmriParams { n_volumes: 40, ..Default::default() };
        let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        fmri::write_fmri(&fmri::simulate_fmri(&p).unwrap(), a.path()).unwrap();
        fmri::write_fmri(&fmri::simulate_fmri(&p).unwrap(), b.path()).unwrap();
        for f in [
            "func/sub-01_task-faces_run-02_bold.nii.gz",
            "func/sub-01_task-faces_run-01_events.tsv",
            "anat/sub-01_T1w.nii.gz",
            "func/sub-01_task-faces_truth.json",
        ] {
            assert_eq!(
                fs::read(a.path().join("sub-01").join(f)).unwrap(),
                fs::read(b.path().join("sub-01").join(f)).unwrap(),
                "{f}"
            );
        }
        assert!(fmri::simulate_fmri(&fmri::FmriParams { n_volumes: 0, ..Default::default() }).is_err());
        assert!(fmri::simulate_fmri(&fmri::FmriParams { tr: -2.0, ..Default::default() }).is_err());
        assert!(fmri::simulate_fmri(&fmri::FmriParams { isi: (5.0, 1.0), ..Default::default() }).is_err());
    }
}
