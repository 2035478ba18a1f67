//! fMRI readers: `load_img` (.nii and .nii.gz), `Mask::load`, `read_events`,
//! `read_attributes`, `read_motion`, on damaged copies of the workshop's files (the simulated
//! T1w image uncompressed, a simulated mask, Haxby's mask and attributes, the simulated
//! events and confounds).

use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use super::{file_case, mutate_bytes, random_cases, workshop_file, Case, Expect, Format, Rng};

pub fn run_img(p: &Path) -> Result<String, String> {
    brainml::fmri::load_img(p)
        .map(|i| format!("{:?}, {} warnings", i.shape(), i.warnings().len()))
        .map_err(|e| e.to_string())
}

pub fn run_mask(p: &Path) -> Result<String, String> {
    brainml::fmri::Mask::load(p).map(|m| format!("{} voxels", m.n_voxels())).map_err(|e| e.to_string())
}

pub fn run_events(p: &Path) -> Result<String, String> {
    brainml::fmri::read_events(p).map(|e| format!("{} events", e.onset.len())).map_err(|e| e.to_string())
}

pub fn run_attributes(p: &Path) -> Result<String, String> {
    brainml::fmri::read_attributes(p)
        .map(|a| format!("{} volumes", a.labels.len()))
        .map_err(|e| e.to_string())
}

pub fn run_motion(p: &Path) -> Result<String, String> {
    brainml::fmri::read_motion(p).map(|m| format!("{} rows", m.len())).map_err(|e| e.to_string())
}

fn gunzip(b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(b).read_to_end(&mut out).expect("a valid gzip file");
    out
}

fn gzip(b: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(b).unwrap();
    e.finish().unwrap()
}

/// The NIfTI-1 header fields hand-made cases change (offsets from the standard).
fn nifti_hand(base: &Arc<Vec<u8>>, file: &'static str, gz: bool) -> Vec<Case> {
    let i16s = |v: &[i16]| v.iter().flat_map(|x| x.to_le_bytes()).collect::<Vec<u8>>();
    let f32b = |v: f32| v.to_le_bytes().to_vec();
    let edits: Vec<(&str, Expect, Vec<(usize, Vec<u8>)>)> = vec![
        ("valid", Expect::Ok, vec![]),
        ("dims 65535 (as -1)", Expect::Error, vec![(40, i16s(&[3, -1, -1, -1]))]),
        ("dims 32767^4", Expect::Error, vec![(40, i16s(&[4, 32767, 32767, 32767, 32767]))]),
        ("dim[0] = 9", Expect::Error, vec![(40, i16s(&[9]))]),
        ("dim[2] = 0", Expect::Error, vec![(40, i16s(&[3, 4, 0, 4]))]),
        ("vox_offset 1e30", Expect::Error, vec![(108, f32b(1e30))]),
        ("vox_offset inf", Expect::Error, vec![(108, f32b(f32::INFINITY))]),
        ("vox_offset NaN", Expect::Error, vec![(108, f32b(f32::NAN))]),
        ("vox_offset negative", Expect::Error, vec![(108, f32b(-352.0))]),
        ("vox_offset 1e9", Expect::Error, vec![(108, f32b(1e9))]),
        ("complex64", Expect::Error, vec![(70, i16s(&[32, 64]))]),
        ("RGB24", Expect::Error, vec![(70, i16s(&[128, 24]))]),
        ("RGBA32", Expect::Error, vec![(70, i16s(&[2304, 32]))]),
        ("bitpix 0", Expect::Error, vec![(72, i16s(&[0]))]),
        ("bitpix 1", Expect::Error, vec![(72, i16s(&[1]))]),
        ("bitpix 7", Expect::Error, vec![(72, i16s(&[7]))]),
        ("bitpix 64 on the datatype", Expect::Error, vec![(72, i16s(&[64]))]),
        ("pixdim NaN", Expect::Error, vec![(80, f32b(f32::NAN))]),
        ("pixdim 0", Expect::Error, vec![(84, f32b(0.0))]),
        ("pixdim negative", Expect::Error, vec![(88, f32b(-2.0))]),
        ("srow NaN", Expect::Error, vec![(284, f32b(f32::NAN))]),
        ("sizeof_hdr 0", Expect::Error, vec![(0, 0i32.to_le_bytes().to_vec())]),
        ("magic garbage", Expect::Error, vec![(344, b"xyz\0".to_vec())]),
    ];
    let mut cases = Vec::new();
    for (name, expect, e) in edits {
        let base = base.clone();
        cases.push(file_case(name.into(), expect, file, move || {
            let mut b = if gz { gunzip(&base) } else { (*base).clone() };
            for (off, v) in &e {
                b[*off..*off + v.len()].copy_from_slice(v);
            }
            if gz {
                gzip(&b)
            } else {
                b
            }
        }));
    }
    let b = base.clone();
    cases.push(file_case("cut in the header".into(), Expect::Error, file, move || {
        b[..b.len().min(200)].to_vec()
    }));
    let b = base.clone();
    cases.push(file_case("cut in the data".into(), Expect::Error, file, move || {
        b[..b.len() * 2 / 3].to_vec()
    }));
    cases.push(file_case("empty".into(), Expect::Error, file, Vec::new));
    cases
}

