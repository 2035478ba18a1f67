//! Simulated fMRI of the same faces experiment: two runs of BOLD, a T1w-like anatomy, a brain
//! mask, region masks and the planted effects.
//!
//! - Grid: 52 × 62 × 46 voxels of 3 mm, RAS+ affine, TR 2 s, 200 volumes per run.
//! - Brain: an ellipsoid whose surface is folded by a low-order ripple; a 6-mm cortical ribbon
//!   of grey matter, white matter inside, two ventricles; tissue-dependent baseline (BOLD: CSF
//!   > GM > WM; T1w: WM > GM > CSF).
//! - Signal: boxcars of the events convolved with the SPM canonical HRF ([`crate::fmri::glm`]),
//!   in percent of the baseline: right fusiform "face area" (faces 3 %, scrambled 0.5 %),
//!   bilateral occipital region (2 % for both), a frontal control region with none.
//! - Noise: spatially smooth (Gaussian, FWHM 6 mm) AR(1) noise (ρ = 0.4), white thermal
//!   noise, a slow drift.
//! - Run 2 is sabotaged: two spike volumes (global jump plus slice stripes) and a head jerk
//!   (the brain shifted 3 mm for three volumes, visible in the motion parameters).

use std::f64::consts::PI;
use std::path::Path;

use ndarray::{Array3, Array4, Axis};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal};
use serde::Serialize;

use super::write_atomic;
use crate::error::{Error, IoContext, Result};
use crate::fmri::glm::{regressor, Condition as GlmCondition};
use crate::fmri::io::{affine_ras, save_img, Dtype, Img};
use crate::fmri::preprocess::{gaussian_filter, Edge};

/// Bumped whenever the generator's output changes.
pub const GENERATOR_VERSION: &str = "fmri-1";

/// Settings (defaults as in the module docs).
#[derive(Clone, Debug, Serialize)]
pub struct FmriParams {
    pub seed: u64,
    pub tr: f64,
    pub n_volumes: usize,
    pub n_runs: usize,
    /// spacing of events, seconds, uniform in [min, max]
    pub isi: (f64, f64),
    /// percent signal change: face area (faces, scrambled), occipital (both)
    pub ffa_face_pct: f64,
    pub ffa_scrambled_pct: f64,
    pub occipital_pct: f64,
    /// noise sd in percent of baseline: smooth AR(1), white
    pub smooth_noise_pct: f64,
    pub white_noise_pct: f64,
}

impl Default for FmriParams {
    fn default() -> Self {
        FmriParams {
            seed: 42,
            tr: 2.0,
            n_volumes: 200,
            n_runs: 2,
            isi: (4.0, 7.0),
            ffa_face_pct: 3.0,
            ffa_scrambled_pct: 0.5,
            occipital_pct: 2.0,
            smooth_noise_pct: 0.8,
            white_noise_pct: 0.6,
        }
    }
}

impl FmriParams {
    fn check(&self) -> Result<()> {
        if !(self.tr.is_finite() && self.tr > 0.1 && self.tr < 10.0) {
            return Err(Error::data(format!("simulate: TR must be between 0.1 and 10 s, got {}", self.tr)));
        }
        if self.n_volumes < 40 || self.n_runs == 0 {
            return Err(Error::data(format!(
                "simulate: need at least one run of ≥ 40 volumes, got {} × {}",
                self.n_runs, self.n_volumes
            )));
        }
        let (a, b) = self.isi;
        if !(a.is_finite() && b.is_finite() && a >= 1.0 && b >= a) {
            return Err(Error::data(format!(
                "simulate: event spacing must satisfy 1 s ≤ min ≤ max, got {a}..{b}"
            )));
        }
        Ok(())
    }
}

/// A planted region.
#[derive(Clone, Debug, Serialize)]
pub struct Region {
    pub name: String,
    pub centers_mm: Vec<[f64; 3]>,
    pub radius_mm: f64,
    pub n_voxels: usize,
    pub face_pct: f64,
    pub scrambled_pct: f64,
}

