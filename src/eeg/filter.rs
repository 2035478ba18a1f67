//! Zero-phase IIR filtering: Butterworth filters as second-order sections, run forward and
//! backward.
//!
//! Mirrors `scipy.signal.butter(N, Wn, btype, output="sos", fs=sfreq)` and
//! `scipy.signal.sosfiltfilt(sos, x)` (odd padding of `3 × (2 × sections + 1 − trailing zero
//! taps)` samples, initial states from `sosfilt_zi`), which is what MNE's
//! `filter_data(..., method="iir")` calls with `iir_params=dict(order=4, ftype="butter")`.
//! The design follows scipy's steps (`buttap`, frequency pre-warping, `lp2lp/lp2hp/lp2bp_zpk`,
//! `bilinear_zpk`); sections pair complex-conjugate poles, which may group them differently
//! from scipy's `zpk2sos` but is the same filter: forward–backward outputs agree to rounding.

use num_complex::Complex64 as C;

use crate::error::{Error, Result};

/// Which band to keep.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Band {
    Lowpass(f64),
    Highpass(f64),
    Bandpass(f64, f64),
}

/// Second-order sections `[b0, b1, b2, a0, a1, a2]` (scipy's `sos` layout, `a0 = 1`).
#[derive(Clone, Debug, PartialEq)]
pub struct Sos(pub Vec<[f64; 6]>);

fn poly2(r1: C, r2: C) -> [f64; 3] {
    // (1 - r1 z^-1)(1 - r2 z^-1) for a conjugate or real pair: real coefficients
    [1.0, -(r1 + r2).re, (r1 * r2).re]
}

