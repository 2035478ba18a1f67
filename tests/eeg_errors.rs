//! Bad input to the EEG steps gives an error that says what is wrong, never a panic.
#![cfg(feature = "eeg")]

use brainml::eeg::{find_bad_channels, find_events, Annotation, ChannelType, Epochs, Raw};
use brainml::plot::eeg::plot_compare_evokeds;
use ndarray::Array2;

fn small_raw() -> Raw {
    let n = 2560;
    let data = Array2::from_shape_fn((3, n), |(c, t)| match c {
        2 => {
            if t % 500 == 100 {
                5.0
            } else {
                0.0
            }
        }
        _ => 1e-6 * ((t as f32 * 0.1 + c as f32).sin()),
    });
    Raw::new(
        data,
        vec!["Cz".into(), "Pz".into(), "STI".into()],
        vec![ChannelType::Eeg, ChannelType::Eeg, ChannelType::Stim],
        256.0,
    )
    .unwrap()
}

fn msg<T: std::fmt::Debug>(r: brainml::Result<T>) -> String {
    r.expect_err("expected an error").to_string()
}

#[test]
fn epochs_and_events_reject_bad_input() {
    let raw = small_raw();
    assert!(msg(find_events(&raw, "Cz")).contains("not a stim channel"));
    assert!(msg(find_events(&raw, "Oz")).contains("no channel \"Oz\""));
    let ev = find_events(&raw, "STI").unwrap();
    assert_eq!(ev.samples(), [100, 600, 1100, 1600, 2100]);
    assert!(msg(Epochs::new(&raw, &ev, &[("a", 7)], -0.1, 0.5)).contains("no event with code 7"));
    assert!(msg(Epochs::new(&raw, &ev, &[("a", 5)], 0.5, -0.1)).contains("tmin < tmax"));
    assert!(msg(Epochs::new(&raw, &ev, &[("a", 5)], -5.0, 5.0)).contains("longer than the whole recording"));
    assert!(msg(Epochs::new(&raw, &ev, &[("a", 5)], -4.5, 4.5)).contains("every epoch was dropped"));
    let ep = Epochs::new(&raw, &ev, &[("a/x", 5)], -0.1, 0.5).unwrap();
    assert_eq!(ep.len(), 5);
    assert!(msg(ep.get("b")).contains("no epochs match"));
    assert!(msg(ep.drop_bad(0.0)).contains("threshold"));
    assert!(msg(ep.drop_bad(1e-9)).contains("all 5 epochs exceed"));
    assert!(msg(ep.apply_baseline(Some((1.0, 2.0)))).contains("no samples"));
    assert!(msg(ep.drop(&[9], "x")).contains("epoch 9 does not exist"));
    let ev_avg = ep.average().unwrap();
    assert!(msg(ev_avg.get_peak(Some("Cz"), 0.0, 0.2, "max")).contains("mode"));
    assert!(msg(ev_avg.get_peak(Some("Oz"), 0.0, 0.2, "neg")).contains("Oz"));
    assert!(msg(plot_compare_evokeds(&[("a", &ep)], "Oz")).contains("Oz"));
    assert!(msg(ev_avg.plot_topomap(&[])).contains("at least one"));
    assert!(msg(find_bad_channels(&raw, 5.0)).contains("at least 3 EEG channels"));
    assert!(msg(raw.with_bads(&["Oz"])).contains("Oz"));
    let span = |onset: f64, duration: f64| Annotation { onset, duration, description: "BAD_x".into() };
    assert!(msg(raw.set_annotations(vec![span(1.0, -0.5)])).contains("duration"));
    assert!(msg(raw.set_annotations(vec![span(f64::NAN, 0.5)])).contains("onset"));
    assert_eq!(raw.set_annotations(vec![span(1.0, 0.5)]).unwrap().annotations().len(), 1);
    assert!(msg(raw.pick(&["Cz", "Cz"])).contains("twice"));
    assert!(msg(brainml::eeg::Events::new(vec![1, 2], vec![5], 256.0)).contains("one per sample"));
    assert!(msg(raw.set_montage(&brainml::eeg::Montage::from_names(&["Cz"]).unwrap())).contains("Pz"));
    assert!(msg(raw.filter(Some(200.0), None)).contains("Nyquist"));
    assert!(msg(raw.crop(5.0, 1.0)).contains("tmin"));
    assert!(msg(raw.resample(0.0)).contains("positive"));
    assert!(msg(Raw::concatenate(&[])).contains("no recordings"));
    let mut nan = raw.clone();
    nan = Raw::new(
        {
            let mut d = nan.data().clone();
            d[[0, 10]] = f32::NAN;
            d
        },
        nan.ch_names().to_vec(),
        nan.ch_types().to_vec(),
        256.0,
    )
    .unwrap();
    assert!(msg(nan.filter(Some(1.0), Some(30.0))).contains("NaN"));
}

#[test]
fn resample_and_concatenate_keep_events() {
    let raw = small_raw();
    let r = raw.resample(128.0).unwrap();
    assert_eq!(r.n_times(), 1280);
    assert_eq!(find_events(&r, "STI").unwrap().samples(), [50, 300, 550, 800, 1050]);
    let both = Raw::concatenate(&[raw.clone(), raw.clone()]).unwrap();
    assert_eq!(both.n_times(), 5120);
    // as mne.concatenate_raws: a BAD boundary and an EDGE boundary at the join
    let descs: Vec<&str> = both.annotations().iter().map(|a| a.description.as_str()).collect();
    assert_eq!(descs, ["BAD boundary", "EDGE boundary"]);
    assert_eq!(both.annotation_segments(&brainml::eeg::MNE_SKIP_BY_ANNOTATION), vec![0..2560, 2560..5120]);
    let ev = find_events(&both, "STI").unwrap();
    assert_eq!(ev.len(), 10);
    // the epoch at the end of the first file would straddle the join: dropped
    let ep = Epochs::new(&both, &ev, &[("a", 5)], -0.1, 2.0).unwrap();
    assert!(
        ep.drop_log().iter().any(|d| d.first().is_some_and(|s| s == "BAD boundary")),
        "{:?}",
        ep.drop_log()
    );
}
