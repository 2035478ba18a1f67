//! Quality control: "a rival department keeps sabotaging our experiments" — find what is
//! wrong with a run before trusting it.
//!
//! - [`check_img`]: header sanity (TR, voxel sizes, orientation, affine) and constant voxels;
//! - [`compute_qc`]: per-volume global signal, DVARS (Power et al. 2012: RMS over the mask of
//!   the volume-to-volume difference, in % of the mean), a spike score, and framewise
//!   displacement from motion parameters (Power 2012, rotations on a 50 mm sphere), with a
//!   table ([`Qc::table`]), a plot ([`Qc::plot`]) and the volumes to censor.
//!
//! Mirrors what nilearn leaves to fMRIPrep/MRIQC (`fmriprep` confounds: `dvars`, `std_dvars`,
//! `framewise_displacement`, `global_signal`; nilearn's `signal.clean(sample_mask=...)` for
//! censoring). Thresholds are the common ones: FD > 0.5 mm (Power), standardised spike
//! score > 5 (robust z).

use polars::prelude::*;

use crate::error::{Error, Result};
use crate::fmri::io::Img;
use crate::fmri::io::Mask;
use crate::ml::stats::median;

/// One problem found by [`check_img`].
#[derive(Clone, Debug)]
pub struct Issue {
    pub field: String,
    pub why: String,
}

/// Header and content sanity of a BOLD run (what a careful analyst checks first): TR
/// plausible (0.2–10 s; a TR stored in ms is caught when the file is read), voxel sizes
/// plausible (0.5–30 mm, matching the affine's columns), a non-singular affine and its
/// orientation (RAS+ / LAS), and voxels of the mask whose time series is constant (dead
/// voxels). Returns the list of issues (empty = nothing suspicious).
pub fn check_img(img: &Img, mask: Option<&Mask>) -> Result<Vec<Issue>> {
    let mut out = Vec::new();
    let mut push = |f: &str, w: String| out.push(Issue { field: f.into(), why: w });
    match img.tr() {
        Some(tr) if !(0.2..=10.0).contains(&tr) => {
            push("pixdim[4]", format!("TR of {tr} s is implausible for BOLD (0.2 – 10 s)"))
        }
        None if img.ndim() == 4 => push("pixdim[4]", "4-D image without a TR".into()),
        _ => {}
    }
    let a = img.affine();
    let zooms = img.zooms();
    for k in 0..3 {
        let z = zooms[k];
        if !(0.5..=30.0).contains(&z.abs()) {
            push("pixdim", format!("voxel size {z} mm along axis {k} is implausible"));
        }
        let col = (a[0][k].powi(2) + a[1][k].powi(2) + a[2][k].powi(2)).sqrt();
        if (col - z.abs()).abs() > 0.01 * z.abs().max(1.0) {
            push("affine", format!("axis {k}: the affine says {col:.3} mm per voxel, pixdim says {z} mm"));
        }
    }
    let det = a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1])
        - a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0])
        + a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
    if det.abs() < 1e-9 {
        push("affine", "singular affine: voxel → mm mapping is undefined".into());
    }
    let axcodes: String = (0..3)
        .map(|k| {
            let r = (0..3).max_by(|&p, &q| a[p][k].abs().total_cmp(&a[q][k].abs())).unwrap_or(k);
            match (r, a[r][k] >= 0.0) {
                (0, true) => 'R',
                (0, false) => 'L',
                (1, true) => 'A',
                (1, false) => 'P',
                (_, true) => 'S',
                (_, false) => 'I',
            }
        })
        .collect();
    if axcodes != "RAS" && axcodes != "LAS" {
        push(
            "affine",
            format!("unusual orientation {axcodes} (expected RAS or LAS): check left/right before plotting"),
        );
    }
    if let Some(m) = mask {
        if img.ndim() == 4 {
            let x = m.apply(img)?;
            let n_const = (0..x.ncols())
                .filter(|&c| {
                    let col = x.column(c);
                    let f = col[0];
                    col.iter().all(|&v| v == f)
                })
                .count();
            if n_const > 0 {
                push("data", format!("{n_const} of {} mask voxels are constant over time (dead voxels or outside the brain)", x.ncols()));
            }
        }
    }
    Ok(out)
}

/// Framewise displacement (Power et al. 2012): sum of absolute volume-to-volume changes of
/// the six motion parameters, rotations (radians) converted to mm on a sphere of 50 mm.
/// The first volume gets 0 (fMRIPrep writes n/a there).
pub fn framewise_displacement(motion: &[[f64; 6]]) -> Vec<f64> {
    let mut fd = vec![0.0; motion.len()];
    for t in 1..motion.len() {
        fd[t] =
            (0..6).map(|k| (motion[t][k] - motion[t - 1][k]).abs() * if k < 3 { 1.0 } else { 50.0 }).sum();
    }
    fd
}

