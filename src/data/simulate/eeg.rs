//! Simulated EEG of famous, unfamiliar and scrambled faces, with a forward model.
//!
//! Sources are current dipoles in a spherical head (radius [`HEAD_RADIUS`]) projected to
//! 64 electrodes at 10-10 positions through the infinite-medium dipole potential
//! `V = q·(r − r₀) / (4πσ|r − r₀|³)`, σ = 0.33 S/m — the simplest lead field that gives smooth,
//! plausible scalp maps (the sphere's boundary would scale potentials, not reshape them much).
//!
//! Components (all planted values are in the truth file):
//! - P1: bilateral occipital dipoles, Gaussian peak at 100 ms, equal for every condition;
//! - N170: right occipito-temporal dipole (left homologue at 60 %), peak at 170 ms, moment
//!   larger for faces (famous and unfamiliar) than scrambled faces, so face − scrambled is
//!   negative at P8/PO8; per-trial latency jitter (sd 4 ms);
//! - background: 1/f-like noise from 12 random dipoles (sums of AR(1) processes), 8–12 Hz
//!   alpha from an occipital dipole with a wandering envelope, white sensor noise;
//! - blinks (frontal, from a dipole at the eyes), 50 Hz line noise, slow drift;
//! - one flat and one noisy channel, and a few trials with a burst of muscle artifact.
//! Mirrors the role of `mne.simulation.simulate_raw` (which needs a real forward model).

use std::f64::consts::PI;
use std::path::Path;

use ndarray::Array2;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, StandardNormal};
use rayon::prelude::*;
use serde::Serialize;

use super::write_atomic;
use crate::eeg::io::{write_bdf, WriteOptions};
use crate::eeg::montage::{Montage, BIOSEMI64, HEAD_RADIUS};
use crate::eeg::raw::{ChannelType, Raw};
use crate::error::{Error, IoContext, Result};

/// The three conditions of the Wakeman & Henson design, with their trigger codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Condition {
    Famous,
    Unfamiliar,
    Scrambled,
}

impl Condition {
    pub const ALL: [Condition; 3] = [Condition::Famous, Condition::Unfamiliar, Condition::Scrambled];
    /// Trigger code written to the Status channel.
    pub fn code(self) -> u32 {
        match self {
            Condition::Famous => 5,
            Condition::Unfamiliar => 13,
            Condition::Scrambled => 17,
        }
    }
    /// BIDS `trial_type`.
    pub fn name(self) -> &'static str {
        match self {
            Condition::Famous => "famous",
            Condition::Unfamiliar => "unfamiliar",
            Condition::Scrambled => "scrambled",
        }
    }
    fn is_face(self) -> bool {
        self != Condition::Scrambled
    }
}

/// Settings of the simulation (defaults: 150 trials per condition, SOA 2.5–3.5 s, 512 Hz).
#[derive(Clone, Debug, Serialize)]
pub struct EegParams {
    pub seed: u64,
    pub sfreq: f64,
    pub n_per_condition: usize,
    /// stimulus onset asynchrony, drawn uniformly in [min, max] seconds
    pub soa: (f64, f64),
    /// N170 dipole moment for faces and for scrambled faces, nA·m
    pub n170_face_nam: f64,
    pub n170_scrambled_nam: f64,
    pub n170_latency: f64,
    pub p1_latency: f64,
    pub p1_nam: f64,
    pub bad_flat: String,
    pub bad_noisy: String,
    pub n_artifact_trials: usize,
}

impl Default for EegParams {
    fn default() -> Self {
        EegParams {
            seed: 42,
            sfreq: 512.0,
            n_per_condition: 150,
            soa: (2.5, 3.5),
            n170_face_nam: 24.0,
            n170_scrambled_nam: 10.0,
            n170_latency: 0.170,
            p1_latency: 0.100,
            p1_nam: 25.0,
            bad_flat: "T7".into(),
            bad_noisy: "FC5".into(),
            n_artifact_trials: 6,
        }
    }
}

