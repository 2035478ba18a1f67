//! Behaviours that differed from MNE / scikit-learn / nibabel on real lab files (issue 16),
//! checked on small files written here against golden vectors from the tools themselves
//! (tests/python/make_parity_golden.py, run by hand; tests/golden/parity.json is committed).
//! The golden file records the SHA-256 of every file it was made from, and these tests first
//! check that the files they write are those bytes — so the goldens stay valid.
//!
//! 1. BioSemi status bits above the trigger bits (MNE keeps 17 bits of a stim channel).
//! 2. An event at sample 0 (MNE's `find_events(initial_event=False)`).
//! 3. Filtering across file joins (MNE's `skip_by_annotation=("edge", "bad_acq_skip")`).
//! 4. Shuffled folds (scikit-learn `StratifiedKFold/KFold(shuffle=True, random_state=…)`).
//! 5. EDF with mixed sampling rates, `include` / `exclude`.
//! 6. A NIfTI TR stored in milliseconds with units "seconds" (nibabel loads it).
#![cfg(all(feature = "eeg", feature = "fmri"))]

use std::path::{Path, PathBuf};

use brainml::eeg::io::{read_raw_bdf, read_raw_edf, read_raw_edf_with, write_bdf, EdfOptions, WriteOptions};
use brainml::eeg::{find_events, find_events_with, ChannelType, Epochs, FilterMethod, FindEvents, Raw};
use brainml::fmri::{affine_ras, load_img, save_img, Dtype, Img};
use brainml::ml::Cv;
use ndarray::{Array2, ArrayD, IxDyn};
use serde_json::Value;
use sha2::{Digest, Sha256};

const SF: f64 = 256.0;
/// status bits BioSemi sets above the 16 trigger bits (bits 18–20: CMS in range and others)
const STATUS_HIGH: f64 = (0x1C_0000) as f64;

fn raw(eeg: Vec<Vec<f64>>, stim: Vec<f64>) -> Raw {
    let n = stim.len();
    let n_ch = eeg.len() + 1;
    let data =
        Array2::from_shape_fn(
            (n_ch, n),
            |(c, t)| if c < eeg.len() { eeg[c][t] as f32 } else { stim[t] as f32 },
        );
    let mut names: Vec<String> = ["Fz", "Cz", "Pz"].iter().take(eeg.len()).map(|s| s.to_string()).collect();
    names.push("Status".into());
    let mut types = vec![ChannelType::Eeg; eeg.len()];
    types.push(ChannelType::Stim);
    Raw::new(data, names, types, SF).unwrap()
}

fn sine(n: usize, f: f64, amp: f64, phase: f64) -> Vec<f64> {
    (0..n).map(|i| amp * (2.0 * std::f64::consts::PI * f * i as f64 / SF + phase).sin()).collect()
}

/// A 16-bit EDF with one sampling rate per signal (1-s records, ±3276.8 µV in 0.1 µV steps).
/// Test-only: brainml's library writes BDF only.
fn write_edf(path: &Path, signals: &[(&str, usize, Vec<f64>)], n_records: usize) {
    let ns = signals.len();
    let pad = |s: &str, n: usize| -> Vec<u8> {
        let mut b: Vec<u8> = s.bytes().take(n).collect();
        b.resize(n, b' ');
        b
    };
    let mut h = Vec::new();
    h.extend(pad("0", 8));
    h.extend(pad("X X X X", 80));
    h.extend(pad("Startdate X X X X", 80));
    h.extend(pad("01.01.26", 8));
    h.extend(pad("00.00.00", 8));
    h.extend(pad(&(256 * (ns + 1)).to_string(), 8));
    h.extend(pad("", 44));
    h.extend(pad(&n_records.to_string(), 8));
    h.extend(pad("1", 8));
    h.extend(pad(&ns.to_string(), 4));
    let fields: [&dyn Fn(&(&str, usize, Vec<f64>)) -> Vec<u8>; 10] = [
        &|s| pad(s.0, 16),
        &|_| pad("AgAgCl electrode", 80),
        &|_| pad("uV", 8),
        &|_| pad("-3276.8", 8),
        &|_| pad("3276.7", 8),
        &|_| pad("-32768", 8),
        &|_| pad("32767", 8),
        &|_| pad("HP:0.1Hz LP:75Hz", 80),
        &|s| pad(&s.1.to_string(), 8),
        &|_| pad("", 32),
    ];
    for f in fields {
        for s in signals {
            h.extend(f(s));
        }
    }
    for r in 0..n_records {
        for (_, spr, x) in signals {
            for t in 0..*spr {
                let uv = x[r * spr + t] * 1e6;
                let d = (uv * 10.0).round().clamp(-32768.0, 32767.0) as i16;
                h.extend(d.to_le_bytes());
            }
        }
    }
    std::fs::write(path, h).unwrap();
}

