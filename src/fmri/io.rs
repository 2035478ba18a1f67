//! NIfTI-1 images through the `nifti` crate: [`Img`] (3-D or 4-D data + affine + TR).
//! Mirrors nilearn's `load_img` / `new_img_like` / `Nifti1Image.to_filename`.
//!
//! Reading checks the header against the file before decoding (dimensions, datatype,
//! compressed size), so a corrupt or truncated file is an error naming the field.

use std::io::Read;
use std::path::Path;

use ndarray::{ArrayD, IxDyn};
use nifti::{IntoNdArray, NiftiHeader, NiftiObject, ReaderOptions};

use crate::error::{write_atomically, Error, IoContext, Result};

/// A NIfTI image: `data[[x, y, z(, t)]]` in voxel order, the voxel → RAS+ mm affine, voxel
/// sizes and (4-D) the repetition time in seconds.
#[derive(Clone, Debug)]
pub struct Img {
    pub data: ArrayD<f32>,
    /// row-major 4 × 4: mm = affine · [i, j, k, 1]
    pub affine: [[f64; 4]; 4],
    pub zooms: [f64; 3],
    /// seconds (4-D images); `None` for 3-D
    pub tr: Option<f64>,
    /// what looked wrong in the file but did not stop it from loading (printed once when
    /// loaded, e.g. a TR that seems to be in milliseconds); empty for a clean file
    pub warnings: Vec<String>,
}

impl Img {
    /// Number of volumes (1 for a 3-D image).
    pub fn n_volumes(&self) -> usize {
        if self.data.ndim() == 4 {
            self.data.shape()[3]
        } else {
            1
        }
    }
    /// Spatial shape.
    pub fn shape3(&self) -> [usize; 3] {
        let s = self.data.shape();
        [s[0], s[1], s[2]]
    }
    /// An image from data and an affine (nilearn `new_img_like`, nibabel `Nifti1Image(data,
    /// affine)`): voxel sizes from the affine's columns, no warnings.
    pub fn new(data: ArrayD<f32>, affine: [[f64; 4]; 4], tr: Option<f64>) -> Img {
        let zooms = [0, 1, 2].map(|j| (0..3).map(|i| affine[i][j] * affine[i][j]).sum::<f64>().sqrt());
        Img { data, affine, zooms, tr, warnings: Vec::new() }
    }
    /// The same image with its repetition time set to `t_r` seconds — for a header whose TR
    /// is wrong or in the wrong unit (`load_img(p)?.with_tr(2.0)?`; nilearn functions take a
    /// `t_r` argument for the same reason). Warnings about the TR are dropped.
    pub fn with_tr(&self, t_r: f64) -> Result<Img> {
        if self.data.ndim() != 4 {
            return Err(Error::data(format!(
                "with_tr: a repetition time belongs to a 4-D image; this one is {}-D",
                self.data.ndim()
            )));
        }
        if !(t_r.is_finite() && t_r > 0.0 && t_r < 1000.0) {
            return Err(Error::data(format!(
                "with_tr: t_r is in seconds and must be positive (and under 1000), got {t_r}"
            )));
        }
        let mut out = self.clone();
        out.tr = Some(t_r);
        out.warnings.retain(|w| !w.contains("TR"));
        Ok(out)
    }
}

/// An axis-aligned RAS+ affine with voxel size `zoom` mm whose voxel (0, 0, 0) sits at `origin` mm.
pub fn affine_ras(zoom: [f64; 3], origin: [f64; 3]) -> [[f64; 4]; 4] {
    [
        [zoom[0], 0.0, 0.0, origin[0]],
        [0.0, zoom[1], 0.0, origin[1]],
        [0.0, 0.0, zoom[2], origin[2]],
        [0.0, 0.0, 0.0, 1.0],
    ]
}