impl EegParams {
    fn check(&self) -> Result<()> {
        if self.n_per_condition == 0 {
            return Err(Error::data(
                "simulate: n_per_condition must be at least 1 (zero trials make no experiment)",
            ));
        }
        let (a, b) = self.soa;
        if !(a.is_finite() && b.is_finite() && a > 0.7 && b >= a) {
            return Err(Error::data(format!(
                "simulate: SOA range must satisfy 0.7 s < min ≤ max (epochs are 0.7 s long), got {a}..{b}"
            )));
        }
        if !(self.sfreq >= 128.0 && self.sfreq <= 4096.0 && self.sfreq.fract() == 0.0) {
            return Err(Error::data(format!(
                "simulate: sampling rate must be a whole number of Hz in 128..4096, got {}",
                self.sfreq
            )));
        }
        if self.n_artifact_trials > 3 * self.n_per_condition {
            return Err(Error::data("simulate: more artifact trials than trials"));
        }
        for n in [&self.bad_flat, &self.bad_noisy] {
            if !BIOSEMI64.contains(&n.as_str()) {
                return Err(Error::data(format!("simulate: bad channel {n:?} is not a biosemi64 channel")));
            }
        }
        Ok(())
    }
}

/// One stimulus.
#[derive(Clone, Debug, Serialize)]
pub struct SimEvent {
    pub sample: usize,
    pub onset: f64,
    pub condition: Condition,
}

/// What was planted, per channel and overall (written as `_truth.json`).
#[derive(Clone, Debug, Serialize)]
pub struct EegTruth {
    pub params: EegParams,
    /// N170 peak latency (s) of the face − scrambled difference on every channel
    pub n170_latency: f64,
    /// noiseless evoked value at the N170 latency, µV, per channel (face, scrambled, difference)
    pub n170_face_uv: Vec<(String, f64)>,
    pub n170_scrambled_uv: Vec<(String, f64)>,
    pub n170_face_minus_scrambled_uv: Vec<(String, f64)>,
    /// noiseless P1 at its latency, µV, per channel (all conditions)
    pub p1_uv: Vec<(String, f64)>,
    pub bad_channels: Vec<String>,
    /// 0-based indices into the events (the `events.tsv` rows) of trials with a muscle burst
    pub artifact_trials: Vec<usize>,
    pub trial_counts: Vec<(String, usize)>,
    pub n_samples: usize,
}

/// The simulated recording with its events and truth.
#[derive(Clone, Debug)]
pub struct EegSimulation {
    pub raw: Raw,
    pub events: Vec<SimEvent>,
    pub montage: Montage,
    pub truth: EegTruth,
}

const SIGMA: f64 = 0.33;

/// Bumped whenever the generator's output changes, so `brainml simulate` knows to rewrite.
pub const GENERATOR_VERSION: &str = "eeg-1";

fn potential(el: [f64; 3], r0: [f64; 3], q: [f64; 3]) -> f64 {
    let d = [el[0] - r0[0], el[1] - r0[1], el[2] - r0[2]];
    let n2 = d[0] * d[0] + d[1] * d[1] + d[2] * d[2];
    let n3 = n2 * n2.sqrt();
    (q[0] * d[0] + q[1] * d[1] + q[2] * d[2]) / (4.0 * PI * SIGMA * n3)
}

fn normalize(v: [f64; 3]) -> [f64; 3] {
    let n = (v[0] * v[0] + v[1] * v[1] + v[2] * v[2]).sqrt();
    [v[0] / n, v[1] / n, v[2] / n]
}

/// A unit dipole (1 nA·m) at `r0` pointing along `dir`: its potential (V) on every electrode.
fn lead(m: &Montage, r0: [f64; 3], dir: [f64; 3]) -> Vec<f64> {
    let q = normalize(dir).map(|x| x * 1e-9);
    m.positions().iter().map(|&el| potential(el, r0, q)).collect()
}

fn gauss(t: f64, mu: f64, sd: f64) -> f64 {
    (-(t - mu) * (t - mu) / (2.0 * sd * sd)).exp()
}

