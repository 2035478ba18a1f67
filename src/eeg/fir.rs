//! MNE-Python's default filter: a zero-phase, windowed-sinc FIR ("firwin" design, Hamming
//! window, automatic transition bands and length), applied once by FFT convolution after
//! "reflect_limited" edge padding. Ported from `mne/filter.py` (MNE 1.13):
//! `_triage_filter_params` (auto transition bandwidths and filter length),
//! `create_filter` (band edges and gains), `_firwin_design` (a sum of `scipy.signal.firwin`
//! low-passes, one per transition, each as long as its own transition needs), and
//! `_overlap_add_filter` / `_1d_overlap_filter` (padding by `len(h) − 1`, delay compensation).
//! `notch_filter` (band-stops at each frequency) and `resample` (`_resample_fft`, FFT
//! resampling with `npad="auto"` and a boxcar window) follow the same file. Checked against
//! `mne.filter.filter_data`, `notch_filter` and `resample` on golden vectors
//! (tests/golden/mne_filters.json).

use realfft::RealFftPlanner;

use crate::eeg::filter::smart_pad;
use crate::error::{Error, Result};

/// MNE's window length factor for the Hamming window (`_length_factors["hamming"]`).
const HAMMING_FACTOR: f64 = 3.3;

/// A linear-phase FIR filter (odd length, symmetric taps).
#[derive(Clone, Debug, PartialEq)]
pub struct Fir {
    pub h: Vec<f64>,
}

/// MNE's automatic transition bandwidth below `l_freq`: `min(max(0.25·l_freq, 2), l_freq)`.
pub fn auto_l_trans(l_freq: f64) -> f64 {
    (0.25 * l_freq).max(2.0).min(l_freq)
}

/// MNE's automatic transition bandwidth above `h_freq`: `min(max(0.25·h_freq, 2), nyquist − h_freq)`.
pub fn auto_h_trans(h_freq: f64, sfreq: f64) -> f64 {
    (0.25 * h_freq).max(2.0).min(sfreq / 2.0 - h_freq)
}

/// `scipy.signal.firwin(n, cutoff, window="hamming", pass_zero=True)` with `cutoff` relative
/// to Nyquist: a windowed sinc scaled to unit gain at 0 Hz.
fn firwin_lowpass(n: usize, cutoff: f64) -> Vec<f64> {
    let alpha = 0.5 * (n as f64 - 1.0);
    let mut h: Vec<f64> = (0..n)
        .map(|i| {
            let m = i as f64 - alpha;
            let sinc = |v: f64| {
                if v == 0.0 {
                    1.0
                } else {
                    (std::f64::consts::PI * v).sin() / (std::f64::consts::PI * v)
                }
            };
            let win = if n > 1 {
                0.54 - 0.46 * (2.0 * std::f64::consts::PI * i as f64 / (n as f64 - 1.0)).cos()
            } else {
                1.0
            };
            cutoff * sinc(cutoff * m) * win
        })
        .collect();
    let s: f64 = h.iter().sum();
    h.iter_mut().for_each(|v| *v /= s);
    h
}

/// Python's `int(round(x))` (ties to even).
fn py_round(x: f64) -> i64 {
    x.round_ties_even() as i64
}

/// `_firwin_design(N, freq, gain, "hamming")` with `freq` relative to Nyquist (0 … 1).
fn firwin_design(n: usize, freq: &[f64], gain: &[f64], sfreq: f64) -> Result<Vec<f64>> {
    let mut h = vec![0.0; n];
    let (mut prev_freq, mut prev_gain) = (freq[freq.len() - 1], gain[gain.len() - 1]);
    if prev_gain == 1.0 {
        h[n / 2] = 1.0;
    }
    for (&this_freq, &this_gain) in freq.iter().rev().zip(gain.iter().rev()).skip(1) {
        if this_gain != prev_gain {
            let transition = (prev_freq - this_freq) / 2.0;
            let mut this_n = py_round(HAMMING_FACTOR / transition).max(1) as usize;
            this_n += 1 - this_n % 2;
            if this_n > n {
                return Err(Error::data(format!(
                    "FIR filter of {n} taps is too short for the {:.2} Hz transition band, which needs {this_n}",
                    transition * sfreq
                )));
            }
            let this_h = firwin_lowpass(this_n, (prev_freq + this_freq) / 2.0);
            let offset = (n - this_n) / 2;
            let sign = if this_gain == 0.0 { -1.0 } else { 1.0 };
            for (k, v) in this_h.iter().enumerate() {
                h[offset + k] += sign * v;
            }
        }
        prev_gain = this_gain;
        prev_freq = this_freq;
    }
    Ok(h)
}