/// Design a digital Butterworth filter of order `order` (scipy `butter(..., output="sos")`;
/// a band-pass of order N has 2N poles, as in scipy and MNE).
pub fn butter(order: usize, band: Band, sfreq: f64) -> Result<Sos> {
    if order == 0 || order > 20 {
        return Err(Error::data(format!("Butterworth order must be 1..20, got {order}")));
    }
    let nyq = sfreq / 2.0;
    let check = |f: f64, name: &str| -> Result<f64> {
        if !(f.is_finite() && f > 0.0 && f < nyq) {
            return Err(Error::data(format!(
                "{name} = {f} Hz must lie between 0 and the Nyquist frequency {nyq} Hz"
            )));
        }
        Ok(f / nyq)
    };
    // pre-warp as scipy does (internal fs = 2)
    let warp = |wn: f64| 4.0 * (std::f64::consts::PI * wn / 2.0).tan();
    let n = order as i64;
    let proto: Vec<C> = ((-n + 1)..n)
        .step_by(2)
        .map(|m| -(C::new(0.0, std::f64::consts::PI * m as f64 / (2.0 * n as f64))).exp())
        .collect();
    let (zeros, poles, mut k): (Vec<C>, Vec<C>, f64) = match band {
        Band::Lowpass(f) => {
            let wo = warp(check(f, "h_freq")?);
            (vec![], proto.iter().map(|p| p * wo).collect(), wo.powi(order as i32))
        }
        Band::Highpass(f) => {
            let wo = warp(check(f, "l_freq")?);
            let prod: C = proto.iter().map(|p| -p).product();
            (
                vec![C::new(0.0, 0.0); order],
                proto.iter().map(|p| wo / p).collect(),
                (C::new(1.0, 0.0) / prod).re,
            )
        }
        Band::Bandpass(lo, hi) => {
            if lo >= hi {
                return Err(Error::data(format!("band-pass needs l_freq < h_freq, got {lo} and {hi} Hz")));
            }
            let (w1, w2) = (warp(check(lo, "l_freq")?), warp(check(hi, "h_freq")?));
            let (bw, wo) = (w2 - w1, (w1 * w2).sqrt());
            let mut p = Vec::with_capacity(2 * order);
            for q in &proto {
                let pl = q * bw / 2.0;
                let s = (pl * pl - wo * wo).sqrt();
                p.push(pl + s);
                p.push(pl - s);
            }
            (vec![C::new(0.0, 0.0); order], p, bw.powi(order as i32))
        }
    };
    // bilinear transform (fs = 2 → 2·fs = 4)
    let fs2 = C::new(4.0, 0.0);
    let zd: Vec<C> = zeros
        .iter()
        .map(|z| (fs2 + z) / (fs2 - z))
        .chain(std::iter::repeat_n(C::new(-1.0, 0.0), poles.len() - zeros.len()))
        .collect();
    let pd: Vec<C> = poles.iter().map(|p| (fs2 + p) / (fs2 - p)).collect();
    let num: C = zeros.iter().map(|z| fs2 - z).product();
    let den: C = poles.iter().map(|p| fs2 - p).product();
    k *= (num / den).re;
    // pair poles: conjugate pairs (upper half-plane member + its conjugate), then real poles
    let mut complex: Vec<C> = pd.iter().copied().filter(|p| p.im > 1e-12).collect();
    complex.sort_by(|a, b| (1.0 - a.norm()).total_cmp(&(1.0 - b.norm())).reverse());
    let mut real: Vec<f64> = pd.iter().filter(|p| p.im.abs() <= 1e-12).map(|p| p.re).collect();
    real.sort_by(|a, b| a.total_cmp(b));
    let mut pole_pairs: Vec<(C, Option<C>)> = complex.iter().map(|p| (*p, Some(p.conj()))).collect();
    while let Some(a) = real.pop() {
        let b = real.pop().map(|b| C::new(b, 0.0));
        pole_pairs.push((C::new(a, 0.0), b));
    }
    // zeros are all real (±1): give each section two (one for a first-order section),
    // mixing +1 and -1 for band-pass so every section is the same kind
    let mut zpos: Vec<C> = zd.iter().copied().filter(|z| z.re > 0.0).collect();
    let mut zneg: Vec<C> = zd.iter().copied().filter(|z| z.re <= 0.0).collect();
    let mut sections = Vec::with_capacity(pole_pairs.len());
    for (p1, p2) in pole_pairs {
        // one zero from each list when both have some (band-pass), else from the one that does
        let mut pick = |prefer_pos: bool| -> Option<C> {
            if prefer_pos {
                zpos.pop().or_else(|| zneg.pop())
            } else {
                zneg.pop().or_else(|| zpos.pop())
            }
        };
        let z1 = pick(true);
        let z2 = if p2.is_some() { pick(false) } else { None };
        let b = match (z1, z2) {
            (Some(a), Some(b)) => poly2(a, b),
            (Some(a), None) => [1.0, -a.re, 0.0],
            _ => [1.0, 0.0, 0.0],
        };
        let a = match p2 {
            Some(p2) => poly2(p1, p2),
            None => [1.0, -p1.re, 0.0],
        };
        sections.push([b[0], b[1], b[2], a[0], a[1], a[2]]);
    }
    if let Some(first) = sections.first_mut() {
        for v in first.iter_mut().take(3) {
            *v *= k;
        }
    }
    Ok(Sos(sections))
}

impl Sos {
    /// Filter forward once from the given section states (transposed direct form II,
    /// as `scipy.signal.sosfilt`). Returns the output; `zi` is updated in place.
    fn run(&self, x: &[f64], zi: &mut [[f64; 2]]) -> Vec<f64> {
        let mut y = x.to_vec();
        for (s, z) in self.0.iter().zip(zi.iter_mut()) {
            let [b0, b1, b2, _, a1, a2] = *s;
            for v in y.iter_mut() {
                let xi = *v;
                let yi = b0 * xi + z[0];
                z[0] = b1 * xi - a1 * yi + z[1];
                z[1] = b2 * xi - a2 * yi;
                *v = yi;
            }
        }
        y
    }