/// Write every file the goldens were made from into `dir`; returns name → path.
fn write_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    let opts = WriteOptions::default();
    // 1–2: status bits above the triggers, and the trigger already high at sample 0
    let n = 2048;
    let mut stim = vec![STATUS_HIGH; n];
    for (a, b, code) in [
        (0, 6, 4.0),
        (300, 310, 4.0),
        (700, 705, 8.0),
        (1200, 1210, 4.0),
        (1500, 1510, 4.0),
        (1510, 1520, 12.0),
    ] {
        stim[a..b].iter_mut().for_each(|v| *v = STATUS_HIGH + code);
    }
    let p = dir.join("status_bits.bdf");
    write_bdf(&p, &raw(vec![sine(n, 10.0, 20e-6, 0.0), sine(n, 6.0, 15e-6, 1.0)], stim), &opts).unwrap();
    out.push(("status_bits.bdf".to_string(), p));
    // 3: two files with an 80 µV step between them (electrode offsets differ per file)
    for (name, offset, phase) in [("join_a.bdf", 40e-6, 0.0), ("join_b.bdf", -40e-6, 0.7)] {
        let n = 1024;
        let fz: Vec<f64> = sine(n, 10.0, 10e-6, phase)
            .iter()
            .zip(sine(n, 0.3, 5e-6, phase))
            .map(|(a, b)| a + b + offset)
            .collect();
        let cz: Vec<f64> = sine(n, 50.0, 3e-6, phase)
            .iter()
            .zip(sine(n, 7.0, 8e-6, 0.0))
            .map(|(a, b)| a + b - offset / 2.0)
            .collect();
        let mut stim = vec![0.0; n];
        stim[100..105].iter_mut().for_each(|v| *v = 1.0);
        stim[900..905].iter_mut().for_each(|v| *v = 2.0);
        let p = dir.join(name);
        write_bdf(&p, &raw(vec![fz, cz], stim), &opts).unwrap();
        out.push((name.to_string(), p));
    }
    // 5: EDF with two 256 Hz EEG channels and a 32 Hz respiration channel
    let recs = 6;
    let p = dir.join("mixed.edf");
    let resp: Vec<f64> = (0..32 * recs)
        .map(|i| {
            200e-6 * (2.0 * std::f64::consts::PI * 0.25 * i as f64 / 32.0).sin()
                + 30e-6 * ((i * 7919) % 13) as f64 / 13.0
        })
        .collect();
    write_edf(
        &p,
        &[
            ("EEG Fz", 256, sine(256 * recs, 10.0, 30e-6, 0.0)),
            ("EEG Cz", 256, sine(256 * recs, 3.0, 25e-6, 0.5)),
            ("Resp", 32, resp),
        ],
        recs,
    );
    out.push(("mixed.edf".to_string(), p));
    // 6: a 4-D image whose TR of 2 s is stored as 2000 with units "seconds"
    let data = ArrayD::from_shape_fn(IxDyn(&[3, 3, 2, 4]), |ix| {
        (100 + ix[0] * 7 + ix[1] * 3 + ix[2] + 5 * ix[3]) as f32
    });
    let p = dir.join("tr_ms.nii");
    save_img(
        &Img::new(data, affine_ras([3.0, 3.0, 4.0], [-3.0, -3.0, 0.0]), Some(2000.0)).unwrap(),
        &p,
        Dtype::I16,
    )
    .unwrap();
    out.push(("tr_ms.nii".to_string(), p));
    out
}

/// Writes the files for tests/python/make_parity_golden.py into `$BRAINML_PARITY_DIR`.
#[test]
#[ignore]
fn write_parity_files() {
    let dir = PathBuf::from(std::env::var("BRAINML_PARITY_DIR").expect("set BRAINML_PARITY_DIR"));
    std::fs::create_dir_all(&dir).unwrap();
    for (name, p) in write_files(&dir) {
        eprintln!("{name}: {}", p.display());
    }
}

fn golden() -> Value {
    serde_json::from_str(include_str!("golden/parity.json")).unwrap()
}