/// MNE's automatic filter length: `ceil(3.3 / min_transition · sfreq)`, made odd.
fn auto_length(min_trans: f64, sfreq: f64) -> usize {
    let mut n = ((HAMMING_FACTOR / min_trans) * sfreq).ceil().max(1.0) as usize;
    n += (n - 1) % 2;
    n
}

impl Fir {
    /// Design MNE's default FIR filter (`mne.filter.create_filter(None, sfreq, l_freq,
    /// h_freq)`, i.e. `method="fir"`, `fir_design="firwin"`, `fir_window="hamming"`,
    /// `phase="zero"`, `filter_length="auto"`): a band-pass when `l_freq < h_freq`, a
    /// high-pass with only `l_freq`, a low-pass with only `h_freq`, a band-stop when
    /// `l_freq > h_freq`. Transition bandwidths default to MNE's "auto" rule
    /// ([`auto_l_trans`], [`auto_h_trans`]).
    pub fn design(
        sfreq: f64,
        l_freq: Option<f64>,
        h_freq: Option<f64>,
        l_trans: Option<f64>,
        h_trans: Option<f64>,
    ) -> Result<Fir> {
        if !(sfreq.is_finite() && sfreq > 0.0) {
            return Err(Error::data(format!("filter: sampling frequency must be positive, got {sfreq}")));
        }
        let nyq = sfreq / 2.0;
        for (name, f) in [("l_freq", l_freq), ("h_freq", h_freq)] {
            if let Some(f) = f {
                if !(f.is_finite() && f > 0.0 && f < nyq) {
                    return Err(Error::data(format!(
                        "filter: {name} = {f} Hz must be between 0 and Nyquist ({nyq} Hz)"
                    )));
                }
            }
        }
        let (freq, gain, min_trans): (Vec<f64>, Vec<f64>, f64) = match (l_freq, h_freq) {
            (None, None) => return Err(Error::data("filter: give l_freq, h_freq or both")),
            (Some(l), None) => {
                let lt = l_trans.unwrap_or_else(|| auto_l_trans(l));
                let stop = l - lt;
                check_edges(lt, stop, nyq)?;
                let (mut f, mut g) = (vec![stop, l, nyq], vec![0.0, 1.0, 1.0]);
                if stop != 0.0 {
                    f.insert(0, 0.0);
                    g.insert(0, 0.0);
                }
                (f, g, lt)
            }
            (None, Some(h)) => {
                let ht = h_trans.unwrap_or_else(|| auto_h_trans(h, sfreq));
                let stop = h + ht;
                check_edges(ht, stop, nyq)?;
                let (mut f, mut g) = (vec![0.0, h, stop], vec![1.0, 1.0, 0.0]);
                if stop != nyq {
                    f.push(nyq);
                    g.push(0.0);
                }
                (f, g, ht)
            }
            (Some(l), Some(h)) if l < h => {
                let lt = l_trans.unwrap_or_else(|| auto_l_trans(l));
                let ht = h_trans.unwrap_or_else(|| auto_h_trans(h, sfreq));
                let (s1, s2) = (l - lt, h + ht);
                check_edges(lt, s1, nyq)?;
                check_edges(ht, s2, nyq)?;
                let (mut f, mut g) = (vec![s1, l, h, s2], vec![0.0, 1.0, 1.0, 0.0]);
                if s2 != nyq {
                    f.push(nyq);
                    g.push(0.0);
                }
                if s1 != 0.0 {
                    f.insert(0, 0.0);
                    g.insert(0, 0.0);
                }
                (f, g, lt.min(ht))
            }
            (Some(l), Some(h)) => {
                // band-stop between h and l (MNE's notch path): edges move inwards by the
                // transition bandwidths
                let lt = l_trans.unwrap_or_else(|| auto_l_trans(l));
                let ht = h_trans.unwrap_or_else(|| auto_h_trans(h, sfreq));
                return Fir::bandstop(sfreq, &[(h, l)], ht, lt);
            }
        };
        let n = auto_length(min_trans, sfreq);
        let norm: Vec<f64> = freq.iter().map(|f| f / nyq).collect();
        Ok(Fir { h: firwin_design(n, &norm, &gain, sfreq)? })
    }