fn header_for(img: &Img) -> NiftiHeader {
    let a = img.affine;
    let row = |r: usize| [a[r][0] as f32, a[r][1] as f32, a[r][2] as f32, a[r][3] as f32];
    let mut pixdim = [1f32; 8];
    for k in 0..3 {
        pixdim[k + 1] = img.zooms[k] as f32;
    }
    pixdim[4] = img.tr.unwrap_or(0.0) as f32;
    NiftiHeader {
        pixdim,
        // mm (2) and seconds (8)
        xyzt_units: 2 | 8,
        sform_code: 1,
        qform_code: 1,
        srow_x: row(0),
        srow_y: row(1),
        srow_z: row(2),
        // axis-aligned affine: identity rotation, offsets from the last column
        quatern_b: 0.0,
        quatern_c: 0.0,
        quatern_d: 0.0,
        quatern_x: a[0][3] as f32,
        quatern_y: a[1][3] as f32,
        quatern_z: a[2][3] as f32,
        ..NiftiHeader::default()
    }
}

/// The qform affine (NIfTI-1 method 2, as nibabel's `get_qform`): rotation from the
/// quaternion (b, c, d; a = √(1 − b² − c² − d²)), voxel sizes, `qfac = pixdim[0]` flipping the
/// third axis, offsets from `qoffset_*`.
fn qform_affine(hdr: &NiftiHeader) -> [[f64; 4]; 4] {
    let (b, c, d) = (hdr.quatern_b as f64, hdr.quatern_c as f64, hdr.quatern_d as f64);
    let a = (1.0 - (b * b + c * c + d * d)).max(0.0).sqrt();
    let r = [
        [a * a + b * b - c * c - d * d, 2.0 * (b * c - a * d), 2.0 * (b * d + a * c)],
        [2.0 * (b * c + a * d), a * a + c * c - b * b - d * d, 2.0 * (c * d - a * b)],
        [2.0 * (b * d - a * c), 2.0 * (c * d + a * b), a * a + d * d - c * c - b * b],
    ];
    let qfac = if hdr.pixdim[0] < 0.0 { -1.0 } else { 1.0 };
    let z = [hdr.pixdim[1] as f64, hdr.pixdim[2] as f64, qfac * hdr.pixdim[3] as f64];
    let off = [hdr.quatern_x as f64, hdr.quatern_y as f64, hdr.quatern_z as f64];
    let mut m = [[0.0; 4]; 4];
    for i in 0..3 {
        for j in 0..3 {
            m[i][j] = r[i][j] * z[j];
        }
        m[i][3] = off[i];
    }
    m[3][3] = 1.0;
    m
}

/// How to store voxel values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dtype {
    /// 16-bit integers (rounded), like scanner output
    I16,
    /// 8-bit unsigned (masks)
    U8,
    /// 32-bit floats (statistics maps)
    F32,
}

/// Write `img` to a `.nii` or `.nii.gz` file (gzip when the name ends in `.gz`), via a
/// temporary file and a rename. Mirrors nibabel's `Nifti1Image(data, affine).to_filename`.
pub fn save_img(img: &Img, path: impl AsRef<Path>, dtype: Dtype) -> Result<()> {
    let path = path.as_ref();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("img.nii");
    if !(name.ends_with(".nii") || name.ends_with(".nii.gz")) {
        return Err(Error::data(format!("{}: NIfTI files end in .nii or .nii.gz", path.display())));
    }
    let hdr = header_for(img);
    write_atomically(path, |tmp| {
        let opts = nifti::writer::WriterOptions::new(tmp).reference_header(&hdr);
        match dtype {
            Dtype::F32 => opts.write_nifti(&img.data),
            Dtype::I16 => {
                opts.write_nifti(&img.data.mapv(|v| v.round().clamp(i16::MIN as f32, i16::MAX as f32) as i16))
            }
            Dtype::U8 => opts.write_nifti(&img.data.mapv(|v| v.round().clamp(0.0, 255.0) as u8)),
        }
        .map_err(|e| Error::format(path, "write", e))
    })
}

