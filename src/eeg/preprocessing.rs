//! Finding what is wrong with a recording before averaging it: bad channels and muscle
//! artifacts.
//!
//! - [`find_bad_channels`] follows PyPREP's `NoisyChannels.find_bad_by_nan_flat` and
//!   `find_bad_by_deviation` (flat channels; channels whose robust amplitude is more than
//!   `z` robust standard deviations from the others), the usual automatic first pass before
//!   a look at `raw.plot()`.
//! - [`annotate_muscle_zscore`] is MNE's `mne.preprocessing.annotate_muscle_zscore`:
//!   band-pass 110–140 Hz, Hilbert envelope, z-score per channel, sum over channels / √n,
//!   4 Hz low-pass, threshold, and short good stretches absorbed into the bad ones.

use ndarray::Axis;
use polars::prelude::*;
use rustfft::{num_complex::Complex64, FftPlanner};

use crate::eeg::fir::Fir;
use crate::eeg::raw::{Annotation, ChannelType, Raw};
use crate::error::{Error, Result};

// Medians and quantiles by a sort (ml::stats says why not ndarray-stats' quickselect: a flat
// channel, the very thing find_bad_channels looks for, would overflow its stack); each channel
// is sorted once for its median and quartiles.
use crate::ml::stats::{median_sorted, quantile_sorted, sorted_without_nan};

/// Bad-channel search result: the names, and a table of what was measured per channel.
#[derive(Clone, Debug)]
pub struct BadChannels {
    /// channels judged bad, in channel order
    pub names: Vec<String>,
    /// per channel: robust amplitude (µV), its robust z-score, and the verdict
    pub table: DataFrame,
}

/// Find flat and abnormally noisy EEG channels (PyPREP `find_bad_by_nan_flat` +
/// `find_bad_by_deviation(deviation_threshold=z)`; PyPREP's default `z` is 5). A channel is
/// flat when its median absolute deviation or standard deviation is below 1e-15 V (PyPREP's
/// `flat_threshold`); otherwise its robust amplitude `0.7413 × IQR` is z-scored robustly
/// against all channels (median and 1.4826 × MAD).
pub fn find_bad_channels(raw: &Raw, z: f64) -> Result<BadChannels> {
    let eeg: Vec<usize> =
        (0..raw.ch_names().len()).filter(|&c| raw.ch_types()[c] == ChannelType::Eeg).collect();
    if eeg.len() < 3 {
        return Err(Error::data(format!(
            "find_bad_channels: needs at least 3 EEG channels, the recording has {}",
            eeg.len()
        )));
    }
    let mut amp = Vec::with_capacity(eeg.len());
    let mut flat = Vec::with_capacity(eeg.len());
    for &c in &eeg {
        let x: Vec<f64> = raw.data().row(c).iter().map(|&v| v as f64).collect();
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::data(format!(
                "find_bad_channels: channel {} contains NaN",
                raw.ch_names()[c]
            )));
        }
        let mean = x.iter().sum::<f64>() / x.len() as f64;
        let sd = (x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / x.len() as f64).sqrt();
        let xs = sorted_without_nan(&x);
        let med = median_sorted(&xs);
        let mad = median_sorted(&sorted_without_nan(&xs.iter().map(|v| (v - med).abs()).collect::<Vec<_>>()));
        let iqr = quantile_sorted(&xs, 0.75) - quantile_sorted(&xs, 0.25);
        flat.push(mad < 1e-15 || sd < 1e-15);
        amp.push(0.7413 * iqr);
    }
    let med = median_sorted(&sorted_without_nan(&amp));
    let sd =
        1.4826 * median_sorted(&sorted_without_nan(&amp.iter().map(|v| (v - med).abs()).collect::<Vec<_>>()));
    let zs: Vec<f64> = amp.iter().map(|v| if sd > 0.0 { (v - med) / sd } else { 0.0 }).collect();
    let mut names = Vec::new();
    let mut verdict = Vec::new();
    for (k, &c) in eeg.iter().enumerate() {
        let why = if flat[k] {
            "flat"
        } else if zs[k].abs() > z {
            "deviation"
        } else {
            "good"
        };
        if why != "good" {
            names.push(raw.ch_names()[c].clone());
        }
        verdict.push(why);
    }
    let table = df!(
        "channel" => eeg.iter().map(|&c| raw.ch_names()[c].clone()).collect::<Vec<_>>(),
        "robust_amplitude_uv" => amp.iter().map(|v| (v * 1e6 * 100.0).round() / 100.0).collect::<Vec<_>>(),
        "z" => zs.iter().map(|v| (v * 100.0).round() / 100.0).collect::<Vec<_>>(),
        "verdict" => verdict,
    )?;
    Ok(BadChannels { names, table })
}

