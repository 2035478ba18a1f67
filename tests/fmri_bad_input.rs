//! Bad input gives a clear error, never a panic.
#![cfg(feature = "fmri")]

use brainml::fmri::*;
use brainml::ml::Cv;
use ndarray::{Array2, Array3, Array4};

fn img4(shape: [usize; 4], tr: f64) -> Img {
    let data = Array4::from_shape_fn(shape, |(i, _, _, t)| 100.0 + (t % 3) as f32 + i as f32);
    Img::new(data, affine_ras([3.0; 3], [0.0; 3]), Some(tr)).unwrap()
}

#[test]
fn tr_stored_in_ms_with_seconds_units_loads_with_a_warning() {
    // nibabel and nilearn load such a file (get_zooms()[3] == 2000.0); so does brainml, with
    // the warning recorded on the image, and the user can say what the TR is
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("ms.nii");
    save_img(&img4([2, 2, 2, 5], 2000.0), &p, Dtype::F32).unwrap();
    let img = load_img(&p).unwrap();
    assert_eq!(img.tr(), Some(2000.0));
    assert_eq!(img.warnings().len(), 1, "{:?}", img.warnings());
    let w = &img.warnings()[0];
    assert!(w.contains("milliseconds") && w.contains("ms.nii") && w.contains("with_tr(2)"), "{w}");
    let fixed = img.with_tr(2.0).unwrap();
    assert_eq!(fixed.tr(), Some(2.0));
    assert!(fixed.warnings().is_empty());
    assert!(img.with_tr(0.0).is_err() && img.with_tr(f64::NAN).is_err());
    // a clean file has no warnings; with_tr on a 3-D image is an error
    let q = dir.path().join("ok.nii");
    save_img(&img4([2, 2, 2, 5], 2.0), &q, Dtype::F32).unwrap();
    assert!(load_img(&q).unwrap().warnings().is_empty());
    let vol = mean_img(&img).unwrap();
    assert!(vol.with_tr(2.0).unwrap_err().to_string().contains("4-D"));
}

#[test]
fn dimensionality_grid_affine_and_nan_errors() {
    let img = img4([4, 4, 3, 10], 2.0);
    let mask = Mask::from_array(Array3::from_elem((4, 4, 3), true), &img).unwrap();
    // QC on a 3-D image
    let vol = mean_img(&img).unwrap();
    assert!(compute_qc(&vol, &mask, None, &QcThresholds::default()).unwrap_err().to_string().contains("4-D"));
    // motion with the wrong number of rows
    assert!(compute_qc(&img, &mask, Some(&[[0.0; 6]; 3]), &QcThresholds::default())
        .unwrap_err()
        .to_string()
        .contains("motion"));
    // mask on another grid / affine
    let other = img4([5, 4, 3, 10], 2.0);
    assert!(mask.apply(&other).is_err());
    let mut a = img.affine();
    a[0][3] = 10.0;
    let moved = Img::new(img.data().clone(), a, img.tr()).unwrap();
    assert!(mask.apply(&moved).unwrap_err().to_string().contains("affine"));
    // NaN in the data
    let mut d = img.data().clone();
    d[[0, 0, 0, 0]] = f32::NAN;
    let nan = Img::new(d, img.affine(), img.tr()).unwrap();
    assert!(mask.apply(&nan).unwrap_err().to_string().contains("non-finite"));
    // plots of a 4-D image
    assert!(brainml::plot::fmri::plot_stat_map(&img).to_html().is_err());
    // searchlight: wrong number of columns, labels, one-class folds, negative radius
    let x = Array2::<f64>::zeros((4, mask.n_voxels()));
    let y = [true, false, true, false];
    assert!(SearchLight::new(3.0)
        .verbose(false)
        .fit(&mask, x.view(), &y[..3], &Cv::leave_one_group_out([0, 0, 1, 1]))
        .is_err());
    assert!(SearchLight::new(3.0)
        .verbose(false)
        .fit(&mask, x.slice(ndarray::s![.., ..3]), &y, &Cv::leave_one_group_out([0, 0, 1, 1]))
        .is_err());
    assert!(SearchLight::new(3.0)
        .verbose(false)
        .fit(&mask, x.view(), &[true, true, false, false], &Cv::leave_one_group_out([0, 0, 1, 1]))
        .is_err());
    assert!(SearchLight::new(-3.0)
        .verbose(false)
        .fit(&mask, x.view(), &y, &Cv::leave_one_group_out([0, 1, 0, 1]))
        .is_err());
    // events beyond the run
    let ev =
        Events { onset: vec![5.0, 50.0], duration: vec![1.0, 1.0], trial_type: vec!["a".into(), "b".into()] };
    assert!(make_first_level_design_matrix(10, 2.0, &ev, 0.01, false)
        .unwrap_err()
        .to_string()
        .contains("outside the run"));
    assert!(trial_patterns(mask.apply(&img).unwrap().view(), &ev, 2.0, 4.0, 2.0).is_err());
}

#[test]
fn bad_files_name_file_and_field() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("events.tsv");
    std::fs::write(&p, "onset\tduration\ttrial_type\n1.0\tabc\tface\n").unwrap();
    let e = read_events(&p).unwrap_err().to_string();
    assert!(e.contains("events.tsv") && e.contains("duration"), "{e}");
    std::fs::write(&p, "onset\ttrial_type\n1.0\tface\n").unwrap();
    assert!(read_events(&p).unwrap_err().to_string().contains("duration"));
    let m = dir.path().join("mask.nii.gz");
    save_img(&img4([2, 2, 2, 3], 2.0), &m, Dtype::F32).unwrap();
    assert!(Mask::load(&m).unwrap_err().to_string().contains("mask.nii.gz"));
    assert!(load_img(dir.path().join("missing.nii.gz")).is_err());
}