/// Thresholds of [`compute_qc`].
#[derive(Clone, Debug)]
pub struct QcThresholds {
    /// robust z of the spike score above which a volume is a spike (default 5)
    pub spike_z: f64,
    /// framewise displacement in mm above which a volume moved (Power's 0.5, the default);
    /// [`compute_qc`] does not flag volumes by it alone (see there)
    pub fd_mm: f64,
    /// displacement from the run's median head position, mm (default 1.0): volumes spent
    /// away from where the head was (a jerk that lasts several volumes)
    pub displacement_mm: f64,
}

impl Default for QcThresholds {
    fn default() -> Self {
        QcThresholds { spike_z: 5.0, fd_mm: 0.5, displacement_mm: 1.0 }
    }
}

/// Per-volume quality measures of one run, and which volumes to censor.
#[derive(Clone, Debug)]
pub struct Qc {
    /// mean over the mask, per volume
    pub global_signal: Vec<f64>,
    /// RMS over the mask of the difference to the previous volume, % of the global mean (0 for the first)
    pub dvars: Vec<f64>,
    /// robust z (median / 1.4826·MAD) of the global signal's deviation from the median of its 8 neighbours (t ± 1 … t ± 4; a minority of up to 3 corrupted neighbours cannot move it)
    pub spike_z: Vec<f64>,
    /// framewise displacement (mm), if motion parameters were given
    pub fd: Option<Vec<f64>>,
    /// displacement from the median head position (mm), if motion was given
    pub displacement: Option<Vec<f64>>,
    /// the reason(s) each volume is flagged (empty = clean)
    pub reasons: Vec<Vec<&'static str>>,
    pub tr: f64,
}

/// Quality control of one 4-D run inside `mask`, with optional motion parameters (one row of
/// six per volume). A volume is flagged as a **spike** when its global signal jumps away from
/// its neighbours (robust z > `spike_z`) — a spike raises DVARS on the volume *and* the next
/// one, but only the spiking volume leaves the running median —, as **motion** when the head
/// is more than `displacement_mm` away from its median position (an FD above `fd_mm` alone
/// does not flag a volume; FD is reported in the table and the plot).
pub fn compute_qc(img: &Img, mask: &Mask, motion: Option<&[[f64; 6]]>, th: &QcThresholds) -> Result<Qc> {
    if img.ndim() != 4 {
        return Err(Error::shape("QC input", "a 4-D run", format!("{} dimensions", img.ndim())));
    }
    let tr = img.tr().ok_or_else(|| Error::data("QC: the image has no TR"))?;
    let x = mask.apply(img)?;
    let (nt, nv) = x.dim();
    if nt < 5 {
        return Err(Error::data(format!("QC needs at least 5 volumes, got {nt}")));
    }
    if let Some(m) = motion {
        if m.len() != nt {
            return Err(Error::shape("motion parameters", format!("{nt} rows (one per volume)"), m.len()));
        }
        if m.iter().flatten().any(|v| !v.is_finite()) {
            return Err(Error::data("motion parameters contain NaN or infinite values"));
        }
    }
    let gs: Vec<f64> = (0..nt).map(|t| x.row(t).sum() / nv as f64).collect();
    let gmean = gs.iter().sum::<f64>() / nt as f64;
    let mut dvars = vec![0.0; nt];
    for t in 1..nt {
        let d: f64 = (0..nv).map(|c| (x[[t, c]] - x[[t - 1, c]]).powi(2)).sum::<f64>() / nv as f64;
        dvars[t] = 100.0 * d.sqrt() / gmean.abs().max(1e-12);
    }
    // deviation from the median of the 8 neighbouring volumes, robustly standardised
    let dev: Vec<f64> = (0..nt)
        .map(|t| {
            let lo = t.saturating_sub(4);
            let hi = (t + 5).min(nt);
            let w: Vec<f64> = (lo..hi).filter(|&u| u != t).map(|u| gs[u]).collect();
            gs[t] - median(&w)
        })
        .collect();
    let med = median(&dev);
    let mad = median(&dev.iter().map(|d| (d - med).abs()).collect::<Vec<_>>()) * 1.4826;
    let spike_z: Vec<f64> = dev.iter().map(|d| (d - med) / mad.max(1e-12)).collect();
    let fd = motion.map(framewise_displacement);
    let displacement = motion.map(|m| {
        let med: Vec<f64> = (0..6).map(|k| median(&m.iter().map(|r| r[k]).collect::<Vec<_>>())).collect();
        m.iter()
            .map(|r| (0..6).map(|k| (r[k] - med[k]).abs() * if k < 3 { 1.0 } else { 50.0 }).sum())
            .collect::<Vec<f64>>()
    });
    let reasons = (0..nt)
        .map(|t| {
            let mut r = Vec::new();
            if spike_z[t].abs() > th.spike_z {
                r.push("spike");
            }
            // (FD > fd_mm alone, a jump the head comes straight back from, does not flag a
            // volume: `(fd > fd_mm && d > displacement_mm) || d > displacement_mm` is `d >
            // displacement_mm`, which is what brainml has always computed)
            if let Some(d) = &displacement {
                if d[t] > th.displacement_mm {
                    r.push("motion");
                }
            }
            r
        })
        .collect();
    Ok(Qc { global_signal: gs, dvars, spike_z, fd, displacement, reasons, tr })
}