    /// Steady-state section states for a unit step (scipy `sosfilt_zi`).
    pub fn zi(&self) -> Vec<[f64; 2]> {
        let mut scale = 1.0;
        self.0
            .iter()
            .map(|s| {
                let [b0, b1, b2, _, a1, a2] = *s;
                // (I - Aᵀ) zi = b[1:] - a[1:]·b0, with Aᵀ = [[-a1, 1], [-a2, 0]]
                let (r0, r1) = (b1 - a1 * b0, b2 - a2 * b0);
                // [[1 + a1, -1], [a2, 1]] · [z0, z1] = [r0, r1]
                let det = (1.0 + a1) + a2;
                let z0 = (r0 + r1) / det;
                let z1 = r1 - a2 * z0;
                let out = [scale * z0, scale * z1];
                scale *= (b0 + b1 + b2) / (1.0 + a1 + a2);
                out
            })
            .collect()
    }

    /// The padding `sosfiltfilt` uses: 3 × (2 × sections + 1 − sections ending in zero taps).
    pub fn padlen(&self) -> usize {
        let nb = self.0.iter().filter(|s| s[2] == 0.0).count();
        let na = self.0.iter().filter(|s| s[5] == 0.0).count();
        3 * (2 * self.0.len() + 1 - nb.min(na))
    }

    /// Zero-phase filtering (scipy `sosfiltfilt(sos, x)`, odd extension at both ends).
    pub fn filtfilt(&self, x: &[f64]) -> Result<Vec<f64>> {
        let pad = self.padlen();
        if x.len() <= pad {
            return Err(Error::data(format!("signal of {} samples is too short for this filter: it needs more than {pad} (filter padding)", x.len())));
        }
        self.filtfilt_padded(x, pad)
    }

    /// Zero-phase filtering as MNE's `filter_data(..., method="iir")` does it: pad each end
    /// by the filter's ringing length ([`Sos::ringing_samples`], at most `len − 1`) with
    /// MNE's "reflect_limited" odd reflection, then `sosfiltfilt` without further padding.
    pub fn filtfilt_mne(&self, x: &[f64]) -> Result<Vec<f64>> {
        if x.len() < 2 {
            return Err(Error::data("cannot filter fewer than 2 samples"));
        }
        let pad = self.ringing_samples().min(x.len() - 1);
        self.filtfilt_padded(x, pad)
    }

    /// Forward–backward filtering after padding `pad` samples at each end (MNE's
    /// `_smart_pad(..., "reflect_limited")`: odd reflection, zeros beyond the signal's length).
    pub fn filtfilt_padded(&self, x: &[f64], pad: usize) -> Result<Vec<f64>> {
        if x.is_empty() {
            return Err(Error::data("cannot filter an empty signal"));
        }
        if x.iter().any(|v| !v.is_finite()) {
            return Err(Error::data("cannot filter: the signal contains NaN or infinite values"));
        }
        let n = x.len();
        let ext = smart_pad(x, pad, pad);
        let zi = self.zi();
        let mut z: Vec<[f64; 2]> = zi.iter().map(|s| [s[0] * ext[0], s[1] * ext[0]]).collect();
        let mut y = self.run(&ext, &mut z);
        y.reverse();
        let mut z: Vec<[f64; 2]> = zi.iter().map(|s| [s[0] * y[0], s[1] * y[0]]).collect();
        let mut y = self.run(&y, &mut z);
        y.reverse();
        Ok(y[pad..pad + n].to_vec())
    }

    /// How many samples the impulse response takes to decay below 0.1 % of its peak: MNE's
    /// `estimate_ringing_samples(sos)` (chunks of 1000 samples, at most 100 000), the
    /// padding MNE uses for IIR filtering.
    pub fn ringing_samples(&self) -> usize {
        const CHUNK: usize = 1000;
        const MAX_CHUNKS: usize = 100;
        let mut z = vec![[0.0; 2]; self.0.len()];
        let mut x = vec![0.0; CHUNK];
        x[0] = 1.0;
        let mut last_good = CHUNK as i64;
        let mut thresh = 0.0f64;
        for ii in 0..MAX_CHUNKS {
            let h: Vec<f64> = self.run(&x, &mut z).into_iter().map(f64::abs).collect();
            x[0] = 0.0;
            thresh = thresh.max(0.001 * h.iter().fold(0.0f64, |m, v| m.max(*v)));
            match h.iter().rposition(|&v| v > thresh) {
                Some(i) => last_good = i as i64,
                None => return ((ii as i64 - 1) * CHUNK as i64 + last_good).max(0) as usize,
            }
        }
        CHUNK * MAX_CHUNKS
    }
}