fn sha256(p: &Path) -> String {
    Sha256::digest(std::fs::read(p).unwrap()).iter().map(|b| format!("{b:02x}")).collect()
}

/// The files as the goldens saw them (byte for byte), in a temporary folder.
fn files() -> (tempfile::TempDir, std::collections::HashMap<String, PathBuf>) {
    let dir = tempfile::tempdir().unwrap();
    let g = golden();
    let files: std::collections::HashMap<String, PathBuf> = write_files(dir.path()).into_iter().collect();
    for (name, p) in &files {
        assert_eq!(
            g["sha256"][name].as_str(),
            Some(sha256(p).as_str()),
            "{name} is not the file the goldens were made from: re-run tests/python/make_parity_golden.py"
        );
    }
    (dir, files)
}

fn f64s(v: &Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

fn events_of(v: &Value) -> Vec<(usize, i32)> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| (e[0].as_u64().unwrap() as usize, e[2].as_i64().unwrap() as i32))
        .collect()
}

fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).fold(0.0, |m, (x, y)| m.max((x - y).abs()))
}

#[test]
fn biosemi_status_bits_and_an_event_at_sample_0_as_mne() {
    let (_d, f) = files();
    let g = &golden()["status_bits"];
    let raw = read_raw_bdf(&f["status_bits.bdf"]).unwrap();
    let stim: Vec<f64> = raw.channel("Status").unwrap().iter().map(|&v| v as f64).collect();
    assert_eq!(stim, f64s(&g["stim"]), "the Status channel as MNE reads it (17 bits)");
    let ev = find_events(&raw, "Status").unwrap();
    let got: Vec<(usize, i32)> = ev.samples().iter().copied().zip(ev.codes().iter().copied()).collect();
    assert_eq!(got, events_of(&g["events"]), "find_events (initial_event=False)");
    let ev = find_events_with(&raw, "Status", &FindEvents { initial_event: true, ..FindEvents::default() })
        .unwrap();
    let got: Vec<(usize, i32)> = ev.samples().iter().copied().zip(ev.codes().iter().copied()).collect();
    assert_eq!(got, events_of(&g["events_initial"]), "find_events(initial_event=True)");
    let ev =
        find_events_with(&raw, "Status", &FindEvents { mask: Some(0xFF), ..FindEvents::default() }).unwrap();
    let got: Vec<(usize, i32)> = ev.samples().iter().copied().zip(ev.codes().iter().copied()).collect();
    assert_eq!(got, events_of(&g["events_mask_ff"]), "find_events(mask=0xFF)");
}

#[test]
fn filtering_a_joined_recording_is_segment_wise_as_mne() {
    let (_d, f) = files();
    let g = &golden()["join"];
    let raws = [read_raw_bdf(&f["join_a.bdf"]).unwrap(), read_raw_bdf(&f["join_b.bdf"]).unwrap()];
    let raw = Raw::concatenate(&raws).unwrap();
    let fz = |r: &Raw| -> Vec<f64> { r.channel("Fz").unwrap().iter().map(|&v| v as f64).collect() };
    let scale = f64s(&g["raw_fz"]).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_abs_diff(&fz(&raw), &f64s(&g["raw_fz"])) < 1e-6 * scale);
    for (name, got) in [
        ("fir_fz", raw.filter(Some(1.0), Some(30.0)).unwrap()),
        ("iir_fz", raw.filter_iir(Some(1.0), Some(30.0), 4).unwrap()),
        ("notch_fz", raw.notch_filter(&[50.0]).unwrap()),
        ("resample_fz", raw.resample(128.0).unwrap()),
    ] {
        let want = f64s(&g[name]);
        let err = max_abs_diff(&fz(&got), &want);
        eprintln!("{name}: max |brainml − MNE| = {err:.2e} V (signal up to {scale:.1e} V)");
        assert!(err < 1e-6 * scale, "{name}: {err:e}");
    }
    // filtering straight across the join (MNE skip_by_annotation=()) is what brainml did before
    let across = raw.filter_with(Some(1.0), Some(30.0), FilterMethod::Fir, &[]).unwrap();
    let want = f64s(&g["fir_fz_across"]);
    assert!(max_abs_diff(&fz(&across), &want) < 1e-6 * scale);
    let d = max_abs_diff(&fz(&across), &f64s(&g["fir_fz"]));
    eprintln!("segment-wise vs across the join: up to {:.1} µV apart", d * 1e6);
    assert!(d > 1e-6, "the join must matter in this test");
    // the same epochs are kept
    let filt = raw.filter(Some(1.0), Some(30.0)).unwrap();
    let ev = find_events(&filt, "Status").unwrap();
    let got: Vec<(usize, i32)> = ev.samples().iter().copied().zip(ev.codes().iter().copied()).collect();
    assert_eq!(got, events_of(&g["events"]));
    let ep = Epochs::new(&filt, &ev, &[("a", 1), ("b", 2)], -0.2, 0.5).unwrap();
    let dropped: Vec<usize> =
        g["epochs_dropped"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    assert_eq!((ep.len(), ep.dropped()), (g["epochs_kept"].as_u64().unwrap() as usize, dropped));
}