impl Qc {
    /// Indices of the flagged volumes.
    pub fn flagged(&self) -> Vec<usize> {
        (0..self.reasons.len()).filter(|&t| !self.reasons[t].is_empty()).collect()
    }
    /// Indices of the volumes to keep (nilearn's `sample_mask`).
    pub fn sample_mask(&self) -> Vec<usize> {
        (0..self.reasons.len()).filter(|&t| self.reasons[t].is_empty()).collect()
    }
    /// Per-volume table: volume, time, global signal, DVARS, spike z, FD, displacement, flag.
    pub fn table(&self) -> Result<DataFrame> {
        let n = self.reasons.len();
        let mut cols = vec![
            Column::new("volume".into(), (0..n as u32).collect::<Vec<_>>()),
            Column::new("time_s".into(), (0..n).map(|t| t as f64 * self.tr).collect::<Vec<_>>()),
            Column::new("global_signal".into(), &self.global_signal),
            Column::new("dvars_pct".into(), &self.dvars),
            Column::new("spike_z".into(), &self.spike_z),
        ];
        if let (Some(fd), Some(d)) = (&self.fd, &self.displacement) {
            cols.push(Column::new("fd_mm".into(), fd));
            cols.push(Column::new("displacement_mm".into(), d));
        }
        cols.push(Column::new("flag".into(), self.reasons.iter().map(|r| r.join("+")).collect::<Vec<_>>()));
        Ok(DataFrame::new(cols)?)
    }
    /// Only the flagged rows of [`Qc::table`].
    pub fn flagged_table(&self) -> Result<DataFrame> {
        let t = self.table()?;
        let keep: Vec<bool> = self.reasons.iter().map(|r| !r.is_empty()).collect();
        Ok(t.filter(&BooleanChunked::from_slice("keep".into(), &keep))?)
    }
}

/// Remove volumes from a run and from matching per-volume labels (censoring / scrubbing):
/// nilearn's `sample_mask`. Returns the kept image.
pub fn censor(img: &Img, qc: &Qc) -> Result<Img> {
    if qc.reasons.len() != img.n_volumes() {
        return Err(Error::shape(
            "QC for censoring",
            format!("{} volumes (the image's)", img.n_volumes()),
            qc.reasons.len(),
        ));
    }
    crate::fmri::preprocess::index_img(img, &qc.sample_mask())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmri::io::affine_ras;
    use ndarray::Array4;

    fn img(tr: f64, affine: [[f64; 4]; 4]) -> Img {
        let data = Array4::from_shape_fn((3, 3, 3, 8), |(i, _, _, t)| 100.0 + ((t * 7 + i) % 5) as f32);
        Img::new(data, affine, Some(tr)).unwrap().with_header_zooms([2.0; 3])
    }

    #[test]
    fn header_sanity_and_fd() {
        assert!(check_img(&img(2.0, affine_ras([2.0; 3], [0.0; 3])), None).unwrap().is_empty());
        let tr = check_img(&img(0.01, affine_ras([2.0; 3], [0.0; 3])), None).unwrap();
        assert!(tr.iter().any(|i| i.field == "pixdim[4]"));
        let mut a = affine_ras([2.0; 3], [0.0; 3]);
        a[1][1] = -2.0;
        a[2][2] = -2.0;
        let o = check_img(&img(2.0, a), None).unwrap();
        assert!(o.iter().any(|i| i.why.contains("RPI")), "{o:?}");
        let z = check_img(&img(2.0, affine_ras([3.0; 3], [0.0; 3])), None).unwrap();
        assert!(z.iter().any(|i| i.field == "affine" && i.why.contains("pixdim")));
        let fd = framewise_displacement(&[[0.0; 6], [0.1, 0.0, -0.2, 0.01, 0.0, 0.0]]);
        assert!((fd[1] - (0.3 + 0.5)).abs() < 1e-12 && fd[0] == 0.0);
    }

    #[test]
    fn a_planted_spike_is_flagged_alone() {
        let mut data = Array4::from_shape_fn((3, 3, 3, 40), |(i, j, _, t)| {
            100.0 + ((t * 7 + i * 3 + j) % 11) as f32 * 0.1
        });
        for v in data.index_axis_mut(ndarray::Axis(3), 17).iter_mut() {
            *v *= 1.1;
        }
        let im = Img::new(data, affine_ras([2.0; 3], [0.0; 3]), Some(2.0)).unwrap();
        let mask = Mask::from_array(ndarray::Array3::from_elem((3, 3, 3), true), &im).unwrap();
        let qc = compute_qc(&im, &mask, None, &QcThresholds::default()).unwrap();
        assert_eq!(qc.flagged(), vec![17]);
        assert_eq!(censor(&im, &qc).unwrap().n_volumes(), 39);
        assert_eq!(qc.flagged_table().unwrap().height(), 1);
    }
}
