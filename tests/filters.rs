//! brainml's Butterworth + sosfiltfilt against scipy's (golden vectors made by
//! tests/python/make_filter_golden.py and committed).
#![cfg(feature = "eeg")]

use brainml::eeg::filter::{butter, Band};

#[test]
fn matches_scipy_sosfiltfilt_to_1e6_relative() {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/filters.json")).unwrap();
    let g: serde_json::Value = serde_json::from_str(&text).unwrap();
    let sfreq = g["sfreq"].as_f64().unwrap();
    let x: Vec<f64> = g["x"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
    for case in g["cases"].as_array().unwrap() {
        let order = case["order"].as_u64().unwrap() as usize;
        let band = match case["btype"].as_str().unwrap() {
            "bandpass" => {
                Band::Bandpass(case["freqs"][0].as_f64().unwrap(), case["freqs"][1].as_f64().unwrap())
            }
            "lowpass" => Band::Lowpass(case["freqs"].as_f64().unwrap()),
            _ => Band::Highpass(case["freqs"].as_f64().unwrap()),
        };
        let want: Vec<f64> = case["y"].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect();
        let got = butter(order, band, sfreq).unwrap().filtfilt(&x).unwrap();
        let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let err = got.iter().zip(&want).fold(0.0f64, |m, (a, b)| m.max((a - b).abs())) / scale;
        assert!(err <= 1e-6, "{band:?} order {order}: max relative error {err:.2e}");
        eprintln!("{band:?} order {order}: max relative error {err:.1e}");
    }
}

#[test]
fn raw_filter_leaves_stim_channels_alone() {
    use brainml::eeg::{ChannelType, Raw};
    let n = 2000;
    let data = ndarray::Array2::from_shape_fn((2, n), |(c, t)| {
        if c == 0 {
            1e-5 + 1e-6 * (t as f32 * 0.3).sin()
        } else if t % 500 == 0 {
            5.0
        } else {
            0.0
        }
    });
    let raw =
        Raw::new(data, vec!["Cz".into(), "Status".into()], vec![ChannelType::Eeg, ChannelType::Stim], 256.0)
            .unwrap();
    let f = raw.filter_iir(Some(1.0), Some(30.0), 4).unwrap();
    assert_eq!(f.data().row(1), raw.data().row(1));
    let mean: f32 = f.data().row(0).iter().skip(200).take(1600).sum::<f32>() / 1600.0;
    assert!(mean.abs() < 2e-7, "offset removed: mean {mean}");
    assert!(raw.filter_iir(None, None, 4).is_err());
    assert!(raw.filter_iir(Some(1.0), Some(200.0), 4).is_err());
}

fn golden_mne() -> serde_json::Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/mne_filters.json"))
        .unwrap();
    serde_json::from_str(&text).unwrap()
}

fn vec_of(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect()
}

fn rel_err(got: &[f64], want: &[f64]) -> f64 {
    assert_eq!(got.len(), want.len(), "length");
    let scale = want.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    got.iter().zip(want).fold(0.0f64, |m, (a, b)| m.max((a - b).abs())) / scale
}

/// MNE's default FIR, its IIR (with its own padding), notch and FFT resampling, against
/// `mne.filter` itself (tests/python/make_mne_filter_golden.py).
#[test]
fn matches_mne_filter_data_notch_and_resample_to_1e6_relative() {
    use brainml::eeg::filter::{butter, Band};
    use brainml::eeg::fir::{resample, Fir};
    let g = golden_mne();
    let sfreq = g["sfreq"].as_f64().unwrap();
    let x = vec_of(&g["x"]);
    let mut worst = 0.0f64;
    for case in g["cases"].as_array().unwrap() {
        let kind = case["kind"].as_str().unwrap();
        let (l, h) = (case["l_freq"].as_f64(), case["h_freq"].as_f64());
        let want = vec_of(&case["y"]);
        let (label, got) = match kind {
            "fir" | "fir_short" => {
                let fir = Fir::design(sfreq, l, h, None, None).unwrap();
                if let Some(n) = case["n_taps"].as_u64() {
                    assert_eq!(fir.len() as u64, n, "FIR {l:?}–{h:?} taps");
                }
                let input = if kind == "fir" { x.clone() } else { vec_of(&g["short"]) };
                (format!("{kind} {l:?}–{h:?}"), fir.apply(&input).unwrap())
            }
            "iir" => {
                let band = match (l, h) {
                    (Some(l), Some(h)) => Band::Bandpass(l, h),
                    (Some(l), None) => Band::Highpass(l),
                    (None, Some(h)) => Band::Lowpass(h),
                    _ => unreachable!(),
                };
                let sos = butter(4, band, sfreq).unwrap();
                assert_eq!(
                    sos.ringing_samples() as u64,
                    case["padlen"].as_u64().unwrap(),
                    "IIR {band:?} padlen"
                );
                (format!("iir {band:?}"), sos.filtfilt_mne(&x).unwrap())
            }
            "notch" => {
                let freqs = vec_of(&case["freqs"]);
                (format!("notch {freqs:?}"), Fir::notch(sfreq, &freqs, None).unwrap().apply(&x).unwrap())
            }
            "resample" => {
                let ratio = case["up"].as_f64().unwrap() / case["down"].as_f64().unwrap();
                (format!("resample ×{ratio}"), resample(&x, ratio).unwrap())
            }
            other => panic!("unknown case {other}"),
        };
        let err = rel_err(&got, &want);
        eprintln!("{label}: max relative error {err:.1e}");
        worst = worst.max(err);
        assert!(err <= 1e-6, "{label}: max relative error {err:.2e}");
    }
    eprintln!("worst {worst:.1e} against MNE {}", g["mne"]);
}