#[test]
fn mixed_rate_edf_reads_as_mne_with_include_and_exclude() {
    let (_d, f) = files();
    let g = &golden()["mixed"];
    let raw = read_raw_edf(&f["mixed.edf"]).unwrap();
    assert_eq!(raw.sfreq(), g["sfreq"].as_f64().unwrap());
    let names: Vec<String> =
        g["ch_names"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    assert_eq!(raw.ch_names(), &names[..]);
    for (c, want) in g["data"].as_array().unwrap().iter().enumerate() {
        let want = f64s(want);
        let got: Vec<f64> = raw.data().row(c).iter().map(|&v| v as f64).collect();
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = max_abs_diff(&got, &want);
        eprintln!("{}: max |brainml − MNE| = {err:.2e} V (signal up to {scale:.1e} V)", names[c]);
        assert!(err < 1e-6 * scale, "{}: {err:e}", names[c]);
    }
    let ex = read_raw_edf_with(&f["mixed.edf"], &EdfOptions::exclude(&["Resp"])).unwrap();
    assert_eq!(
        (ex.sfreq(), ex.ch_names().len()),
        (g["exclude_sfreq"].as_f64().unwrap(), g["exclude_n_ch"].as_u64().unwrap() as usize)
    );
    let inc = read_raw_edf_with(&f["mixed.edf"], &EdfOptions::include(&["Resp"])).unwrap();
    assert_eq!(
        (inc.sfreq(), inc.n_times()),
        (g["include_sfreq"].as_f64().unwrap(), g["include_n_times"].as_u64().unwrap() as usize)
    );
    let want = f64s(&g["include_data"]);
    let got: Vec<f64> = inc.data().row(0).iter().map(|&v| v as f64).collect();
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    assert!(max_abs_diff(&got, &want) < 1e-6 * scale, "include=[\"Resp\"]: {:e}", max_abs_diff(&got, &want));
    assert!(read_raw_edf_with(&f["mixed.edf"], &EdfOptions::exclude(&["Nope"]))
        .unwrap_err()
        .to_string()
        .contains("Nope"));
}

#[test]
fn a_tr_in_milliseconds_loads_as_nibabel_with_a_warning() {
    let (_d, f) = files();
    let g = &golden()["tr_ms"];
    let img = load_img(&f["tr_ms.nii"]).unwrap();
    let zooms = f64s(&g["zooms"]);
    assert_eq!(img.zooms().to_vec(), zooms[..3].to_vec());
    assert_eq!(img.tr(), Some(zooms[3]), "the TR as stored (nibabel's get_zooms()[3])");
    assert_eq!(img.data().iter().map(|&v| v as f64).collect::<Vec<_>>(), f64s(&g["data_c_order"]));
    assert_eq!(img.warnings().len(), 1);
    assert_eq!(img.with_tr(2.0).unwrap().tr(), Some(2.0));
}

#[test]
fn shuffled_folds_are_scikit_learns() {
    let g = golden();
    let cases = g["folds"].as_array().unwrap();
    assert!(cases.len() >= 20);
    for case in cases {
        let y: Vec<bool> = case["y"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() == 1).collect();
        let k = case["n_splits"].as_u64().unwrap() as usize;
        let seed = case["seed"].as_u64().unwrap() as u32;
        let cv = match case["kind"].as_str().unwrap() {
            "StratifiedKFold" => Cv::stratified(k).shuffle(seed),
            _ => Cv::kfold(k).shuffle(seed),
        };
        let want: Vec<Vec<usize>> = case["test"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f.as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect())
            .collect();
        let got: Vec<Vec<usize>> = cv.split(y.len(), Some(&y)).unwrap().into_iter().map(|s| s.test).collect();
        assert_eq!(got, want, "{} n={} k={k} seed={seed}", case["kind"], y.len());
    }
}