/// What was planted (written as `_truth.json` beside the BOLD runs).
#[derive(Clone, Debug, Serialize)]
pub struct FmriTruth {
    pub params: FmriParams,
    pub shape: [usize; 3],
    pub zooms_mm: [f64; 3],
    pub regions: Vec<Region>,
    /// per run (0-based run index, 0-based volumes)
    pub spike_volumes: Vec<Vec<usize>>,
    pub jerk_volumes: Vec<Vec<usize>>,
    pub n_brain_voxels: usize,
}

/// One run's events.
#[derive(Clone, Debug)]
pub struct RunEvents {
    pub onsets: Vec<f64>,
    pub trial_types: Vec<&'static str>,
}

const SHAPE: [usize; 3] = [52, 62, 46];
const ZOOM: f64 = 3.0;
const ORIGIN: [f64; 3] = [-78.0, -112.0, -70.0];

fn mm(i: usize, j: usize, k: usize) -> [f64; 3] {
    [ORIGIN[0] + ZOOM * i as f64, ORIGIN[1] + ZOOM * j as f64, ORIGIN[2] + ZOOM * k as f64]
}

/// Tissue labels: 0 outside, 1 CSF, 2 grey matter, 3 white matter.
fn tissue() -> Array3<u8> {
    let (c, ax) = ([0.0, -18.0, 5.0], [68.0, 85.0, 62.0]);
    Array3::from_shape_fn((SHAPE[0], SHAPE[1], SHAPE[2]), |(i, j, k)| {
        let p = mm(i, j, k);
        let d = [(p[0] - c[0]) / ax[0], (p[1] - c[1]) / ax[1], (p[2] - c[2]) / ax[2]];
        let rho = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let theta = d[2].atan2((d[0] * d[0] + d[1] * d[1]).sqrt());
        let phi = d[1].atan2(d[0]);
        // sulci: the grey-matter ribbon's inner edge ripples in and out
        let fold = 0.035 * (7.0 * theta).sin() * (9.0 * phi).sin();
        let vent = |x: f64| {
            ((p[0] - x) / 7.0).powi(2) + ((p[1] + 10.0) / 22.0).powi(2) + ((p[2] - 12.0) / 9.0).powi(2) < 1.0
        };
        if rho > 1.0 {
            0
        } else if vent(9.0) || vent(-9.0) || rho > 0.985 {
            1
        } else if rho > 0.90 + fold {
            2
        } else {
            3
        }
    })
}

/// Everything simulated, in memory.
pub struct FmriSimulation {
    pub runs: Vec<Img>,
    pub events: Vec<RunEvents>,
    pub motion: Vec<Vec<[f64; 6]>>,
    pub anat: Img,
    pub brain_mask: Img,
    pub region_masks: Vec<(String, Img)>,
    pub truth: FmriTruth,
}

/// What every run shares: tissue labels, the BOLD baseline per voxel, the planted regions and
/// their masks, and the regressors' scale.
struct Head {
    tissue: Array3<u8>,
    baseline: Array3<f64>,
    regions: Vec<Region>,
    masks: Vec<Array3<bool>>,
    /// the peak of the response to one isolated 1-s event (regressors are divided by it, so
    /// that percentages are peak signal changes)
    unit: f64,
}

/// The anatomy: tissue labels and the tissue-dependent BOLD baseline (CSF > GM > WM, 30 outside).
fn simulate_anatomy() -> (Array3<u8>, Array3<f64>) {
    let tis = tissue();
    let base = tis.mapv(|t| match t {
        1 => 1100.0,
        2 => 900.0,
        3 => 700.0,
        _ => 30.0,
    });
    (tis, base)
}

