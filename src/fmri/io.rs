//! NIfTI-1 images through the `nifti` crate: [`Img`] (a 4-D array `x × y × z × volumes` with
//! its affine and TR; a 3-D image is one volume) and [`Mask`] (which voxels of a grid to keep).
//! Mirrors nibabel's `Nifti1Image` and nilearn's `load_img` / `new_img_like` /
//! `Nifti1Image.to_filename`, and nilearn's mask images.
//!
//! Reading checks the header against the file before decoding (dimensions, datatype,
//! compressed size), so a corrupt or truncated file is an error naming the field. Both types
//! keep their fields private: every way to build one is validated, so no edit in a cell can
//! make a later method index outside the data.

use std::io::Read;
use std::path::Path;

use ndarray::{Array, Array2, Array3, Array4, ArrayD, ArrayView3, Axis, Dimension, Ix4};
use nifti::{IntoNdArray, NiftiHeader, NiftiObject, ReaderOptions};

use crate::error::{write_atomically, Error, IoContext, Result};

/// A NIfTI image (nibabel's `Nifti1Image`): voxel values `data()[[x, y, z, t]]` in voxel order,
/// the voxel → RAS+ mm affine, voxel sizes and (4-D) the repetition time in seconds.
///
/// A 3-D image is held as one volume (`data()` has `t = 0` only) but stays 3-D: [`Img::shape`]
/// has three entries, as nibabel's `img.shape`, and [`save_img`] writes a 3-D file.
#[derive(Clone, Debug)]
pub struct Img {
    data: Array4<f32>,
    /// 3 or 4: what the file (or the constructor) said
    ndim: usize,
    /// row-major 4 × 4: mm = affine · [i, j, k, 1]
    affine: [[f64; 4]; 4],
    zooms: [f64; 3],
    /// seconds (4-D images); `None` for 3-D
    tr: Option<f64>,
    /// what looked wrong in the file but did not stop it from loading
    warnings: Vec<String>,
}

/// The data of a 3-D or 4-D array as 4-D (a 3-D array gets a volume axis of length 1, without
/// copying or changing its memory order), and its dimensionality; every axis at least 1 long.
fn to_4d<D: Dimension>(data: Array<f32, D>, what: &str) -> Result<(Array4<f32>, usize)> {
    let ndim = data.ndim();
    if !(3..=4).contains(&ndim) || data.shape().contains(&0) {
        return Err(Error::shape(
            what,
            "a 3-D or 4-D array with every axis at least 1 long",
            format!("shape {:?}", data.shape()),
        ));
    }
    let data = data.into_dyn();
    let data = if ndim == 3 { data.insert_axis(Axis(3)) } else { data };
    Ok((data.into_dimensionality::<Ix4>()?, ndim))
}