/// 1/f-like noise: a sum of AR(1) processes with corner frequencies spread over octaves
/// (each contributes equal power per octave), unit variance.
fn pink(rng: &mut ChaCha8Rng, n: usize, sfreq: f64) -> Vec<f64> {
    let corners = [0.3, 0.8, 2.0, 5.0, 12.0, 30.0, 75.0];
    let mut out = vec![0.0; n];
    let g = 1.0 / (corners.len() as f64).sqrt();
    for &f in &corners {
        // unit-variance AR(1) with its corner at f Hz
        let a = (-2.0 * PI * f / sfreq).exp();
        let k = (1.0 - a * a).sqrt();
        let mut x: f64 = StandardNormal.sample(rng);
        for o in out.iter_mut() {
            x = a * x + k * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, rng);
            *o += g * x;
        }
    }
    out
}

/// Simulate the recording (no files written; see [`write_eeg`]).
pub fn simulate_eeg(p: &EegParams) -> Result<EegSimulation> {
    p.check()?;
    let montage = Montage::standard("biosemi64")?;
    let n_ch = montage.ch_names().len();
    let sf = p.sfreq;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);

    // --- trial sequence: balanced, shuffled, jittered SOA
    let mut conds: Vec<Condition> =
        Condition::ALL.iter().flat_map(|&c| std::iter::repeat_n(c, p.n_per_condition)).collect();
    for i in (1..conds.len()).rev() {
        let j = rng.gen_range(0..=i);
        conds.swap(i, j);
    }
    let mut t = 2.0;
    let mut events = Vec::with_capacity(conds.len());
    for &c in &conds {
        let sample = (t * sf).round() as usize;
        events.push(SimEvent { sample, onset: sample as f64 / sf, condition: c });
        t += rng.gen_range(p.soa.0..=p.soa.1);
    }
    let n = ((t + 2.0).ceil() * sf) as usize;
    let r = HEAD_RADIUS;

    // --- sources: (lead field column, time course in nA·m)
    let mut sources: Vec<(Vec<f64>, Vec<f64>)> = Vec::new();
    let jitter = Normal::new(0.0, 0.004).map_err(|e| Error::data(e.to_string()))?;
    let evoked = |rng: &mut ChaCha8Rng, lat: f64, sd: f64, amp: &dyn Fn(Condition) -> f64| -> Vec<f64> {
        let mut s = vec![0.0; n];
        for e in &events {
            let l = lat + jitter.sample(rng);
            let a = amp(e.condition);
            let lo = e.sample;
            let hi = (e.sample + (0.5 * sf) as usize).min(n);
            for (i, v) in s[lo..hi].iter_mut().enumerate() {
                *v += a * gauss(i as f64 / sf, l, sd);
            }
        }
        s
    };
    // P1: bilateral occipital, pointing back and out
    let p1 = evoked(&mut rng, p.p1_latency, 0.015, &|_| p.p1_nam);
    let p1_l = lead(&montage, [-0.3 * r, -0.75 * r, 0.15 * r], [-0.3, -1.0, 0.35]);
    let p1_r = lead(&montage, [0.3 * r, -0.75 * r, 0.15 * r], [0.3, -1.0, 0.35]);
    let p1_lead: Vec<f64> = p1_l.iter().zip(&p1_r).map(|(a, b)| a + b).collect();
    sources.push((p1_lead.clone(), p1));
    // N170: right occipito-temporal (left at 60 %), negative at P8/PO8
    let amp = |c: Condition| if c.is_face() { p.n170_face_nam } else { p.n170_scrambled_nam };
    let n170 = evoked(&mut rng, p.n170_latency, 0.018, &amp);
    // under P8 at 70 % of the head radius, pointing inwards (radial): focal negativity at
    // P8/PO8/P10 with the positive pole (the "VPP") over the front of the head
    let p8 = montage.get("P8").ok_or_else(|| Error::data("montage without P8"))?.map(|x| x / r);
    let n170_r = lead(&montage, p8.map(|x| 0.7 * x * r), p8.map(|x| -x));
    let n170_l =
        lead(&montage, [-0.7 * p8[0] * r, 0.7 * p8[1] * r, 0.7 * p8[2] * r], [p8[0], -p8[1], -p8[2]]);
    let n170_lead: Vec<f64> = n170_r.iter().zip(&n170_l).map(|(a, b)| a + 0.6 * b).collect();
    sources.push((n170_lead.clone(), n170));
    // background: random dipoles of 1/f noise
    for _ in 0..12 {
        let pos = loop {
            let v = [rng.gen_range(-0.6..0.6), rng.gen_range(-0.6..0.6), rng.gen_range(-0.3..0.6)];
            if v[0] * v[0] + v[1] * v[1] + v[2] * v[2] < 0.36 {
                break v.map(|x| x * r);
            }
        };
        let dir = [rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0), rng.gen_range(-1.0..1.0)];
        let tc: Vec<f64> = pink(&mut rng, n, sf).into_iter().map(|x| 9.0 * x).collect();
        sources.push((lead(&montage, pos, dir), tc));
    }
    // alpha: occipital, 10 Hz with a wandering frequency and envelope
    {
        let normal = Normal::new(0.0, 1.0).map_err(|e| Error::data(e.to_string()))?;
        let (mut ph, mut env, mut df) = (0.0f64, 0.0f64, 0.0f64);
        let a_env = (-1.0 / (1.5 * sf)).exp();
        let tc: Vec<f64> = (0..n)
            .map(|_| {
                env = a_env * env + (1.0 - a_env * a_env).sqrt() * normal.sample(&mut rng);
                df = 0.9995 * df + 0.02 * normal.sample(&mut rng);
                ph += 2.0 * PI * (10.0 + df.clamp(-2.0, 2.0)) / sf;
                10.0 * (0.6 + 0.5 * env).max(0.0) * ph.sin()
            })
            .collect();
        sources.push((lead(&montage, [0.0, -0.55 * r, 0.3 * r], [0.0, -0.7, 1.0]), tc));
    }
    // blinks: a dipole at the eyes pointing forward (cornea positive)
    {
        let mut tc = vec![0.0; n];
        let mut tb = rng.gen_range(1.0..6.0);
        let len = (0.3 * sf) as usize;
        while ((tb * sf) as usize) + len < n {
            let s0 = (tb * sf) as usize;
            let a = rng.gen_range(400.0..600.0);
            for i in 0..len {
                tc[s0 + i] += a * (PI * i as f64 / len as f64).sin().powi(2);
            }
            tb += rng.gen_range(3.0..9.0);
        }
        sources.push((lead(&montage, [0.0, 0.8 * r, -0.35 * r], [0.0, 1.0, 0.1]), tc));
    }

    // --- project, then add per-channel noise (each channel its own seeded stream)
    let seeds: Vec<u64> = (0..n_ch).map(|_| rng.gen()).collect();
    let flat = montage.ch_names().iter().position(|c| *c == p.bad_flat);
    let noisy = montage.ch_names().iter().position(|c| *c == p.bad_noisy);
    let mut rows: Vec<Vec<f32>> = (0..n_ch)
        .into_par_iter()
        .map(|c| {
            let mut crng = ChaCha8Rng::seed_from_u64(seeds[c]);
            let line_amp = crng.gen_range(0.5e-6..2.5e-6);
            let line_ph = crng.gen_range(0.0..2.0 * PI);
            let (d1, f1, p1) =
                (crng.gen_range(5e-6..20e-6), crng.gen_range(0.005..0.03), crng.gen_range(0.0..2.0 * PI));
            let (d2, f2, p2) =
                (crng.gen_range(2e-6..10e-6), crng.gen_range(0.03..0.1), crng.gen_range(0.0..2.0 * PI));
            let mut white = || -> f64 {
                1.5e-6 * <StandardNormal as Distribution<f64>>::sample(&StandardNormal, &mut crng)
            };
            let extra = if Some(c) == noisy { 40e-6 } else { 0.0 };
            let mut row = vec![0f32; n];
            if Some(c) == flat {
                return row;
            }
            for (i, v) in row.iter_mut().enumerate() {
                let tt = i as f64 / sf;
                let mut x = 0.0;
                for (l, tc) in &sources {
                    x += l[c] * tc[i];
                }
                x += white() + line_amp * (2.0 * PI * 50.0 * tt + line_ph).sin();
                x += d1 * (2.0 * PI * f1 * tt + p1).sin() + d2 * (2.0 * PI * f2 * tt + p2).sin();
                if extra > 0.0 {
                    x += extra * white() / 1.5e-6;
                }
                *v = x as f32;
            }
            row
        })
        .collect();

    // --- artifact trials: a burst of muscle-like activity (white noise, sd 40–60 µV, 150 ms)
    // somewhere in 0–400 ms, on every channel: far over any peak-to-peak threshold, but
    // zero-mean, so it adds noise to a plain average rather than a fake component
    let mut artifact_trials: Vec<usize> = Vec::new();
    while artifact_trials.len() < p.n_artifact_trials {
        let k = rng.gen_range(0..events.len());
        if !artifact_trials.contains(&k) {
            artifact_trials.push(k);
        }
    }
    artifact_trials.sort_unstable();
    for &k in &artifact_trials {
        let s0 = events[k].sample + rng.gen_range(0..(0.25 * sf) as usize);
        let len = ((0.15 * sf) as usize).min(n - s0);
        let burst = Normal::new(0.0, rng.gen_range(40e-6..60e-6)).map_err(|e| Error::data(e.to_string()))?;
        for (c, row) in rows.iter_mut().enumerate() {
            if Some(c) == flat {
                continue;
            }
            for v in row[s0..s0 + len].iter_mut() {
                *v += burst.sample(&mut rng) as f32;
            }
        }
    }

    // --- Status channel
    let mut status = vec![0f32; n];
    for e in &events {
        for v in status.iter_mut().skip(e.sample).take(8) {
            *v = e.condition.code() as f32;
        }
    }
    rows.push(status);
    let mut data = Array2::<f32>::zeros((n_ch + 1, n));
    for (c, row) in rows.into_iter().enumerate() {
        data.row_mut(c).assign(&ndarray::ArrayView1::from(&row[..]));
    }
    let mut names = montage.ch_names().to_vec();
    names.push("Status".into());
    let mut types = vec![ChannelType::Eeg; n_ch];
    types.push(ChannelType::Stim);
    let mut raw = Raw::new(data, names, types, sf)?;
    raw.mark_bads(&[&p.bad_flat, &p.bad_noisy])?;

    // --- truth: noiseless values at the peaks (µV)
    let per_ch = |f: &dyn Fn(usize) -> f64| -> Vec<(String, f64)> {
        montage
            .ch_names()
            .iter()
            .enumerate()
            .map(|(c, n)| (n.clone(), (f(c) * 1e6 * 1000.0).round() / 1000.0))
            .collect()
    };
    let truth = EegTruth {
        params: p.clone(),
        n170_latency: p.n170_latency,
        n170_face_uv: per_ch(&|c| n170_lead[c] * p.n170_face_nam),
        n170_scrambled_uv: per_ch(&|c| n170_lead[c] * p.n170_scrambled_nam),
        n170_face_minus_scrambled_uv: per_ch(&|c| n170_lead[c] * (p.n170_face_nam - p.n170_scrambled_nam)),
        p1_uv: per_ch(&|c| p1_lead[c] * p.p1_nam),
        bad_channels: raw.bads().to_vec(),
        artifact_trials,
        trial_counts: Condition::ALL.iter().map(|c| (c.name().to_string(), p.n_per_condition)).collect(),
        n_samples: n,
    };
    Ok(EegSimulation { raw, events, montage, truth })
}