    /// Band-stop filter removing each `(low, high)` band (Hz), with transition bands `lt` above
    /// each `low` and `ht` below each `high` *inside* the band — MNE's band-stop branch of
    /// `create_filter` (what `notch_filter` builds).
    fn bandstop(sfreq: f64, bands: &[(f64, f64)], lt: f64, ht: f64) -> Result<Fir> {
        let nyq = sfreq / 2.0;
        let mut pts: Vec<(f64, f64)> = Vec::new();
        for &(lo, hi) in bands {
            if !(lo > 0.0 && hi < nyq && lo + lt <= hi - ht) {
                return Err(Error::data(format!(
                    "band-stop {lo}–{hi} Hz with transitions {lt}/{ht} Hz is not inside 0–{nyq} Hz"
                )));
            }
            pts.extend([(lo, 1.0), (lo + lt, 0.0), (hi - ht, 0.0), (hi, 1.0)]);
        }
        pts.sort_by(|a, b| a.0.total_cmp(&b.0));
        if pts[0].0 != 0.0 {
            pts.insert(0, (0.0, 1.0));
        }
        if pts[pts.len() - 1].0 != nyq {
            pts.push((nyq, 1.0));
        }
        let min_trans = lt.min(ht);
        let n = auto_length(min_trans, sfreq);
        let norm: Vec<f64> = pts.iter().map(|p| p.0 / nyq).collect();
        let gain: Vec<f64> = pts.iter().map(|p| p.1).collect();
        Ok(Fir { h: firwin_design(n, &norm, &gain, sfreq)? })
    }

    /// MNE's `notch_filter(x, sfreq, freqs)` with its FIR defaults: for each frequency `f` a
    /// band-stop of width `notch_width` (default `f / 200`) plus a 1 Hz transition
    /// (`trans_bandwidth=1`), i.e. stop band `f ± (width/2)`, pass band beyond
    /// `f ± (width/2 + 0.5)`.
    pub fn notch(sfreq: f64, freqs: &[f64], notch_width: Option<f64>) -> Result<Fir> {
        if freqs.is_empty() {
            return Err(Error::data("notch_filter: give at least one frequency"));
        }
        let tb2 = 0.5;
        let bands: Vec<(f64, f64)> = freqs
            .iter()
            .map(|&f| {
                let nw = notch_width.unwrap_or(f / 200.0);
                (f - nw / 2.0 - tb2, f + nw / 2.0 + tb2)
            })
            .collect();
        Fir::bandstop(sfreq, &bands, tb2, tb2)
    }

    /// Number of taps.
    pub fn len(&self) -> usize {
        self.h.len()
    }

    /// Whether the filter has no taps.
    pub fn is_empty(&self) -> bool {
        self.h.is_empty()
    }

    /// Zero-phase filtering of one signal (MNE `_overlap_add_filter(x, h, phase="zero")`):
    /// pad `len(h) − 1` samples each side by odd reflection, convolve (one FFT), take the
    /// samples aligned with the input (the filter's delay removed).
    pub fn apply(&self, x: &[f64]) -> Result<Vec<f64>> {
        if x.is_empty() {
            return Err(Error::data("cannot filter an empty signal"));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::data("cannot filter: the signal contains NaN or infinite values"));
        }
        let n_h = self.h.len();
        if n_h == 0 {
            return Err(Error::data("cannot filter with a filter of no taps"));
        }
        if n_h == 1 {
            return Ok(x.iter().map(|v| v * self.h[0]).collect());
        }
        let n_edge = n_h.min(x.len()) - 1;
        let xp = smart_pad(x, n_edge, n_edge);
        let shift = (n_h - 1) / 2 + n_edge;
        let full = fft_convolve(&xp, &self.h);
        Ok(full[shift..shift + x.len()].to_vec())
    }
}