impl Img {
    /// An image from a 3-D or 4-D array and an affine (nibabel `Nifti1Image(data, affine)`,
    /// nilearn `new_img_like`): voxel sizes from the affine's columns, no warnings. `tr` (in
    /// seconds, positive) belongs to a 4-D image only. Errors on another dimensionality, an
    /// empty axis, a non-finite affine or a bad TR.
    pub fn new<D: Dimension>(data: Array<f32, D>, affine: [[f64; 4]; 4], tr: Option<f64>) -> Result<Img> {
        let (data, ndim) = to_4d(data, "Img::new data")?;
        if affine.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::data("Img::new: the affine holds NaN or infinite values"));
        }
        check_tr("Img::new", ndim, tr)?;
        let zooms = [0, 1, 2].map(|j| (0..3).map(|i| affine[i][j] * affine[i][j]).sum::<f64>().sqrt());
        Ok(Img { data, ndim, affine, zooms, tr, warnings: Vec::new() })
    }

    /// An image on this image's grid (affine and voxel sizes) holding other data, 3-D or 4-D
    /// (nilearn `new_img_like(self, data)`): the spatial shape must be this image's. A 4-D
    /// result keeps this image's TR and warnings; a 3-D one has neither.
    pub fn new_like<D: Dimension>(&self, data: Array<f32, D>) -> Result<Img> {
        let (data, ndim) = to_4d(data, "new_like data")?;
        let s = data.shape();
        if [s[0], s[1], s[2]] != self.shape3() {
            return Err(Error::shape(
                "new_like data",
                format!("the grid {:?}", self.shape3()),
                format!("{:?}", &s[..3]),
            ));
        }
        let (tr, warnings) = if ndim == 4 { (self.tr, self.warnings.clone()) } else { (None, Vec::new()) };
        Ok(Img { data, ndim, affine: self.affine, zooms: self.zooms, tr, warnings })
    }

    /// An image on a grid brainml already checked (a mask's or a loaded file's).
    pub(crate) fn on_grid(
        data: Array4<f32>,
        ndim: usize,
        affine: [[f64; 4]; 4],
        zooms: [f64; 3],
        tr: Option<f64>,
    ) -> Img {
        Img { data, ndim, affine, zooms, tr, warnings: Vec::new() }
    }

    /// This image holding other values of exactly its shape (transforms that keep the grid
    /// and the volumes, e.g. smoothing).
    pub(crate) fn same_grid(&self, data: Array4<f32>) -> Result<Img> {
        if data.shape() != self.data.shape() {
            return Err(Error::shape(
                "new image data",
                format!("shape {:?}", self.data.shape()),
                format!("{:?}", data.shape()),
            ));
        }
        let (ndim, affine, zooms, tr) = (self.ndim, self.affine, self.zooms, self.tr);
        Ok(Img { data, ndim, affine, zooms, tr, warnings: self.warnings.clone() })
    }

    /// The voxel values, `x × y × z × volumes` (one volume for a 3-D image; nibabel
    /// `img.get_fdata()` as f32, with a volume axis of length 1 added to 3-D data).
    pub fn data(&self) -> &Array4<f32> {
        &self.data
    }
    /// The shape as nibabel's `img.shape`: three entries for a 3-D image, four for a run.
    pub fn shape(&self) -> &[usize] {
        &self.data.shape()[..self.ndim]
    }
    /// 3 or 4 (nibabel's `img.ndim`).
    pub fn ndim(&self) -> usize {
        self.ndim
    }
    /// Number of volumes (1 for a 3-D image; nilearn's `img.shape[3]`).
    pub fn n_volumes(&self) -> usize {
        self.data.shape()[3]
    }
    /// Spatial shape (nibabel `img.shape[:3]`).
    pub fn shape3(&self) -> [usize; 3] {
        let s = self.data.shape();
        [s[0], s[1], s[2]]
    }
    /// The voxel → mm (RAS+) affine, row-major: mm = affine · [i, j, k, 1] (nibabel `img.affine`).
    pub fn affine(&self) -> [[f64; 4]; 4] {
        self.affine
    }
    /// Voxel sizes in mm as the header stores them (nibabel `img.header.get_zooms()[:3]`).
    pub fn zooms(&self) -> [f64; 3] {
        self.zooms
    }
    /// Repetition time in seconds (4-D images; nibabel `get_zooms()[3]`), `None` for 3-D.
    pub fn tr(&self) -> Option<f64> {
        self.tr
    }
    /// What looked wrong in the file but did not stop it from loading (printed once when
    /// loaded, e.g. a TR that seems to be in milliseconds); empty for a clean file.
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }
    /// Volume `t` (nilearn `index_img(img, t)`); `t = 0` is the whole of a 3-D image.
    pub fn volume(&self, t: usize) -> Result<ArrayView3<'_, f32>> {
        if t >= self.n_volumes() {
            return Err(Error::data(format!(
                "volume {t} does not exist (the image has {} volume(s))",
                self.n_volumes()
            )));
        }
        Ok(self.data.index_axis(Axis(3), t))
    }
    /// The one volume of a 3-D image (or of a 4-D image holding a single volume), for
    /// `what` (named in the error, which says `expected` otherwise).
    pub(crate) fn single_volume(&self, what: &str, expected: &str) -> Result<ArrayView3<'_, f32>> {
        if self.n_volumes() != 1 {
            return Err(Error::shape(what, expected, format!("shape {:?}", self.shape())));
        }
        Ok(self.data.index_axis(Axis(3), 0))
    }
    /// The same image with its repetition time set to `t_r` seconds — for a header whose TR
    /// is wrong or in the wrong unit (`load_img(p)?.with_tr(2.0)?`; nilearn functions take a
    /// `t_r` argument for the same reason). Warnings about the TR are dropped.
    pub fn with_tr(&self, t_r: f64) -> Result<Img> {
        if self.ndim != 4 {
            return Err(Error::data(format!(
                "with_tr: a repetition time belongs to a 4-D image; this one is {}-D",
                self.ndim
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
    /// The same image with the header's voxel sizes set apart from the affine (a file may
    /// say one thing in pixdim and another in its sform), for tests of [`crate::fmri::check_img`].
    #[cfg(test)]
    pub(crate) fn with_header_zooms(mut self, zooms: [f64; 3]) -> Img {
        self.zooms = zooms;
        self
    }
}

fn check_tr(what: &str, ndim: usize, tr: Option<f64>) -> Result<()> {
    match tr {
        Some(_) if ndim != 4 => {
            Err(Error::data(format!("{what}: a repetition time belongs to a 4-D image; this one is 3-D")))
        }
        Some(t) if !(t.is_finite() && t > 0.0) => {
            Err(Error::data(format!("{what}: the repetition time must be positive seconds, got {t}")))
        }
        _ => Ok(()),
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

fn affine_close(a: &[[f64; 4]; 4], b: &[[f64; 4]; 4]) -> bool {
    a.iter()
        .flatten()
        .zip(b.iter().flatten())
        .all(|(x, y)| (x - y).abs() <= 1e-3 * (1.0 + x.abs().max(y.abs())))
}

/// A brain (or region) mask on a voxel grid: which voxels to keep, with the grid's affine.
/// Mirrors nilearn's mask images (and the masking half of `NiftiMasker`; see
/// [`crate::fmri::NiftiMasker`] for masking with cleaning); voxels are ordered as numpy's C
/// order over `(x, y, z)`, the order `NiftiMasker.transform` uses, so maps line up with
/// nilearn's.
#[derive(Clone, Debug)]
pub struct Mask {
    data: Array3<bool>,
    affine: [[f64; 4]; 4],
    zooms: [f64; 3],
}

impl Mask {
    /// A mask from a 3-D image (or a 4-D image with one volume): voxels with a value > 0.5.
    pub fn from_img(img: &Img) -> Result<Mask> {
        let data = img.single_volume("mask image", "a 3-D image")?.mapv(|v| v > 0.5);
        let m = Mask { data, affine: img.affine, zooms: img.zooms };
        if m.n_voxels() == 0 {
            return Err(Error::data("mask image has no voxel > 0.5 (empty mask)"));
        }
        Ok(m)
    }

    /// Read a mask file (nilearn `NiftiMasker(mask_img=path)`).
    pub fn load(path: impl AsRef<Path>) -> Result<Mask> {
        let path = path.as_ref();
        Mask::from_img(&load_img(path)?).map_err(|e| Error::format(path, "data", e))
    }

    /// A mask from a boolean array on the grid of `like`.
    pub fn from_array(data: Array3<bool>, like: &Img) -> Result<Mask> {
        if data.shape() != like.shape3() {
            return Err(Error::shape(
                "mask array",
                format!("{:?} (the image's grid)", like.shape3()),
                format!("{:?}", data.shape()),
            ));
        }
        Ok(Mask { data, affine: like.affine, zooms: like.zooms })
    }

    /// Number of voxels in the mask.
    pub fn n_voxels(&self) -> usize {
        self.data.iter().filter(|&&b| b).count()
    }

    /// Whether voxel `[i, j, k]` is in the mask (nilearn users: `mask_img.get_fdata()[i, j, k]
    /// > 0`); `false` outside the grid rather than an index error.
    pub fn contains(&self, ijk: [usize; 3]) -> bool {
        self.data.get(ijk).copied().unwrap_or(false)
    }

    /// The grid's shape.
    pub fn shape(&self) -> [usize; 3] {
        self.data.dim().into()
    }

    /// The mask as a boolean array over the grid (nilearn `mask_img.get_fdata() > 0`).
    pub fn as_array(&self) -> &Array3<bool> {
        &self.data
    }

    /// The grid's voxel → mm affine.
    pub fn affine(&self) -> [[f64; 4]; 4] {
        self.affine
    }

    /// Voxel sizes in mm (the header's, as [`Img::zooms`]).
    pub fn zooms(&self) -> [f64; 3] {
        self.zooms
    }

    /// Voxel indices `[i, j, k]` of the mask, in column order of [`Mask::apply`].
    pub fn voxels(&self) -> Vec<[usize; 3]> {
        self.data.indexed_iter().filter(|(_, &b)| b).map(|((i, j, k), _)| [i, j, k]).collect()
    }

    /// World (mm) coordinates of a voxel index.
    pub fn to_mm(&self, v: [usize; 3]) -> [f64; 3] {
        let a = &self.affine;
        let p = [v[0] as f64, v[1] as f64, v[2] as f64];
        [0, 1, 2].map(|r| a[r][0] * p[0] + a[r][1] * p[1] + a[r][2] * p[2] + a[r][3])
    }

    /// Check that `img` lies on this mask's grid (shape and affine).
    pub fn check_grid(&self, img: &Img, what: &str) -> Result<()> {
        if img.shape3() != self.data.shape() {
            return Err(Error::shape(
                format!("{what} vs mask"),
                format!("grid {:?} (the mask's)", self.data.shape()),
                format!("{:?}", img.shape3()),
            ));
        }
        if !affine_close(&self.affine, &img.affine) {
            return Err(Error::data(format!(
                "{what}: affine {:?} differs from the mask's {:?} (different space? resample first)",
                img.affine, self.affine
            )));
        }
        Ok(())
    }

    /// Voxel time series inside the mask: `volumes × voxels` (nilearn
    /// `NiftiMasker(mask_img).fit_transform(img)` without cleaning; [`crate::fmri::NiftiMasker`]
    /// cleans as it masks). Errors on a grid or affine mismatch, or a non-finite value.
    pub fn apply(&self, img: &Img) -> Result<Array2<f64>> {
        self.check_grid(img, "image")?;
        let vox = self.voxels();
        let nt = img.n_volumes();
        let mut out = Array2::<f64>::zeros((nt, vox.len()));
        for (c, v) in vox.iter().enumerate() {
            for t in 0..nt {
                let x = img.data[[v[0], v[1], v[2], t]];
                if !x.is_finite() {
                    return Err(Error::data(format!(
                        "image has a non-finite value at voxel {v:?}, volume {t}"
                    )));
                }
                out[[t, c]] = x as f64;
            }
        }
        Ok(out)
    }

    /// Put one value per mask voxel back on the grid as a 3-D image (zero outside): nilearn
    /// `masker.inverse_transform(values)`.
    pub fn unmask(&self, values: &[f64]) -> Result<Img> {
        let vox = self.voxels();
        if values.len() != vox.len() {
            return Err(Error::shape(
                "values to unmask",
                format!("{} (one per mask voxel)", vox.len()),
                values.len(),
            ));
        }
        let s = self.shape();
        let mut data = Array4::<f32>::zeros((s[0], s[1], s[2], 1));
        for (v, &x) in vox.iter().zip(values) {
            data[[v[0], v[1], v[2], 0]] = x as f32;
        }
        Ok(Img::on_grid(data, 3, self.affine, self.zooms, None))
    }

    /// The mask as a 0/1 image (to save or plot).
    pub fn to_img(&self) -> Img {
        let data = self.data.mapv(|b| if b { 1.0f32 } else { 0.0 }).insert_axis(Axis(3));
        Img::on_grid(data, 3, self.affine, self.zooms, None)
    }

    /// Voxels in both masks (same grid required).
    pub fn intersect(&self, other: &Mask) -> Result<Mask> {
        if self.data.shape() != other.data.shape() || !affine_close(&self.affine, &other.affine) {
            return Err(Error::shape(
                "masks to intersect",
                format!("grid {:?}", self.data.shape()),
                format!("{:?}", other.data.shape()),
            ));
        }
        let mut data = self.data.clone();
        data.zip_mut_with(&other.data, |a, &b| *a = *a && b);
        Ok(Mask { data, affine: self.affine, zooms: self.zooms })
    }
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
/// temporary file and a rename; a 3-D image is written as a 3-D file. Mirrors nibabel's
/// `Nifti1Image(data, affine).to_filename`.
pub fn save_img(img: &Img, path: impl AsRef<Path>, dtype: Dtype) -> Result<()> {
    let path = path.as_ref();
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("img.nii");
    if !(name.ends_with(".nii") || name.ends_with(".nii.gz")) {
        return Err(Error::data(format!("{}: NIfTI files end in .nii or .nii.gz", path.display())));
    }
    let hdr = header_for(img);
    let data =
        if img.ndim == 3 { img.data.index_axis(Axis(3), 0).into_dyn() } else { img.data.view().into_dyn() };
    write_atomically(path, |tmp| {
        let opts = nifti::writer::WriterOptions::new(tmp).reference_header(&hdr);
        match dtype {
            Dtype::F32 => opts.write_nifti(&data),
            Dtype::I16 => {
                opts.write_nifti(&data.mapv(|v| v.round().clamp(i16::MIN as f32, i16::MAX as f32) as i16))
            }
            Dtype::U8 => opts.write_nifti(&data.mapv(|v| v.round().clamp(0.0, 255.0) as u8)),
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

/// The file's size on disk, whether it is gzip, and (gzip) the decoded size its ISIZE trailer
/// records (size mod 2^32).
struct FileSize {
    on_disk: u64,
    gz: bool,
    decoded: Option<u64>,
}

fn file_size(path: &Path) -> Result<FileSize> {
    let meta = std::fs::metadata(path).at(path)?;
    let gz = path.extension().is_some_and(|e| e == "gz");
    let decoded = if gz {
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
    Ok(FileSize { on_disk: meta.len(), gz, decoded })
}

/// The header, its size, dimensions and datatype checked; returns the dimensions and the bits
/// per voxel.
fn read_header(path: &Path) -> Result<(NiftiHeader, Vec<u64>, u32)> {
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
    Ok((hdr, dim, bits))
}

/// The voxels the header promises fit in the file (checked before anything is allocated).
fn check_extent(path: &Path, hdr: &NiftiHeader, dim: &[u64], bits: u32, size: &FileSize) -> Result<()> {
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
    let held = size.decoded.unwrap_or(size.on_disk);
    // gzip's ISIZE is the size modulo 4 GiB, so larger images are bounded by deflate's best
    // ratio (1032:1) instead
    let limit = if size.gz { size.on_disk.saturating_mul(1032) } else { held };
    let Some(data_bytes) = data_bytes.filter(|&b| b <= limit) else {
        return Err(Error::format(path, "dim", format!("header says {dim:?} voxels of {bits} bits, more than a file of {} bytes can hold (truncated or corrupt? re-download it)", size.on_disk)));
    };
    // (for gzip, `held` is exact only below 4 GiB)
    if vox_offset > held as f64 && (!size.gz || data_bytes < (1 << 32)) {
        return Err(Error::format(path, "vox_offset", format!("the voxels are said to start at byte {vox_offset}, beyond the end of the file ({held} bytes)")));
    }
    let bytes = data_bytes + vox_offset as u64;
    if bytes < (1 << 32) && bytes > held {
        return Err(Error::format(path, "dim", format!("header says {dim:?} voxels of {bits} bits ({bytes} bytes with the header) but the file holds {held} (truncated? re-download it)")));
    }
    Ok(())
}

/// Voxel sizes positive, sform / qform finite (whichever the affine is taken from).
fn check_geometry(path: &Path, hdr: &NiftiHeader) -> Result<()> {
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
    Ok(())
}

/// The TR of a 4-D image in seconds (pixdim[4] in the header's time unit), with a warning when
/// it looks like milliseconds stored as seconds; `None` for 3-D.
fn repetition_time(
    path: &Path,
    hdr: &NiftiHeader,
    ndim: usize,
    warnings: &mut Vec<String>,
) -> Result<Option<f64>> {
    if ndim != 4 {
        return Ok(None);
    }
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
    Ok(Some(tr))
}

/// The voxels as f32, as the nifti crate decodes them; all must be finite.
fn read_voxels(path: &Path) -> Result<ArrayD<f32>> {
    let obj = ReaderOptions::new().read_file(path).map_err(|e| Error::format(path, "data", nifti_why(&e)))?;
    let data =
        obj.into_volume().into_ndarray::<f32>().map_err(|e| Error::format(path, "data", nifti_why(&e)))?;
    if data.iter().any(|v| !v.is_finite()) {
        return Err(Error::format(path, "data", "contains NaN or infinite values"));
    }
    Ok(data)
}

/// The voxel → mm affine as nibabel chooses it: the sform if set, else the qform, else voxel
/// sizes on the diagonal with offsets from the quaternion fields (usually 0).
fn header_affine(hdr: &NiftiHeader) -> [[f64; 4]; 4] {
    if hdr.sform_code > 0 {
        let r = |s: [f32; 4]| [s[0] as f64, s[1] as f64, s[2] as f64, s[3] as f64];
        [r(hdr.srow_x), r(hdr.srow_y), r(hdr.srow_z), [0.0, 0.0, 0.0, 1.0]]
    } else if hdr.qform_code > 0 {
        qform_affine(hdr)
    } else {
        affine_ras(
            [hdr.pixdim[1] as f64, hdr.pixdim[2] as f64, hdr.pixdim[3] as f64],
            [hdr.quatern_x as f64, hdr.quatern_y as f64, hdr.quatern_z as f64],
        )
    }
}

/// Read a `.nii` / `.nii.gz` image (nilearn `load_img`). The header is checked against the
/// file size first: a header that promises more voxels than the file holds is an error, not
/// an allocation.
pub fn load_img(path: impl AsRef<Path>) -> Result<Img> {
    let path = path.as_ref();
    let size = file_size(path)?;
    let (hdr, dim, bits) = read_header(path)?;
    check_extent(path, &hdr, &dim, bits, &size)?;
    check_geometry(path, &hdr)?;
    let mut warnings = Vec::new();
    let tr = repetition_time(path, &hdr, dim.len(), &mut warnings)?;
    let (data, ndim) = to_4d(read_voxels(path)?, "image data").map_err(|e| Error::format(path, "data", e))?;
    for w in &warnings {
        eprintln!("warning: {w}");
    }
    let zooms = [hdr.pixdim[1] as f64, hdr.pixdim[2] as f64, hdr.pixdim[3] as f64];
    Ok(Img { data, ndim, affine: header_affine(&hdr), zooms, tr, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::IxDyn;

    #[test]
    fn round_trip_4d_and_bad_files() {
        let dir = tempfile::tempdir().unwrap();
        let data = ArrayD::from_shape_fn(IxDyn(&[4, 5, 3, 6]), |ix| {
            (ix[0] * 100 + ix[1] * 10 + ix[2] + ix[3] * 1000) as f32
        });
        let img = Img::new(data.clone(), affine_ras([3.0; 3], [-6.0, -7.5, -3.0]), Some(2.0)).unwrap();
        let p = dir.path().join("bold.nii.gz");
        save_img(&img, &p, Dtype::I16).unwrap();
        let back = load_img(&p).unwrap();
        assert_eq!(back.data().view().into_dyn(), data.view());
        assert_eq!(back.tr(), Some(2.0));
        assert_eq!(back.affine(), img.affine());
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
    fn a_3d_image_is_one_volume_and_saves_as_3d() {
        let dir = tempfile::tempdir().unwrap();
        let vol = Array3::from_shape_fn((3, 4, 2), |(i, j, k)| (i + 10 * j + 100 * k) as f32);
        let img = Img::new(vol.clone(), affine_ras([2.0; 3], [0.0; 3]), None).unwrap();
        assert_eq!((img.shape(), img.ndim(), img.n_volumes()), (&[3, 4, 2][..], 3, 1));
        assert_eq!(img.volume(0).unwrap(), vol.view());
        assert!(img.volume(1).is_err());
        let p = dir.path().join("vol.nii");
        save_img(&img, &p, Dtype::F32).unwrap();
        let back = load_img(&p).unwrap();
        assert_eq!((back.shape(), back.tr()), (&[3, 4, 2][..], None));
        assert_eq!(back.volume(0).unwrap(), vol.view());
        // what Img::new refuses
        let a = affine_ras([2.0; 3], [0.0; 3]);
        assert!(Img::new(Array2::<f32>::zeros((3, 3)), a, None).is_err());
        assert!(Img::new(Array3::<f32>::zeros((3, 0, 3)), a, None).is_err());
        assert!(Img::new(vol.clone(), a, Some(2.0)).is_err(), "a TR on a 3-D image");
        assert!(Img::new(Array4::<f32>::zeros((2, 2, 2, 3)), a, Some(-1.0)).is_err());
        let mut nan = a;
        nan[0][3] = f64::NAN;
        assert!(Img::new(vol.clone(), nan, None).is_err());
        // new_like keeps the grid and checks it
        let run = Img::new(Array4::<f32>::zeros((3, 4, 2, 5)), a, Some(2.0)).unwrap();
        let like = run.new_like(Array4::<f32>::ones((3, 4, 2, 2))).unwrap();
        assert_eq!((like.n_volumes(), like.tr()), (2, Some(2.0)));
        assert_eq!(run.new_like(vol.clone()).unwrap().tr(), None);
        assert!(run.new_like(Array3::<f32>::zeros((3, 4, 3))).is_err());
    }

    #[test]
    fn mask_round_trip_and_mismatch() {
        let a = affine_ras([3.0; 3], [0.0; 3]);
        let data = Array4::from_shape_fn((3, 4, 2, 5), |(i, _, _, t)| (i + 10 * t) as f32);
        let img = Img::new(data, a, Some(2.0)).unwrap();
        let m =
            Mask::from_array(Array3::from_shape_fn((3, 4, 2), |(i, j, _)| i == 1 && j < 2), &img).unwrap();
        let x = m.apply(&img).unwrap();
        assert_eq!(x.dim(), (5, 4));
        assert_eq!(x[[2, 0]], 21.0);
        let back = m.unmask(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!((back.shape(), back.data()[[1, 0, 0, 0]]), (&[3, 4, 2][..], 1.0));
        assert!(m.unmask(&[1.0]).is_err());
        let other = Img::new(img.data().clone(), affine_ras([2.0; 3], [0.0; 3]), Some(2.0)).unwrap();
        assert!(m.apply(&other).unwrap_err().to_string().contains("affine"));
        let small = Img::new(Array4::<f32>::zeros((2, 4, 2, 5)), a, Some(2.0)).unwrap();
        assert!(m.apply(&small).is_err());
        assert!(Mask::from_img(&Img::new(Array3::<f32>::zeros((3, 4, 2)), a, None).unwrap()).is_err());
        // contains and the accessors
        assert!(m.contains([1, 0, 1]) && !m.contains([0, 0, 0]) && !m.contains([9, 9, 9]));
        assert_eq!((m.shape(), m.zooms(), m.n_voxels()), ([3, 4, 2], [3.0; 3], 4));
        assert_eq!(m.to_img().shape(), &[3, 4, 2]);
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