/// MNE's `_smart_pad(x, (left, right), "reflect_limited")`: `2·x[0] − x[k..1]` on the left,
/// `2·x[−1] − x[−2..]` on the right, and zeros where the pad is longer than the signal.
pub fn smart_pad(x: &[f64], left: usize, right: usize) -> Vec<f64> {
    let n = x.len();
    let mut out = Vec::with_capacity(n + left + right);
    let lz = (left + 1).saturating_sub(n);
    out.extend(std::iter::repeat_n(0.0, lz));
    out.extend((1..=left - lz).rev().map(|i| 2.0 * x[0] - x[i]));
    out.extend_from_slice(x);
    let rz = (right + 1).saturating_sub(n);
    out.extend((1..=right - rz).map(|i| 2.0 * x[n - 1] - x[n - 1 - i]));
    out.extend(std::iter::repeat_n(0.0, rz));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Magnitude response at `f` Hz.
    fn gain(sos: &Sos, f: f64, sfreq: f64) -> f64 {
        let w = C::new(0.0, -2.0 * std::f64::consts::PI * f / sfreq).exp();
        sos.0
            .iter()
            .map(|s| ((s[0] + s[1] * w + s[2] * w * w) / (s[3] + s[4] * w + s[5] * w * w)).norm())
            .product()
    }

    #[test]
    fn butterworth_responses() {
        let sf = 256.0;
        let bp = butter(4, Band::Bandpass(1.0, 30.0), sf).unwrap();
        assert_eq!(bp.0.len(), 4);
        assert!((gain(&bp, 8.0, sf) - 1.0).abs() < 1e-3);
        assert!((gain(&bp, 1.0, sf) - 0.5f64.sqrt()).abs() < 1e-6, "-3 dB at the edge");
        assert!((gain(&bp, 30.0, sf) - 0.5f64.sqrt()).abs() < 1e-6);
        assert!(gain(&bp, 80.0, sf) < 0.03, "{}", gain(&bp, 80.0, sf)); // ≈ 1/√(1 + (80/30)⁸) before warping
        let lp = butter(3, Band::Lowpass(40.0), sf).unwrap();
        assert!((gain(&lp, 0.0, sf) - 1.0).abs() < 1e-12);
        assert!((gain(&lp, 40.0, sf) - 0.5f64.sqrt()).abs() < 1e-6);
        assert_eq!(lp.padlen(), 3 * (2 * 2 + 1 - 1));
        let hp = butter(2, Band::Highpass(1.0), sf).unwrap();
        assert!(gain(&hp, 0.0, sf) < 1e-12 && (gain(&hp, 60.0, sf) - 1.0).abs() < 1e-6);
        assert!(butter(4, Band::Bandpass(30.0, 1.0), sf).is_err());
        assert!(butter(4, Band::Lowpass(200.0), sf).is_err());
    }

    #[test]
    fn filtfilt_keeps_constants_and_passband_and_rejects_bad_input() {
        let lp = butter(4, Band::Lowpass(30.0), 256.0).unwrap();
        let y = lp.filtfilt(&[3.0; 100]).unwrap();
        assert!(y.iter().all(|v| (v - 3.0).abs() < 1e-9));
        let x: Vec<f64> =
            (0..1000).map(|i| (2.0 * std::f64::consts::PI * 5.0 * i as f64 / 256.0).sin()).collect();
        let y = lp.filtfilt(&x).unwrap();
        assert!(x.iter().zip(&y).skip(100).take(800).all(|(a, b)| (a - b).abs() < 1e-3));
        assert!(lp.filtfilt(&[1.0; 5]).is_err());
        assert!(lp.filtfilt(&[1.0, f64::NAN].repeat(50)).is_err());
    }
}