fn check_edges(trans: f64, stop: f64, nyq: f64) -> Result<()> {
    if !(trans.is_finite() && trans > 0.0) {
        return Err(Error::data(format!("filter: transition bandwidth must be positive, got {trans}")));
    }
    if stop < 0.0 || stop > nyq {
        return Err(Error::data(format!("filter: the transition band reaches {stop:.2} Hz, outside 0–{nyq} Hz; reduce the transition bandwidth")));
    }
    Ok(())
}

/// Smallest length ≥ n whose only prime factors are 2, 3 and 5 (fast for rustfft).
fn fast_len(n: usize) -> usize {
    let mut m = n.max(1);
    loop {
        let mut k = m;
        for p in [2, 3, 5] {
            while k % p == 0 {
                k /= p;
            }
        }
        if k == 1 {
            return m;
        }
        m += 1;
    }
}

/// Full linear convolution of `x` and `h` by FFT overlap-add, with the FFT length MNE's
/// `_overlap_add_filter` picks (mne/filter.py: powers of two from `2·len(h) − 1` up to
/// `len(x)`, minimising `⌈n_x / (N − n_h + 1)⌉ · N · (log2 N + 1) + 4e-5 · N · n_x`); one
/// FFT of the whole signal when it is shorter than that.
pub fn fft_convolve(x: &[f64], h: &[f64]) -> Vec<f64> {
    let (n_x, n_h) = (x.len(), h.len());
    let out_len = n_x + n_h - 1;
    let min_fft = 2 * n_h - 1;
    let n_fft = if n_x >= min_fft {
        let (lo, hi) = ((min_fft as f64).log2().ceil() as u32, (n_x as f64).log2().ceil() as u32);
        (lo..=hi)
            .map(|k| 1usize << k)
            .filter(|&n| n > n_h)
            .map(|n| {
                let nf = n as f64;
                let cost = (n_x as f64 / (n - n_h + 1) as f64).ceil() * nf * (nf.log2() + 1.0)
                    + 4e-5 * nf * n_x as f64;
                (n, cost)
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map_or(fast_len(out_len), |(n, _)| n)
    } else {
        fast_len(out_len)
    };
    let n_fft = n_fft.max(min_fft.min(fast_len(out_len)));
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(n_fft);
    let inv = planner.plan_fft_inverse(n_fft);
    let mut buf = vec![0.0; n_fft];
    let mut spec = fwd.make_output_vec();
    buf[..n_h].copy_from_slice(h);
    // lengths match the plans, so process() cannot fail
    let _ = fwd.process(&mut buf, &mut spec);
    let sh = spec.clone();
    let seg = (n_fft + 1).saturating_sub(n_h).max(1);
    let mut out = vec![0.0; out_len];
    let scale = 1.0 / n_fft as f64;
    let mut start = 0;
    while start < n_x {
        let end = (start + seg).min(n_x);
        buf.iter_mut().for_each(|v| *v = 0.0);
        buf[..end - start].copy_from_slice(&x[start..end]);
        let _ = fwd.process(&mut buf, &mut spec);
        spec.iter_mut().zip(&sh).for_each(|(a, b)| *a *= b);
        spec[0].im = 0.0;
        if n_fft % 2 == 0 {
            spec[n_fft / 2].im = 0.0;
        }
        let _ = inv.process(&mut spec, &mut buf);
        let m = (end - start + n_h - 1).min(out_len - start);
        out[start..start + m].iter_mut().zip(&buf[..m]).for_each(|(o, v)| *o += v * scale);
        start = end;
    }
    out
}

/// MNE's `resample(x, up, down)` with its defaults (`method="fft"`, `npad="auto"`,
/// `window="auto"` = boxcar, `pad="reflect_limited"`), ported from `_resample_fft` and
/// `cuda._fft_resample`: pad to a power of two, cut (or zero-extend) the spectrum, inverse
/// FFT at the new length, trim. Cutting the spectrum is the anti-aliasing low-pass. Returns
/// `round(n · ratio)` samples.
pub fn resample(x: &[f64], ratio: f64) -> Result<Vec<f64>> {
    resample_npad(x, ratio, None)
}

/// [`resample`] with MNE's `npad`: `None` is `npad="auto"` (pad to a power of two), `Some(k)`
/// pads `k` samples at each end (MNE's EDF reader upsamples slower channels with `npad=0`).
pub fn resample_npad(x: &[f64], ratio: f64, npad: Option<usize>) -> Result<Vec<f64>> {
    if !(ratio.is_finite() && ratio > 0.0) {
        return Err(Error::data(format!("resample: ratio must be positive, got {ratio}")));
    }
    if x.is_empty() {
        return Err(Error::data("resample: empty signal"));
    }
    if x.iter().any(|v| !v.is_finite()) {
        return Err(Error::data("resample: the signal contains NaN or infinite values"));
    }
    let n = x.len();
    let final_len = (py_round(ratio * n as f64)).max(1) as usize;
    let (npad0, npad1) = match npad {
        Some(k) => (k, k),
        None => {
            let min_add = (n / 8).min(100) * 2;
            let total = (n + min_add).next_power_of_two() - n;
            (total / 2, total / 2 + total % 2)
        }
    };
    let orig_len = n + npad0 + npad1;
    let new_len = (py_round(ratio * orig_len as f64)).max(1) as usize;
    let rm0 = py_round(ratio * npad0 as f64).max(0) as usize;
    if new_len < final_len + rm0 {
        return Err(Error::data("resample: ratio too extreme for this signal length"));
    }
    let xp = smart_pad(x, npad0, npad1);
    let mut planner = RealFftPlanner::<f64>::new();
    let fwd = planner.plan_fft_forward(orig_len);
    let mut buf = xp;
    let mut spec = fwd.make_output_vec();
    let _ = fwd.process(&mut buf, &mut spec);
    let shorter = new_len < orig_len;
    let use_len = if shorter { new_len } else { orig_len };
    if use_len % 2 == 0 {
        let nyq = use_len / 2;
        if nyq < spec.len() {
            spec[nyq] *= if shorter { 2.0 } else { 0.5 };
        }
    }
    let w = new_len as f64 / orig_len as f64;
    let inv = planner.plan_fft_inverse(new_len);
    let mut spec2 = inv.make_input_vec();
    for (k, v) in spec2.iter_mut().enumerate() {
        if k < spec.len() {
            *v = spec[k] * w;
        }
    }
    // a real signal's DC and Nyquist bins are real (scipy's irfft ignores their imaginary parts)
    spec2[0].im = 0.0;
    if new_len % 2 == 0 {
        let last = spec2.len() - 1;
        spec2[last].im = 0.0;
    }
    let mut out = vec![0.0; new_len];
    let _ = inv.process(&mut spec2, &mut out);
    Ok(out[rm0..rm0 + final_len].iter().map(|v| v / new_len as f64).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_follow_mne() {
        // MNE logs "Filter length: 845 samples" for a 1–30 Hz band-pass at 256 Hz (the lower
        // transition is capped at l_freq = 1 Hz: ceil(3.3 / 1 · 256) = 845)
        assert_eq!(Fir::design(256.0, Some(1.0), Some(30.0), None, None).unwrap().len(), 845);
        // 0.1 Hz high-pass at 256 Hz: transition 0.1 Hz → 8449 taps
        assert_eq!(Fir::design(256.0, Some(0.1), None, None, None).unwrap().len(), 8449);
        let f = Fir::design(256.0, None, Some(40.0), None, None).unwrap();
        assert_eq!(f.len(), 85);
        assert!((f.h.iter().sum::<f64>() - 1.0).abs() < 1e-12, "unit DC gain");
        assert!(Fir::design(256.0, Some(200.0), None, None, None).is_err());
        assert!(Fir::design(256.0, None, None, None, None).is_err());
        assert!(Fir::notch(256.0, &[], None).is_err());
        assert!(Fir::design(256.0, Some(1.0), Some(30.0), None, None)
            .unwrap()
            .apply(&[1.0, f64::NAN])
            .is_err());
    }

    #[test]
    fn resample_lengths_and_constant() {
        let x = vec![3.0; 1000];
        let y = resample(&x, 0.5).unwrap();
        assert_eq!(y.len(), 500);
        assert!(y.iter().all(|v| (v - 3.0).abs() < 1e-9));
        assert_eq!(resample(&x, 128.0 / 512.0).unwrap().len(), 250);
        assert!(resample(&x, 0.0).is_err());
    }
}