/// Hostile NIfTI headers (issue 15): each is an error naming the file and the field, never a
/// panic or a huge allocation.
#[test]
fn hostile_nifti_headers_are_errors_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.nii");
    save_img(&img4([4, 3, 2, 5], 2.0), &good, Dtype::I16).unwrap();
    let bytes = std::fs::read(&good).unwrap();
    let patch = |name: &str, edits: &[(usize, Vec<u8>)]| -> String {
        let mut b = bytes.clone();
        for (off, v) in edits {
            b[*off..*off + v.len()].copy_from_slice(v);
        }
        let p = dir.path().join(name);
        std::fs::write(&p, b).unwrap();
        let e = load_img(&p).unwrap_err().to_string();
        assert!(e.contains(name), "{e}");
        e
    };
    let i16s = |v: &[i16]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let f32b = |v: f32| v.to_le_bytes().to_vec();
    // dims whose product overflows, and dims far beyond the file
    assert!(patch("huge.nii", &[(40, i16s(&[4, 32767, 32767, 32767, 32767]))]).contains("dim"));
    assert!(patch("big.nii", &[(40, i16s(&[3, 30000, 30000, 100]))]).contains("dim"));
    // a zero dimension is named as itself
    assert!(patch("zero.nii", &[(40, i16s(&[4, 4, 3, 2, 0]))]).contains("dim[4]"));
    // datatype and bitpix disagree; complex and RGB types are refused
    assert!(patch("bitpix.nii", &[(72, i16s(&[8]))]).contains("bitpix"));
    assert!(patch("complex.nii", &[(70, i16s(&[32, 64]))]).contains("datatype"));
    assert!(patch("rgb.nii", &[(70, i16s(&[128, 24]))]).contains("datatype"));
    // vox_offset NaN, infinite, negative, 1e30, beyond the end
    for (name, v) in [
        ("vnan.nii", f32::NAN),
        ("vinf.nii", f32::INFINITY),
        ("vneg.nii", -8.0),
        ("v1e30.nii", 1e30),
        ("vfar.nii", 1e6),
    ] {
        assert!(patch(name, &[(108, f32b(v))]).contains("vox_offset"), "{name}");
    }
    // voxel sizes NaN / 0 / negative; a NaN in the sform; sizeof_hdr 0
    for (name, v) in [("pnan.nii", f32::NAN), ("pzero.nii", 0.0), ("pneg.nii", -3.0)] {
        assert!(patch(name, &[(80, f32b(v))]).contains("pixdim[1]"), "{name}");
    }
    assert!(patch("srow.nii", &[(280, f32b(f32::NAN))]).contains("srow"));
    let e = patch("sizeof.nii", &[(0, 0i32.to_le_bytes().to_vec())]);
    eprintln!("sizeof_hdr 0: {e}");
    assert!(e.contains("sizeof_hdr"), "{e}");
    // truncated in the header: said in words, not as Io(Error { kind: UnexpectedEof … })
    let t = dir.path().join("short.nii");
    std::fs::write(&t, &bytes[..200]).unwrap();
    let e = load_img(&t).unwrap_err().to_string();
    assert!(e.contains("short.nii") && !e.contains("Io(") && !e.contains("kind:"), "{e}");
    // a corrupt gzip stream names the file
    let gz = dir.path().join("bold.nii.gz");
    save_img(&img4([4, 3, 2, 5], 2.0), &gz, Dtype::I16).unwrap();
    let mut g = std::fs::read(&gz).unwrap();
    let mid = g.len() / 2;
    g[mid..mid + 8].copy_from_slice(&[0xff; 8]);
    std::fs::write(&gz, &g).unwrap();
    let e = load_img(&gz).unwrap_err().to_string();
    assert!(e.contains("bold.nii.gz") && !e.contains("Custom {"), "{e}");
}

/// Tables that polars would read wrongly or with advice a learner cannot act on (issue 15).
#[test]
fn bad_tables_are_errors_with_line_numbers() {
    let dir = tempfile::tempdir().unwrap();
    let w = |name: &str, text: &[u8]| {
        let p = dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let e = read_events(w("neg.tsv", b"onset\tduration\ttrial_type\n-2\t1\tface\n")).unwrap_err().to_string();
    assert!(e.contains("neg.tsv") && e.contains("onset") && e.contains("negative"), "{e}");
    let e = read_events(w("ragged.tsv", b"onset\tduration\ttrial_type\n2\t1\tface\n3\t1\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("ragged.tsv") && e.contains("line 3") && !e.contains("truncate_ragged_lines"), "{e}");
    let e = read_events(w("latin1.tsv", b"onset\tduration\ttrial_type\n2\t1\tvisage\xe9\n"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("latin1.tsv") && e.contains("line 2, column 11"), "{e}");
    for (name, chunk) in [("half.txt", "1.5"), ("minus.txt", "-1")] {
        let e =
            read_attributes(w(name, format!("face 0\nhouse {chunk}\n").as_bytes())).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains("chunk") && e.contains("line 2"), "{e}");
    }
}