/// Envelope of the analytic signal (scipy `hilbert(x)` then `abs`, as MNE's
/// `apply_hilbert(envelope=True)`; the FFT is the signal's own length).
pub fn hilbert_envelope(x: &[f64]) -> Vec<f64> {
    let n = x.len();
    if n == 0 {
        return Vec::new();
    }
    let mut planner = FftPlanner::<f64>::new();
    let mut buf: Vec<Complex64> = x.iter().map(|&v| Complex64::new(v, 0.0)).collect();
    planner.plan_fft_forward(n).process(&mut buf);
    // h = [1, 2, …, 2, (1 if n even), 0, …]
    for (k, v) in buf.iter_mut().enumerate() {
        let h = if k == 0 || (n % 2 == 0 && k == n / 2) {
            1.0
        } else if k < n.div_ceil(2) {
            2.0
        } else {
            0.0
        };
        *v *= h;
    }
    planner.plan_fft_inverse(n).process(&mut buf);
    buf.iter().map(|c| c.norm() / n as f64).collect()
}

/// Muscle-artifact spans: MNE's `annotate_muscle_zscore(raw, threshold, ch_type="eeg",
/// min_length_good, filter_freq)` — defaults there are `threshold=4`, `min_length_good=0.1`,
/// `filter_freq=(110, 140)`. Uses the good EEG channels (MNE uses the channels you pick;
/// a flat channel would make every z-score NaN). Returns `BAD_muscle` annotations and the
/// per-sample score.
pub fn annotate_muscle_zscore(
    raw: &Raw,
    threshold: f64,
    min_length_good: f64,
    filter_freq: (f64, f64),
) -> Result<(Vec<Annotation>, Vec<f64>)> {
    use rayon::prelude::*;
    let good = raw.good_eeg();
    if good.is_empty() {
        return Err(Error::data("annotate_muscle_zscore: no good EEG channels"));
    }
    let fir = Fir::design(raw.sfreq(), Some(filter_freq.0), Some(filter_freq.1), None, None)?;
    let z: Vec<Result<Vec<f64>>> = good
        .par_iter()
        .map(|&c| {
            let x: Vec<f64> = raw.data().index_axis(Axis(0), c).iter().map(|&v| v as f64).collect();
            let env = hilbert_envelope(&fir.apply(&x)?);
            let n = env.len() as f64;
            let m = env.iter().sum::<f64>() / n;
            let sd = (env.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / n).sqrt();
            if sd == 0.0 {
                return Err(Error::data(format!(
                    "annotate_muscle_zscore: channel {} is flat; mark it bad first",
                    raw.ch_names()[c]
                )));
            }
            Ok(env.into_iter().map(|v| (v - m) / sd).collect())
        })
        .collect();
    let n = raw.n_times();
    let mut score = vec![0.0; n];
    for zc in z {
        for (s, v) in score.iter_mut().zip(zc?) {
            *s += v;
        }
    }
    let k = (good.len() as f64).sqrt();
    score.iter_mut().for_each(|s| *s /= k);
    let score = Fir::design(raw.sfreq(), None, Some(4.0), None, None)?.apply(&score)?;
    let mut bad: Vec<bool> = score.iter().map(|&s| s > threshold).collect();
    // good stretches shorter than min_length_good become bad
    let min_samps = min_length_good * raw.sfreq();
    let mut i = 0;
    while i < n {
        if !bad[i] {
            let j = (i..n).find(|&j| bad[j]).unwrap_or(n);
            if ((j - i) as f64) < min_samps {
                bad[i..j].iter_mut().for_each(|b| *b = true);
            }
            i = j;
        } else {
            i += 1;
        }
    }
    let mut annotations = Vec::new();
    let mut i = 0;
    while i < n {
        if bad[i] {
            let j = (i..n).find(|&j| !bad[j]).unwrap_or(n);
            annotations.push(Annotation {
                onset: i as f64 / raw.sfreq(),
                duration: (j - i) as f64 / raw.sfreq(),
                description: "BAD_muscle".into(),
            });
            i = j;
        } else {
            i += 1;
        }
    }
    Ok((annotations, score))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envelope_of_a_tone_is_flat() {
        let x: Vec<f64> = (0..1000).map(|i| 3.0 * (i as f64 * 0.3).sin()).collect();
        let e = hilbert_envelope(&x);
        assert!(e[100..900].iter().all(|v| (v - 3.0).abs() < 0.05), "{:?}", &e[100..105]);
    }
}
