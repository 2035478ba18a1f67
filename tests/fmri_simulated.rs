//! The fMRI session's claims on the simulated faces dataset (planted truth in
//! `data/simulated/sub-01/func/sub-01_task-faces_truth.json`): QC finds the sabotage, the
//! face > scrambled t-map peaks in the planted face area, the searchlight finds it.
#![cfg(feature = "fmri")]

use std::path::PathBuf;

use brainml::fmri::*;
use brainml::ml::Cv;

fn func() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data/simulated/sub-01/func")
}

fn truth() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(func().join("sub-01_task-faces_truth.json")).unwrap())
        .unwrap()
}

fn run(r: usize) -> (Img, Events, Vec<[f64; 6]>) {
    let stem = format!("sub-01_task-faces_run-{r:02}");
    (
        load_img(func().join(format!("{stem}_bold.nii.gz"))).unwrap(),
        read_events(func().join(format!("{stem}_events.tsv"))).unwrap(),
        read_motion(func().join(format!("{stem}_desc-confounds_timeseries.tsv"))).unwrap(),
    )
}

fn brain() -> Mask {
    Mask::load(
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("data/simulated/sub-01/anat/sub-01_desc-brain_mask.nii.gz"),
    )
    .unwrap()
}

fn region(name: &str) -> Mask {
    Mask::load(func().join(format!("sub-01_task-faces_label-{name}_mask.nii.gz"))).unwrap()
}

#[test]
fn qc_flags_the_planted_sabotage_and_nothing_else() {
    let t = truth();
    let mask = brain();
    for r in 1..=2 {
        let (img, _, motion) = run(r);
        assert!(check_img(&img, Some(&mask)).unwrap().is_empty());
        let qc = compute_qc(&img, &mask, Some(&motion), &QcThresholds::default()).unwrap();
        let spikes: Vec<usize> =
            (0..qc.reasons.len()).filter(|&v| qc.reasons[v].contains(&"spike")).collect();
        let moved: Vec<usize> =
            (0..qc.reasons.len()).filter(|&v| qc.reasons[v].contains(&"motion")).collect();
        let want_spikes: Vec<usize> = serde_json::from_value(t["spike_volumes"][r - 1].clone()).unwrap();
        let want_jerk: Vec<usize> = serde_json::from_value(t["jerk_volumes"][r - 1].clone()).unwrap();
        eprintln!(
            "run {r}: spikes {spikes:?} (planted {want_spikes:?}), motion {moved:?} (planted {want_jerk:?})"
        );
        // every planted spike is a spike; motion flags are exactly the jerk; nothing else is flagged
        assert!(want_spikes.iter().all(|v| spikes.contains(v)), "run {r} spikes");
        assert_eq!(moved, want_jerk, "run {r} motion");
        let mut want: Vec<usize> = want_spikes.iter().chain(&want_jerk).copied().collect();
        want.sort_unstable();
        assert_eq!(qc.flagged(), want, "run {r}: flagged volumes");
        let kept = censor(&img, &qc).unwrap();
        assert_eq!(kept.n_volumes(), img.n_volumes() - qc.flagged().len());
    }
}

#[test]
fn face_over_scrambled_t_map_peaks_in_the_face_area() {
    let mask = brain();
    let ffa = region("ffa");
    let (img, ev, _) = run(1);
    let ev = ev.rename(&["famous", "unfamiliar"], "face");
    let dm = make_first_level_design_matrix(img.n_volumes(), img.tr().unwrap(), &ev, 0.01, false).unwrap();
    let sm = smooth_img(&img, 6.0).unwrap();
    let y = mask.apply(&sm).unwrap();
    let glm = fit_first_level(y.view(), &dm).unwrap();
    let t = glm.t_values(&dm.contrast(&[("face", 1.0), ("scrambled", -1.0)]).unwrap()).unwrap();
    let peak = (0..t.len()).max_by(|&a, &b| t[a].total_cmp(&t[b])).unwrap();
    let v = mask.voxels()[peak];
    eprintln!("peak t {:.1} at voxel {v:?} = {:?} mm", t[peak], mask.to_mm(v));
    assert!(ffa.contains(v), "peak outside the planted face area");
    let tmap = mask.unmask(&t).unwrap();
    let dir = tempfile::tempdir().unwrap();
    save_img(&tmap, dir.path().join("t.nii.gz"), Dtype::F32).unwrap();
    // events beyond the run: a clear error
    let mut bad = ev.clone();
    bad.onset.push(10_000.0);
    bad.duration.push(1.0);
    bad.trial_type.push("face".into());
    let e = make_first_level_design_matrix(img.n_volumes(), 2.0, &bad, 0.01, false).unwrap_err().to_string();
    assert!(e.contains("outside the run"), "{e}");
}

#[test]
fn searchlight_finds_the_face_area_and_not_the_control() {
    let mask = brain();
    let mut xs = Vec::new();
    let mut labels = Vec::new();
    let mut groups = Vec::new();
    for r in 1..=2 {
        let (img, ev, motion) = run(r);
        let qc = compute_qc(&img, &mask, Some(&motion), &QcThresholds::default()).unwrap();
        let x = mask.apply(&img).unwrap();
        let runs = vec![r as i64; x.nrows()];
        let x = clean(
            x.view(),
            &runs,
            &CleanOptions { detrend: true, standardize: true, high_pass: Some(0.01), t_r: img.tr() },
        )
        .unwrap();
        let (p, tt) = trial_patterns(x.view(), &ev, 2.0, 4.0, 2.0).unwrap();
        // drop trials whose window touches a flagged volume
        let bad = qc.flagged();
        for (e, row) in p.outer_iter().enumerate() {
            let a = ((ev.onset[e] + 4.0) / 2.0).ceil() as usize;
            if bad.iter().any(|&b| b >= a && b <= a + 1) {
                continue;
            }
            xs.push(row.to_owned());
            labels.push(tt[e] != "scrambled");
            groups.push(r as i64);
        }
    }
    let x = ndarray::stack(ndarray::Axis(0), &xs.iter().map(|r| r.view()).collect::<Vec<_>>()).unwrap();
    let sl = SearchLight::new(6.0)
        .verbose(false)
        .fit(&mask, x.view(), &labels, &Cv::leave_one_group_out(groups))
        .unwrap();
    let ffa = sl.mean_in(&region("ffa")).unwrap();
    let control = sl.mean_in(&region("control")).unwrap();
    let chance = labels.iter().filter(|&&l| l).count() as f64 / labels.len() as f64;
    eprintln!("{} trials, {} centres in {:.1} s; accuracy ffa {ffa:.3}, control {control:.3}, majority class {chance:.3}", labels.len(), sl.scores.len(), sl.seconds);
    assert!(ffa >= 0.9, "ffa {ffa}");
    assert!((control - 0.5).abs() < 0.15 || (control - chance).abs() < 0.1, "control {control}");
}