/// NIfTI-1 datatype codes brainml reads, with their names and bits per voxel (the NIfTI-1
/// header standard, `nifti1.h`); `None` for complex, RGB and 128-bit types.
fn datatype_bits(code: i16) -> Option<(&'static str, u32)> {
    Some(match code {
        2 => ("uint8", 8),
        4 => ("int16", 16),
        8 => ("int32", 32),
        16 => ("float32", 32),
        64 => ("float64", 64),
        256 => ("int8", 8),
        512 => ("uint16", 16),
        768 => ("uint32", 32),
        1024 => ("int64", 64),
        1280 => ("uint64", 64),
        _ => return None,
    })
}

/// A nifti-crate error in words (its I/O errors print as `Io(Error { kind: … })`).
fn nifti_why(e: &nifti::NiftiError) -> String {
    match e {
        nifti::NiftiError::Io(io) => match io.kind() {
            std::io::ErrorKind::UnexpectedEof => {
                "the file ends before its header or data does (truncated? re-download it)".to_string()
            }
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => {
                format!("the data cannot be decoded ({io}): a corrupt or truncated download? re-download it")
            }
            _ => format!("cannot read the file: {io}"),
        },
        nifti::NiftiError::InvalidFormat => {
            "not a NIfTI-1 file (its magic code is neither \"n+1\" nor \"ni1\")".to_string()
        }
        other => other.to_string(),
    }
}