/// The planted regions (spheres inside the brain) with their effect sizes, and their masks.
fn simulate_regions(p: &FmriParams, tis: &Array3<u8>) -> (Vec<Region>, Vec<Array3<bool>>) {
    let sphere_mask = |centers: &[[f64; 3]], radius: f64| -> Array3<bool> {
        Array3::from_shape_fn((SHAPE[0], SHAPE[1], SHAPE[2]), |(i, j, k)| {
            let q = mm(i, j, k);
            tis[[i, j, k]] > 0
                && centers.iter().any(|c| {
                    ((q[0] - c[0]).powi(2) + (q[1] - c[1]).powi(2) + (q[2] - c[2]).powi(2)).sqrt() <= radius
                })
        })
    };
    // name, centres (mm), radius (mm), face and scrambled-face effects (%)
    type RegionDef = (&'static str, Vec<[f64; 3]>, f64, f64, f64);
    let defs: [RegionDef; 3] = [
        ("ffa", vec![[40.0, -52.0, -18.0]], 8.0, p.ffa_face_pct, p.ffa_scrambled_pct),
        ("occipital", vec![[22.0, -88.0, 2.0], [-22.0, -88.0, 2.0]], 9.0, p.occipital_pct, p.occipital_pct),
        ("control", vec![[-38.0, 25.0, 30.0]], 8.0, 0.0, 0.0),
    ];
    let masks: Vec<Array3<bool>> = defs.iter().map(|d| sphere_mask(&d.1, d.2)).collect();
    let regions: Vec<Region> = defs
        .iter()
        .zip(&masks)
        .map(|(d, m)| Region {
            name: d.0.into(),
            centers_mm: d.1.clone(),
            radius_mm: d.2,
            n_voxels: m.iter().filter(|&&b| b).count(),
            face_pct: d.3,
            scrambled_pct: d.4,
        })
        .collect();
    (regions, masks)
}

/// One run's events: an event every `isi` seconds (uniform), famous, unfamiliar and scrambled
/// faces in shuffled thirds.
fn simulate_events(p: &FmriParams, rng: &mut ChaCha8Rng) -> RunEvents {
    let mut onsets = Vec::new();
    let mut t = 6.0;
    while t < p.n_volumes as f64 * p.tr - 20.0 {
        onsets.push((t * 10.0f64).round() / 10.0);
        t += rng.gen_range(p.isi.0..=p.isi.1);
    }
    let mut types: Vec<&'static str> =
        (0..onsets.len()).map(|i| ["famous", "unfamiliar", "scrambled"][i % 3]).collect();
    for i in (1..types.len()).rev() {
        let j = rng.gen_range(0..=i);
        types.swap(i, j);
    }
    RunEvents { onsets, trial_types: types }
}

/// The face and scrambled-face regressors of one run (events ⊛ SPM HRF, [`crate::fmri::glm`]).
fn activation_regressors(p: &FmriParams, ev: &RunEvents) -> Result<(Vec<f64>, Vec<f64>)> {
    let cond = |faces: bool| GlmCondition {
        onsets: ev
            .onsets
            .iter()
            .zip(&ev.trial_types)
            .filter(|(_, ty)| (**ty != "scrambled") == faces)
            .map(|(o, _)| *o)
            .collect(),
        durations: ev.trial_types.iter().filter(|ty| (**ty != "scrambled") == faces).map(|_| 1.0).collect(),
    };
    Ok((regressor(&cond(true), p.tr, p.n_volumes, 50)?, regressor(&cond(false), p.tr, p.n_volumes, 50)?))
}

/// The rival department's plan for run `run` of `n` volumes: two spike volumes and a
/// three-volume head jerk in run 2 (index 1), nothing elsewhere.
fn sabotage_volumes(run: usize, n: usize) -> (Vec<usize>, Vec<usize>) {
    if run == 1 {
        (vec![n * 3 / 10, n * 7 / 10], (n * 6 / 10..n * 6 / 10 + 3).collect())
    } else {
        (vec![], vec![])
    }
}

/// Motion parameters (3 translations mm, 3 rotations rad): a slow random walk, plus the jerk
/// (3 mm forward, 0.03 rad about x) on its volumes.
fn simulate_motion(n: usize, jerk: &[usize], normal: &Normal<f64>, rng: &mut ChaCha8Rng) -> Vec<[f64; 6]> {
    let mut motion = Vec::with_capacity(n);
    let mut m = [0.0f64; 6];
    for v in 0..n {
        for (k, x) in m.iter_mut().enumerate() {
            let sd = if k < 3 { 0.01 } else { 0.0002 };
            *x = 0.98 * *x + sd * normal.sample(rng);
        }
        let mut row = m;
        if jerk.contains(&v) {
            row[1] += 3.0; // trans_y, mm
            row[3] += 0.03; // rot_x, rad
        }
        motion.push(row);
    }
    motion
}

/// Spatially smooth AR(1) noise (ρ = 0.4; Gaussian, FWHM 6 mm, unit variance after
/// smoothing) plus white noise, in percent of the baseline, one volume at a time.
struct Noise {
    ar: Array3<f64>,
    rho: f64,
    sigma_vox: f64,
}

impl Noise {
    fn new() -> Noise {
        Noise { ar: Array3::zeros((SHAPE[0], SHAPE[1], SHAPE[2])), rho: 0.4, sigma_vox: 6.0 / 2.3548 / ZOOM }
    }
    /// The next volume's noise: `smooth_pct · AR + white_pct · N(0, 1)` per voxel.
    fn next(&mut self, p: &FmriParams, normal: &Normal<f64>, rng: &mut ChaCha8Rng) -> Array3<f64> {
        let mut e = Array3::from_shape_fn((SHAPE[0], SHAPE[1], SHAPE[2]), |_| normal.sample(rng));
        // the analysis' Gaussian filter, truncated at 3 σ with the edge voxel repeated
        let r = (3.0 * self.sigma_vox).ceil() as usize;
        gaussian_filter(&mut e, [self.sigma_vox; 3], [r; 3], Edge::Nearest);
        let sd = (e.iter().map(|x| x * x).sum::<f64>() / e.len() as f64).sqrt();
        let rho = self.rho;
        self.ar.zip_mut_with(&e, |a, &x| *a = rho * *a + (1.0 - rho * rho).sqrt() * x / sd);
        let white = Array3::from_shape_fn((SHAPE[0], SHAPE[1], SHAPE[2]), |_| normal.sample(rng));
        let mut pct = self.ar.mapv(|a| p.smooth_noise_pct * a);
        pct.zip_mut_with(&white, |o, &w| *o += p.white_noise_pct * w);
        pct
    }
}

/// A slow drift inside the brain: a sine over the run (random phase) and a ramp, scaled per
/// voxel by a random gain.
struct Drift {
    gain: Array3<f64>,
    phase: f64,
}

impl Drift {
    fn new(rng: &mut ChaCha8Rng) -> Drift {
        let gain = Array3::from_shape_fn((SHAPE[0], SHAPE[1], SHAPE[2]), |_| rng.gen_range(0.3..1.0));
        Drift { gain, phase: rng.gen_range(0.0..2.0 * PI) }
    }
    /// Add volume `v`'s drift (of `n`) to the brain voxels of `pct`.
    fn add(&self, pct: &mut Array3<f64>, tis: &Array3<u8>, v: usize, n: usize) {
        let drift =
            1.0 * ((2.0 * PI * v as f64 / n as f64) + self.phase).sin() + 0.5 * (v as f64 / n as f64 - 0.5);
        for ((ix, o), &t) in pct.indexed_iter_mut().zip(tis.iter()) {
            if t > 0 {
                *o += drift * self.gain[ix];
            }
        }
    }
}

/// Add the planted responses of volume `v` (each region's face and scrambled percentages times
/// the regressors) to `pct`.
fn add_activation(pct: &mut Array3<f64>, head: &Head, face: f64, scrambled: f64) {
    for (r, msk) in head.regions.iter().zip(&head.masks) {
        for (o, &inside) in pct.iter_mut().zip(msk.iter()) {
            if inside {
                *o += (r.face_pct * face + r.scrambled_pct * scrambled) / head.unit;
            }
        }
    }
}

/// The sabotage of one volume: the head jerk shifts the content one voxel (3 mm) along y; a
/// spike scales every slice, even slices more (slice stripes).
fn add_sabotage(img: &mut Array3<f64>, v: usize, spikes: &[usize], jerk: &[usize]) {
    if jerk.contains(&v) {
        let shifted = img.clone();
        for j in 0..SHAPE[1] {
            let src = j.saturating_sub(1);
            img.index_axis_mut(Axis(1), j).assign(&shifted.index_axis(Axis(1), src));
        }
    }
    if spikes.contains(&v) {
        for ((_, _, k), o) in img.indexed_iter_mut() {
            *o *= if k % 2 == 0 { 1.12 } else { 1.06 };
        }
    }
}

/// One run of simulated data.
struct Run {
    bold: Img,
    events: RunEvents,
    motion: Vec<[f64; 6]>,
    spikes: Vec<usize>,
    jerk: Vec<usize>,
}

/// Run `run`: events, motion, then volume by volume baseline × (1 + (noise + drift + activation)
/// / 100), sabotaged.
fn simulate_run(
    p: &FmriParams,
    head: &Head,
    run: usize,
    normal: &Normal<f64>,
    rng: &mut ChaCha8Rng,
) -> Result<Run> {
    let n = p.n_volumes;
    let events = simulate_events(p, rng);
    let (reg_face, reg_scr) = activation_regressors(p, &events)?;
    let (spikes, jerk) = sabotage_volumes(run, n);
    let motion = simulate_motion(n, &jerk, normal, rng);
    let mut noise = Noise::new();
    let mut vol4 = Array4::<f32>::zeros((SHAPE[0], SHAPE[1], SHAPE[2], n));
    let drift = Drift::new(rng);
    for v in 0..n {
        let mut pct = noise.next(p, normal, rng);
        drift.add(&mut pct, &head.tissue, v, n);
        add_activation(&mut pct, head, reg_face[v], reg_scr[v]);
        let mut img = Array3::<f64>::zeros((SHAPE[0], SHAPE[1], SHAPE[2]));
        for ((o, &b), &x) in img.iter_mut().zip(head.baseline.iter()).zip(pct.iter()) {
            *o = b * (1.0 + x / 100.0);
        }
        add_sabotage(&mut img, v, &spikes, &jerk);
        vol4.index_axis_mut(Axis(3), v).assign(&img.mapv(|x| x as f32));
    }
    let bold = Img::new(vol4, affine_ras([ZOOM; 3], ORIGIN), Some(p.tr))?;
    Ok(Run { bold, events, motion, spikes, jerk })
}

/// Simulate the fMRI half of the dataset (no files written; see [`write_fmri`]): the anatomy
/// and regions, then each run (events, motion, noise, drift, activation, sabotage), as
/// `mne.simulation` builds a raw recording source by source.
pub fn simulate_fmri(p: &FmriParams) -> Result<FmriSimulation> {
    p.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed ^ 0x00f1_0000);
    let affine = affine_ras([ZOOM; 3], ORIGIN);
    let (tissue, baseline) = simulate_anatomy();
    let (regions, masks) = simulate_regions(p, &tissue);
    let normal = Normal::new(0.0, 1.0).map_err(Error::data)?;
    // regressors are scaled so that a single isolated 1-s event peaks at 1 (percent units)
    let unit = regressor(&GlmCondition { onsets: vec![0.0], durations: vec![1.0] }, p.tr, 20, 50)?
        .into_iter()
        .fold(0.0, f64::max);
    let head = Head { tissue, baseline, regions, masks, unit };
    let runs: Vec<Run> =
        (0..p.n_runs).map(|run| simulate_run(p, &head, run, &normal, &mut rng)).collect::<Result<_>>()?;
    let anat = head.tissue.mapv(|t| match t {
        1 => 250.0,
        2 => 600.0,
        3 => 1000.0,
        _ => 0.0,
    });
    let mask_img = |m: &Array3<bool>| Img::new(m.mapv(|b| if b { 1.0 } else { 0.0 }), affine, None);
    let brain = head.tissue.mapv(|t| t > 0);
    let truth = FmriTruth {
        params: p.clone(),
        shape: SHAPE,
        zooms_mm: [ZOOM; 3],
        regions: head.regions.clone(),
        spike_volumes: runs.iter().map(|r| r.spikes.clone()).collect(),
        jerk_volumes: runs.iter().map(|r| r.jerk.clone()).collect(),
        n_brain_voxels: brain.iter().filter(|&&b| b).count(),
    };
    let region_masks: Vec<(String, Img)> = head
        .regions
        .iter()
        .zip(&head.masks)
        .map(|(r, m)| Ok((r.name.clone(), mask_img(m)?)))
        .collect::<Result<_>>()?;
    let (mut bold, mut events, mut motion) = (Vec::new(), Vec::new(), Vec::new());
    for r in runs {
        bold.push(r.bold);
        events.push(r.events);
        motion.push(r.motion);
    }
    Ok(FmriSimulation {
        runs: bold,
        events,
        motion,
        anat: Img::new(anat, affine, None)?,
        brain_mask: mask_img(&brain)?,
        region_masks,
        truth,
    })
}

