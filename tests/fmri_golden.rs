//! brainml's smoothing and signal cleaning against nilearn (golden vectors made by
//! tests/python/make_fmri_golden.py on the Haxby files).
#![cfg(feature = "fmri")]

use std::path::PathBuf;

use brainml::fmri::*;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn golden() -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("tests/golden/nilearn_fmri.json")).unwrap()).unwrap()
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    let scale = b.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
}

#[test]
fn smooth_img_matches_nilearn() {
    let g = golden();
    let hx = root().join("data/public/fmri-haxby2001");
    for (file, fwhm, key) in [("sub001/BOLD/task001_run001/bold_25mm.nii.gz", 40.0, "smooth_25mm_fwhm40"), ("bold.nii.gz", 6.0, "smooth_slice_fwhm6")] {
        let img = load_img(hx.join(file)).unwrap();
        let v0 = index_img(&img, &[0]).unwrap();
        let sm = smooth_img(&v0, fwhm).unwrap();
        let ours: Vec<f64> = sm.data.iter().map(|&v| v as f64).collect();
        let want: Vec<f64> = serde_json::from_value(g[key].clone()).unwrap();
        let err = max_rel(&ours, &want);
        eprintln!("{key}: max |brainml − nilearn| / max = {err:.2e}");
        assert!(err < 1e-5, "{key}: {err}");
    }
}

#[test]
fn clean_matches_nilearn_signal_clean() {
    let g = golden();
    let hx = root().join("data/public/fmri-haxby2001");
    let img = load_img(hx.join("bold.nii.gz")).unwrap();
    let mask = Mask::load(hx.join("mask.nii.gz")).unwrap();
    let att = read_attributes(hx.join("attributes_literal.txt")).unwrap();
    let keep: Vec<usize> = (0..att.chunks.len()).filter(|&t| att.chunks[t] < 2).collect();
    let x = mask.apply(&img).unwrap().select(ndarray::Axis(0), &keep);
    let runs: Vec<i64> = keep.iter().map(|&t| att.chunks[t]).collect();
    let c = clean(x.view(), &runs, &CleanOptions::default()).unwrap();
    let want: Vec<Vec<f64>> = serde_json::from_value(g["clean_first_5_voxels"].clone()).unwrap();
    for (v, w) in want.iter().enumerate() {
        let ours: Vec<f64> = c.column(v).to_vec();
        let err = max_rel(&ours, w);
        assert!(err < 1e-6, "voxel {v}: {err}");
    }
}