/// Read a `.nii` / `.nii.gz` image (nilearn `load_img`). The header is checked against the
/// file size first: a header that promises more voxels than the file holds is an error, not
/// an allocation.
pub fn load_img(path: impl AsRef<Path>) -> Result<Img> {
    let path = path.as_ref();
    let meta = std::fs::metadata(path).at(path)?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    // bytes the decoded file holds: the file size, or gzip's ISIZE trailer (size mod 2^32)
    let decoded_len = if gz {
        let mut f = std::fs::File::open(path).at(path)?;
        let mut magic = [0u8; 2];
        f.read_exact(&mut magic)
            .map_err(|_| Error::format(path, "gzip", "file too short for a gzip header"))?;
        if magic != [0x1f, 0x8b] {
            return Err(Error::format(path, "gzip", "name ends in .gz but the file is not gzip"));
        }
        use std::io::{Seek, SeekFrom};
        f.seek(SeekFrom::End(-4)).at(path)?;
        let mut isize = [0u8; 4];
        f.read_exact(&mut isize).at(path)?;
        Some(u32::from_le_bytes(isize) as u64)
    } else {
        None
    };
    let hdr = NiftiHeader::from_file(path).map_err(|e| Error::format(path, "header", nifti_why(&e)))?;
    if hdr.sizeof_hdr != 348 {
        return Err(Error::format(
            path,
            "sizeof_hdr",
            format!("expected 348 (NIfTI-1), found {}", hdr.sizeof_hdr),
        ));
    }
    let nd = hdr.dim[0];
    if !(3..=4).contains(&nd) {
        return Err(Error::format(
            path,
            "dim[0]",
            format!("expected a 3-D or 4-D image (dim[0] = 3 or 4), found {nd}"),
        ));
    }
    for i in 1..=nd as usize {
        if hdr.dim[i] < 1 {
            return Err(Error::format(
                path,
                format!("dim[{i}]"),
                format!("every dimension must be at least 1, found {}", hdr.dim[i]),
            ));
        }
    }
    let dim: Vec<u64> = (1..=nd as usize).map(|i| hdr.dim[i] as u64).collect();
    let (type_name, bits) = datatype_bits(hdr.datatype).ok_or_else(|| Error::format(path, "datatype", format!("code {} is not a real-valued voxel type brainml reads (uint8, int8, int16, uint16, int32, uint32, int64, uint64, float32, float64; complex and RGB images are not supported)", hdr.datatype)))?;
    if hdr.bitpix as u32 != bits {
        return Err(Error::format(
            path,
            "bitpix",
            format!(
                "datatype {type_name} has {bits} bits per voxel, but bitpix says {} (a corrupt header?)",
                hdr.bitpix
            ),
        ));
    }
    let vox_offset = hdr.vox_offset as f64;
    if !(vox_offset.is_finite() && vox_offset >= 0.0) {
        return Err(Error::format(
            path,
            "vox_offset",
            format!("expected the byte where the voxels start (at least 352), found {vox_offset}"),
        ));
    }
    let n_vox = dim.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
    let data_bytes = n_vox.and_then(|n| n.checked_mul(bits as u64 / 8));
    let held = match decoded_len {
        Some(isize) => isize,
        None => meta.len(),
    };
    // gzip's ISIZE is the size modulo 4 GiB, so larger images are bounded by deflate's best
    // ratio (1032:1) instead
    let limit = if gz { meta.len().saturating_mul(1032) } else { held };
    let Some(data_bytes) = data_bytes.filter(|&b| b <= limit) else {
        return Err(Error::format(path, "dim", format!("header says {dim:?} voxels of {bits} bits, more than a file of {} bytes can hold (truncated or corrupt? re-download it)", meta.len())));
    };
    // (for gzip, `held` is exact only below 4 GiB)
    if vox_offset > held as f64 && (!gz || data_bytes < (1 << 32)) {
        return Err(Error::format(path, "vox_offset", format!("the voxels are said to start at byte {vox_offset}, beyond the end of the file ({held} bytes)")));
    }
    let bytes = data_bytes + vox_offset as u64;
    if bytes < (1 << 32) && bytes > held {
        return Err(Error::format(path, "dim", format!("header says {dim:?} voxels of {bits} bits ({bytes} bytes with the header) but the file holds {held} (truncated? re-download it)")));
    }
    for k in 1..=3 {
        let z = hdr.pixdim[k];
        if !(z.is_finite() && z > 0.0) {
            return Err(Error::format(
                path,
                format!("pixdim[{k}]"),
                format!("expected a positive voxel size in mm, found {z}"),
            ));
        }
    }
    if hdr.sform_code > 0 && hdr.srow_x.iter().chain(&hdr.srow_y).chain(&hdr.srow_z).any(|v| !v.is_finite()) {
        return Err(Error::format(
            path,
            "srow_x/srow_y/srow_z",
            "the sform affine holds NaN or infinite values",
        ));
    }
    if hdr.sform_code <= 0
        && hdr.qform_code > 0
        && [hdr.quatern_b, hdr.quatern_c, hdr.quatern_d, hdr.quatern_x, hdr.quatern_y, hdr.quatern_z]
            .iter()
            .any(|v| !v.is_finite())
    {
        return Err(Error::format(path, "quatern_*", "the qform holds NaN or infinite values"));
    }
    let dim: Vec<usize> = dim.iter().map(|&d| d as usize).collect();
    let mut warnings = Vec::new();
    let tr = if dim.len() == 4 {
        let raw = hdr.pixdim[4] as f64;
        let unit = hdr.xyzt_units & 0x38;
        // 8: seconds, 16: milliseconds, 24: microseconds, 0: unknown (assume seconds)
        let tr = match unit {
            16 => raw / 1e3,
            24 => raw / 1e6,
            _ => raw,
        };
        if !(tr.is_finite() && tr > 0.0) {
            return Err(Error::format(
                path,
                "pixdim[4]",
                format!("repetition time must be positive, found {raw}"),
            ));
        }
        if unit == 8 && tr > 100.0 {
            // nibabel and nilearn load such files as they are; so does brainml, with a warning
            warnings.push(format!(
                "{}: pixdim[4]: TR of {tr} s with units \"seconds\" — is it stored in milliseconds? If the TR is {} s, use load_img(…)?.with_tr({})?",
                path.display(),
                tr / 1e3,
                tr / 1e3
            ));
        }
        Some(tr)
    } else {
        None
    };
    let obj = ReaderOptions::new().read_file(path).map_err(|e| Error::format(path, "data", nifti_why(&e)))?;
    let data =
        obj.into_volume().into_ndarray::<f32>().map_err(|e| Error::format(path, "data", nifti_why(&e)))?;
    let data = data.into_dimensionality::<IxDyn>().map_err(|e| Error::format(path, "data", e))?;
    if data.iter().any(|v| !v.is_finite()) {
        return Err(Error::format(path, "data", "contains NaN or infinite values"));
    }
    let affine = if hdr.sform_code > 0 {
        let r = |s: [f32; 4]| [s[0] as f64, s[1] as f64, s[2] as f64, s[3] as f64];
        [r(hdr.srow_x), r(hdr.srow_y), r(hdr.srow_z), [0.0, 0.0, 0.0, 1.0]]
    } else if hdr.qform_code > 0 {
        qform_affine(&hdr)
    } else {
        // neither: voxel sizes on the diagonal, offsets from the quaternion fields (usually 0)
        affine_ras(
            [hdr.pixdim[1] as f64, hdr.pixdim[2] as f64, hdr.pixdim[3] as f64],
            [hdr.quatern_x as f64, hdr.quatern_y as f64, hdr.quatern_z as f64],
        )
    };
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    Ok(Img {
        data,
        affine,
        zooms: [hdr.pixdim[1] as f64, hdr.pixdim[2] as f64, hdr.pixdim[3] as f64],
        tr,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_4d_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let data = ArrayD::from_shape_fn(IxDyn(&[4, 5, 3, 6]), |ix| {
            (ix[0] * 100 + ix[1] * 10 + ix[2] + ix[3] * 1000) as f32
        });
        let img = Img::new(data.clone(), affine_ras([3.0; 3], [-6.0, -7.5, -3.0]), Some(2.0));
        let p = dir.path().join("bold.nii.gz");
        save_img(&img, &p, Dtype::I16).unwrap();
        let back = load_img(&p).unwrap();
        assert_eq!(back.data, data);
        assert_eq!(back.tr, Some(2.0));
        assert_eq!(back.affine, img.affine);
        // truncated gzip: an error, not a panic
        let bytes = std::fs::read(&p).unwrap();
        let t = dir.path().join("trunc.nii.gz");
        std::fs::write(&t, &bytes[..bytes.len() / 2]).unwrap();
        assert!(load_img(&t).is_err());
        // an uncompressed file whose header promises more than it holds
        let u = dir.path().join("bold.nii");
        save_img(&img, &u, Dtype::F32).unwrap();
        let ub = std::fs::read(&u).unwrap();
        let c = dir.path().join("cut.nii");
        std::fs::write(&c, &ub[..ub.len() - 100]).unwrap();
        let e = load_img(&c).unwrap_err().to_string();
        assert!(e.contains("cut.nii") && e.contains("truncated"), "{e}");
    }

    #[test]
    fn qform_only_files_get_the_quaternion_affine() {
        // 180° about z (quaternion b=c=0, d=1): x and y flip; qfac −1 flips z
        let mut hdr = NiftiHeader {
            sform_code: 0,
            qform_code: 1,
            quatern_b: 0.0,
            quatern_c: 0.0,
            quatern_d: 1.0,
            quatern_x: 10.0,
            quatern_y: 20.0,
            quatern_z: -5.0,
            ..NiftiHeader::default()
        };
        hdr.pixdim = [-1.0, 2.0, 3.0, 4.0, 1.0, 1.0, 1.0, 1.0];
        let a = qform_affine(&hdr);
        let want =
            [[-2.0, 0.0, 0.0, 10.0], [0.0, -3.0, 0.0, 20.0], [0.0, 0.0, -4.0, -5.0], [0.0, 0.0, 0.0, 1.0]];
        for i in 0..4 {
            for j in 0..4 {
                assert!((a[i][j] - want[i][j]).abs() < 1e-9, "{a:?}");
            }
        }
    }
}