fn table_cases(
    name: &'static str,
    base: Arc<Vec<u8>>,
    file: &'static str,
    hand: Vec<(&'static str, Expect, String)>,
    random: usize,
    seed: u64,
) -> Format {
    let mut cases: Vec<Case> = hand
        .into_iter()
        .map(|(n, e, t)| {
            let t = Arc::new(t.into_bytes());
            file_case(n.into(), e, file, move || (*t).clone())
        })
        .collect();
    let b = base.clone();
    cases.push(file_case("valid".into(), Expect::Ok, file, move || (*b).clone()));
    let b = base.clone();
    cases.push(file_case("latin-1 byte".into(), Expect::Error, file, move || {
        let mut v = (*b).clone();
        let p = v.len() / 2;
        v[p] = 0xe9;
        v
    }));
    cases.push(file_case("empty".into(), Expect::Error, file, Vec::new));
    let n = base.len();
    cases.extend(random_cases(name, random, seed, file, base, move |rng: &mut Rng, b: &mut Vec<u8>| {
        mutate_bytes(rng, b, 0, n)
    }));
    Format { name, cases }
}

pub fn formats(random: usize, seed: u64) -> Vec<Format> {
    let mut out = Vec::new();
    if let Some(t1) = workshop_file("simulated/sub-01/anat/sub-01_T1w.nii.gz") {
        let nii = Arc::new(gunzip(&t1));
        let mut cases = nifti_hand(&nii, "image.nii", false);
        // a 4-D image whose TR is stored in ms with units "seconds": loads, with a warning
        let b = nii.clone();
        cases.push(file_case("TR 2000 s (4-D)".into(), Expect::Ok, "image.nii", move || {
            let mut v = (*b).clone();
            let nz = i16::from_le_bytes([v[46], v[47]]);
            v[40..42].copy_from_slice(&4i16.to_le_bytes());
            v[46..48].copy_from_slice(&(nz / 2).to_le_bytes());
            v[48..50].copy_from_slice(&2i16.to_le_bytes());
            v[92..96].copy_from_slice(&2000f32.to_le_bytes());
            v[123] = 2 | 8;
            v
        }));
        cases.extend(random_cases(
            "nifti",
            random,
            seed,
            "image.nii",
            nii,
            |rng: &mut Rng, b: &mut Vec<u8>| mutate_bytes(rng, b, 0, 352),
        ));
        out.push(Format { name: "nifti", cases });
        let gz = Arc::new(t1);
        let mut cases = nifti_hand(&gz, "image.nii.gz", true);
        let n = gz.len();
        cases.extend(random_cases(
            "nifti-gz",
            random / 3,
            seed,
            "image.nii.gz",
            gz,
            move |rng: &mut Rng, b: &mut Vec<u8>| mutate_bytes(rng, b, 0, n),
        ));
        out.push(Format { name: "nifti-gz", cases });
    }
    if let Some(m) = workshop_file("public/fmri-haxby2001/mask.nii.gz") {
        let m = Arc::new(m);
        let mut cases = vec![];
        let b = m.clone();
        cases.push(file_case("valid".into(), Expect::Ok, "mask.nii.gz", move || (*b).clone()));
        let raw = Arc::new(gunzip(&m));
        cases.extend(random_cases(
            "mask",
            random / 3,
            seed,
            "mask.nii",
            raw,
            |rng: &mut Rng, b: &mut Vec<u8>| mutate_bytes(rng, b, 0, 352),
        ));
        out.push(Format { name: "mask", cases });
    }
    if let Some(ev) = workshop_file("simulated/sub-01/func/sub-01_task-faces_run-01_events.tsv") {
        let hand = vec![
            ("negative onset", Expect::Error, "onset\tduration\ttrial_type\n-2.5\t1\tface\n".to_string()),
            ("negative duration", Expect::Error, "onset\tduration\ttrial_type\n2.5\t-1\tface\n".to_string()),
            ("ragged", Expect::Error, "onset\tduration\ttrial_type\n2.5\t1\tface\n3\t1\n".to_string()),
            ("no trial_type", Expect::Error, "onset\tduration\n2.5\t1\n".to_string()),
            ("onset text", Expect::Error, "onset\tduration\ttrial_type\nsoon\t1\tface\n".to_string()),
        ];
        out.push(table_cases("events.tsv", Arc::new(ev), "events.tsv", hand, random, seed));
    }
    if let Some(a) = workshop_file("public/fmri-haxby2001/attributes_literal.txt") {
        let hand = vec![
            ("chunk 1.5", Expect::Error, "face 0\nhouse 1.5\n".to_string()),
            ("chunk -1", Expect::Error, "face 0\nhouse -1\n".to_string()),
            ("three columns", Expect::Error, "face 0 x\nhouse 1 y\n".to_string()),
            ("ragged", Expect::Error, "face 0\nhouse\n".to_string()),
        ];
        out.push(table_cases("attributes", Arc::new(a), "attributes.txt", hand, random, seed));
    }
    if let Some(c) =
        workshop_file("simulated/sub-01/func/sub-01_task-faces_run-01_desc-confounds_timeseries.tsv")
    {
        let hand = vec![
            (
                "a column missing",
                Expect::Error,
                "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\n0\t0\t0\t0\t0\n".to_string(),
            ),
            (
                "inf",
                Expect::Error,
                "trans_x\ttrans_y\ttrans_z\trot_x\trot_y\trot_z\n0\tinf\t0\t0\t0\t0\n".to_string(),
            ),
        ];
        out.push(table_cases("motion", Arc::new(c), "confounds.tsv", hand, random / 3, seed));
    }
    out
}