/// Write the fMRI part of the BIDS dataset under `out`.
pub fn write_fmri(sim: &FmriSimulation, out: &Path) -> Result<()> {
    let func = out.join("sub-01").join("func");
    let anat = out.join("sub-01").join("anat");
    for d in [&func, &anat] {
        std::fs::create_dir_all(d).at(d)?;
    }
    save_img(&sim.anat, anat.join("sub-01_T1w.nii.gz"), Dtype::I16)?;
    save_img(&sim.brain_mask, anat.join("sub-01_desc-brain_mask.nii.gz"), Dtype::U8)?;
    for (name, m) in &sim.region_masks {
        save_img(m, func.join(format!("sub-01_task-faces_label-{name}_mask.nii.gz")), Dtype::U8)?;
    }
    for (r, img) in sim.runs.iter().enumerate() {
        let stem = format!("sub-01_task-faces_run-{:02}", r + 1);
        save_img(img, func.join(format!("{stem}_bold.nii.gz")), Dtype::I16)?;
        let side = serde_json::json!({"RepetitionTime": sim.truth.params.tr, "TaskName": "faces", "SliceTiming": serde_json::Value::Null});
        write_atomic(&func.join(format!("{stem}_bold.json")), format!("{side:#}\n").as_bytes())?;
        let ev = &sim.events[r];
        let mut s = String::from("onset\tduration\ttrial_type\n");
        for (o, t) in ev.onsets.iter().zip(&ev.trial_types) {
            s += &format!("{o:.1}\t1.0\t{t}\n");
        }
        write_atomic(&func.join(format!("{stem}_events.tsv")), s.as_bytes())?;
        let mut c = String::from("trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\n");
        for m in &sim.motion[r] {
            c += &format!("{:.5}\t{:.5}\t{:.5}\t{:.6}\t{:.6}\t{:.6}\n", m[0], m[1], m[2], m[3], m[4], m[5]);
        }
        write_atomic(&func.join(format!("{stem}_desc-confounds_timeseries.tsv")), c.as_bytes())?;
    }
    let truth = serde_json::to_value(&sim.truth).map_err(Error::data)?;
    write_atomic(&func.join("sub-01_task-faces_truth.json"), format!("{truth:#}\n").as_bytes())
}