/// Write the EEG part of the BIDS dataset under `out` (see the module docs of
/// [`crate::data::simulate`]).
pub fn write_eeg(sim: &EegSimulation, out: &Path) -> Result<()> {
    let dir = out.join("sub-01").join("eeg");
    std::fs::create_dir_all(&dir).at(&dir)?;
    let stem = dir.join("sub-01_task-faces");
    let f = |suffix: &str| stem.with_file_name(format!("sub-01_task-faces_{suffix}"));
    write_bdf(
        f("eeg.bdf"),
        &sim.raw,
        &WriteOptions {
            recording: "Startdate 01-JAN-2026 brainml simulated faces".into(),
            ..WriteOptions::default()
        },
    )?;
    let sidecar = serde_json::json!({
        "TaskName": "faces",
        "TaskDescription": "famous, unfamiliar and scrambled faces (simulated, after Wakeman & Henson 2015)",
        "SamplingFrequency": sim.raw.sfreq(),
        "PowerLineFrequency": 50,
        "EEGReference": "CMS/DRL (simulated: reference-free potentials)",
        "EEGChannelCount": sim.montage.ch_names().len(),
        "TriggerChannelCount": 1,
        "RecordingDuration": sim.raw.duration(),
        "SoftwareFilters": "n/a",
    });
    write_atomic(&f("eeg.json"), format!("{:#}\n", sidecar).as_bytes())?;
    let mut ev = String::from("onset\tduration\ttrial_type\tvalue\tsample\n");
    for e in &sim.events {
        ev += &format!("{:.6}\t0\t{}\t{}\t{}\n", e.onset, e.condition.name(), e.condition.code(), e.sample);
    }
    write_atomic(&f("events.tsv"), ev.as_bytes())?;
    let mut ch = String::from("name\ttype\tunits\tstatus\tstatus_description\n");
    for n in sim.montage.ch_names() {
        let bad = sim.raw.bads().contains(n);
        let why = if *n == sim.truth.params.bad_flat {
            "flat"
        } else if *n == sim.truth.params.bad_noisy {
            "noisy"
        } else {
            "n/a"
        };
        ch += &format!("{n}\tEEG\tuV\t{}\t{why}\n", if bad { "bad" } else { "good" });
    }
    ch += "Status\tTRIG\tn/a\tgood\tn/a\n";
    write_atomic(&f("channels.tsv"), ch.as_bytes())?;
    let mut el = String::from("name\tx\ty\tz\n");
    for (n, p) in sim.montage.ch_names().iter().zip(sim.montage.positions()) {
        el += &format!("{n}\t{:.6}\t{:.6}\t{:.6}\n", p[0], p[1], p[2]);
    }
    write_atomic(&f("electrodes.tsv"), el.as_bytes())?;
    write_atomic(
        &f("truth.json"),
        format!("{:#}\n", serde_json::to_value(&sim.truth).map_err(|e| Error::data(e.to_string()))?)
            .as_bytes(),
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn small() -> EegParams {
        EegParams { n_per_condition: 40, soa: (1.0, 1.4), ..EegParams::default() }
    }

    #[test]
    fn bad_parameters_are_errors() {
        for p in [
            EegParams { n_per_condition: 0, ..small() },
            EegParams { soa: (-1.0, 2.0), ..small() },
            EegParams { soa: (3.0, 2.0), ..small() },
            EegParams { sfreq: 511.5, ..small() },
            EegParams { bad_flat: "XX".into(), ..small() },
        ] {
            assert!(simulate_eeg(&p).is_err());
        }
    }

    #[test]
    fn planted_structure() {
        let s = simulate_eeg(&small()).unwrap();
        assert_eq!(s.events.len(), 120);
        assert_eq!(s.raw.ch_names().len(), 65);
        let flat = s.raw.channel("T7").unwrap();
        assert!(flat.iter().all(|&v| v == 0.0));
        let get = |v: &[(String, f64)], n: &str| v.iter().find(|x| x.0 == n).unwrap().1;
        let d = &s.truth.n170_face_minus_scrambled_uv;
        // right-lateralised negativity at P8/PO8, bigger than the left homologues
        assert!(get(d, "P8") < -1.0 && get(d, "PO8") < -1.0, "{} {}", get(d, "P8"), get(d, "PO8"));
        assert!(get(d, "P8") < get(d, "P7"));
        // P1 positive at occipital sites
        assert!(get(&s.truth.p1_uv, "Oz") > 1.0);
        // same seed, same data; other seed, other data
        let again = simulate_eeg(&small()).unwrap();
        assert_eq!(s.raw.data(), again.raw.data());
        let other = simulate_eeg(&EegParams { seed: 7, ..small() }).unwrap();
        assert_ne!(s.raw.data(), other.raw.data());
    }
}
