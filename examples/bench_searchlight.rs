//! brainml's side of `bench/searchlight.py` (run: `cargo run --release --features fmri
//! --example bench_searchlight -- haxby OUT_DIR` or `-- synthetic N_VOXELS`).
//!
//! haxby: the Haxby slice (530 voxels), per-run detrend + z-score, face vs house volumes,
//! radius 5.6 mm, leave one run out (12 folds); Gaussian naive Bayes, correlation and linear
//! SVM searchlights; writes each accuracy map as NIfTI into OUT_DIR and prints one JSON line
//! of fit times. synthetic: a box mask of ≥ N voxels, 12 runs × 20 samples of noise with a
//! planted sphere, Gaussian naive Bayes; prints time and peak memory (VmHWM).

use std::time::Instant;

use brainml::fmri::*;
use brainml::ml::{Classifier, Cv};
use brainml::Result;

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn haxby(out: &str) -> Result<()> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("data/public/fmri-haxby2001");
    let t0 = Instant::now();
    let img = load_img(root.join("bold.nii.gz"))?;
    let mask = Mask::load(root.join("mask.nii.gz"))?;
    let att = read_attributes(root.join("attributes_literal.txt"))?;
    let x = clean(mask.apply(&img)?.view(), &att.chunks, &CleanOptions::default())?;
    let (xs, y, runs) = att.pick(x.view(), "face", "house")?;
    let cv = Cv::leave_one_group_out(runs);
    let prep = t0.elapsed().as_secs_f64();
    let mut times = Vec::new();
    for (name, est) in [
        ("gnb", SlEstimator::GaussianNb),
        ("correlation", SlEstimator::Correlation),
        ("svc", SlEstimator::LinearSvc { c: 1.0 }),
        ("linfa_svm", SlEstimator::Classifier(Classifier::linear_svm().standardize(false))),
    ] {
        let t = Instant::now();
        let sl = SearchLight::new(5.6).estimator(est).verbose(false).fit(&mask, xs.view(), &y, &cv)?;
        let secs = t.elapsed().as_secs_f64();
        save_img(
            &sl.to_img()?,
            std::path::Path::new(out).join(format!("brainml_{name}.nii.gz")),
            Dtype::F32,
        )?;
        times.push(format!(
            "\"{name}\": {{\"seconds\": {secs:.6}, \"mean\": {:.4}, \"max\": {:.4}}}",
            sl.mean(),
            sl.max()
        ));
    }
    println!(
        "{{\"load_clean_seconds\": {prep:.4}, {}, \"peak_rss_mb\": {:.1}}}",
        times.join(", "),
        peak_rss_mb()
    );
    Ok(())
}

fn synthetic(n_min: usize) -> Result<()> {
    // the smallest cube-ish box with ≥ n_min voxels, 3 mm isotropic
    let side = (n_min as f64).cbrt().ceil() as usize;
    let shape = [side, side, n_min.div_ceil(side * side)];
    let like = Img::new(ndarray::Array3::<f32>::zeros(shape), affine_ras([3.0; 3], [0.0; 3]), None)?;
    let mask = Mask::from_array(ndarray::Array3::from_elem((shape[0], shape[1], shape[2]), true), &like)?;
    let p = mask.n_voxels();
    let (runs, per_run) = (12usize, 20usize);
    let n = runs * per_run;
    // deterministic pseudo-random noise (xorshift + Box–Muller), planted effect in a 9-mm sphere
    let mut s = 0x9E3779B97F4A7C15u64;
    let mut unif = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        (s >> 11) as f64 / (1u64 << 53) as f64
    };
    let centre = [shape[0] / 2, shape[1] / 2, shape[2] / 2];
    let vox = mask.voxels();
    let y: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
    let mut x = ndarray::Array2::<f64>::zeros((n, p));
    for i in 0..n {
        for (c, v) in vox.iter().enumerate() {
            let g = (-2.0 * unif().max(1e-300).ln()).sqrt() * (2.0 * std::f64::consts::PI * unif()).cos();
            let d2: usize = (0..3).map(|k| (v[k] as isize - centre[k] as isize).pow(2) as usize).sum();
            x[[i, c]] = g + if d2 <= 9 && y[i] { 1.0 } else { 0.0 };
        }
    }
    let cv = Cv::leave_one_group_out((0..n).map(|i| (i / per_run) as i64));
    let t = Instant::now();
    let sl = SearchLight::new(6.0).verbose(false).fit(&mask, x.view(), &y, &cv)?;
    let secs = t.elapsed().as_secs_f64();
    let sizes = sl.n_neighbours.iter().sum::<usize>() as f64 / p as f64;
    println!(
        "{{\"voxels\": {p}, \"shape\": {shape:?}, \"samples\": {n}, \"folds\": {runs}, \"mean_sphere\": {sizes:.1}, \"seconds\": {secs:.3}, \"best\": {:.3}, \"mean\": {:.3}, \"peak_rss_mb\": {:.1}}}",
        sl.max(),
        sl.mean(),
        peak_rss_mb()
    );
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let r = match args.first().map(|s| s.as_str()) {
        Some("haxby") => haxby(args.get(1).map_or(".", |s| s.as_str())),
        Some("synthetic") => synthetic(args.get(1).and_then(|s| s.parse().ok()).unwrap_or(40_000)),
        _ => {
            eprintln!("usage: bench_searchlight haxby OUT_DIR | synthetic N_VOXELS");
            std::process::exit(2)
        }
    };
    if let Err(e) = r {
        eprintln!("error: {e}");
        std::process::exit(1);
    }
}
