//! Every fMRI picture: statistical maps over a background as axial mosaics or orthogonal
//! views (nilearn `plot_stat_map(..., display_mode="z" | "ortho", threshold=...)`), voxel time
//! series with events shaded, the design matrix ([`DesignMatrix::plot`], nilearn
//! `plot_design_matrix`) and the quality-control traces ([`Qc::plot`]). The fMRI types know
//! nothing of plotting; their `plot` methods live here.

use crate::display::emit;
use crate::error::{Error, Result};
use crate::fmri::events::Events;
use crate::fmri::glm::DesignMatrix;
use crate::fmri::io::Img;
use crate::fmri::qc::Qc;
use crate::plot::{with_colorbar_html, Colormap, Figure, Heatmap, Image, LinePlot};

/// How to cut the volume.
#[derive(Clone, Debug)]
pub enum Cuts {
    /// `n` axial slices spread over the slices that hold data (nilearn `display_mode="z"`)
    Axial(usize),
    /// sagittal, coronal and axial slices through voxel `[i, j, k]` (nilearn `"ortho"`)
    Ortho([usize; 3]),
}

/// A thresholded statistical map over a grey background, shown as PNG with a colour bar.
/// Build with [`plot_stat_map`], refine with the builder methods, end a cell with it.
#[derive(Clone, Debug)]
pub struct StatMap {
    stat: Img,
    bg: Option<Img>,
    threshold: f64,
    vmax: Option<f64>,
    title: String,
    cuts: Cuts,
    cmap: Colormap,
    positive: bool,
    px: u32,
}

/// nilearn `plot_stat_map(stat_map_img, bg_img=None, threshold=..., display_mode="z", cut_coords=7)`.
/// Differs: nearest-neighbour pixels (no interpolation), the background must be on the
/// stat map's grid (no resampling), and the picture is one PNG.
pub fn plot_stat_map(stat: &Img) -> StatMap {
    StatMap {
        stat: stat.clone(),
        bg: None,
        threshold: 0.0,
        vmax: None,
        title: String::new(),
        cuts: Cuts::Axial(7),
        cmap: Colormap::RdBuR,
        positive: false,
        px: 8,
    }
}

fn vol3(img: &Img) -> Result<ndarray::Array3<f64>> {
    Ok(img
        .single_volume("image to plot", "a 3-D image (take one volume or a statistic first)")?
        .mapv(|v| v as f64))
}

impl StatMap {
    /// Background (anatomy or mean EPI) on the same grid.
    pub fn bg(mut self, bg: &Img) -> Self {
        self.bg = Some(bg.clone());
        self
    }
    /// Hide |values| below this (nilearn `threshold`).
    pub fn threshold(mut self, t: f64) -> Self {
        self.threshold = t;
        self
    }
    /// Colour limit (default: the largest |value|).
    pub fn vmax(mut self, v: f64) -> Self {
        self.vmax = Some(v);
        self
    }
    /// Title.
    pub fn title(mut self, s: impl Into<String>) -> Self {
        self.title = s.into();
        self
    }
    /// Axial mosaic of `n` slices.
    pub fn axial(mut self, n: usize) -> Self {
        self.cuts = Cuts::Axial(n.max(1));
        self
    }
    /// Orthogonal views through voxel `[i, j, k]`.
    pub fn ortho(mut self, at: [usize; 3]) -> Self {
        self.cuts = Cuts::Ortho(at);
        self
    }
    /// Only positive values, with the `hot` map (accuracy maps); limits threshold … vmax.
    pub fn positive(mut self) -> Self {
        self.positive = true;
        self.cmap = Colormap::Hot;
        self
    }
    /// Pixels per voxel (default 8).
    pub fn pixels_per_voxel(mut self, px: u32) -> Self {
        self.px = px.clamp(1, 32);
        self
    }

    /// The picture (without colour bar) and its colour limits.
    pub fn render(&self) -> Result<(Image, f64, f64)> {
        let st = vol3(&self.stat)?;
        let sh = st.shape().to_vec();
        let bg = match &self.bg {
            Some(b) => {
                let v = vol3(b)?;
                if v.shape() != st.shape() {
                    return Err(Error::shape(
                        "background vs stat map",
                        format!("grid {sh:?}"),
                        format!("{:?}", v.shape()),
                    ));
                }
                v
            }
            None => st.mapv(|v| if v != 0.0 { 0.3 } else { 0.0 }),
        };
        if st.iter().any(|v| v.is_nan()) {
            return Err(Error::data("stat map contains NaN"));
        }
        let vmax = self.vmax.unwrap_or_else(|| st.iter().fold(0.0f64, |m, v| m.max(v.abs()))).max(1e-12);
        let vmin = if self.positive { self.threshold } else { -vmax };
        let bmax = bg.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12);
        // x increases to the right when the affine's x axis points right (neurological view)
        let affine = self.stat.affine();
        let (flip_x, flip_y, flip_z) = (affine[0][0] < 0.0, affine[1][1] < 0.0, affine[2][2] < 0.0);
        let pix = |i: usize, j: usize, k: usize| -> [u8; 3] {
            let v = st[[i, j, k]];
            let show = if self.positive {
                v > self.threshold && v > 0.0
            } else {
                v.abs() > self.threshold && v != 0.0
            };
            if show {
                self.cmap.rgb((v - vmin) / (vmax - vmin).max(1e-12))
            } else {
                Colormap::Gray.rgb(bg[[i, j, k]] / bmax)
            }
        };
        // each panel: (width, height, pixel function over (col, row))
        let mut panels: Vec<(usize, usize, Vec<[u8; 3]>)> = Vec::new();
        let mut panel = |w: usize, h: usize, f: &dyn Fn(usize, usize) -> [u8; 3]| {
            let mut v = Vec::with_capacity(w * h);
            for r in 0..h {
                for c in 0..w {
                    v.push(f(c, r));
                }
            }
            panels.push((w, h, v));
        };
        let xi = |c: usize| if flip_x { sh[0] - 1 - c } else { c };
        let yj = |r: usize| if flip_y { r } else { sh[1] - 1 - r }; // anterior at the top
        let zk = |r: usize| if flip_z { r } else { sh[2] - 1 - r }; // superior at the top
        match self.cuts {
            Cuts::Axial(n) => {
                let with_data: Vec<usize> = (0..sh[2])
                    .filter(|&k| {
                        (0..sh[0]).any(|i| (0..sh[1]).any(|j| bg[[i, j, k]] != 0.0 || st[[i, j, k]] != 0.0))
                    })
                    .collect();
                let ks: Vec<usize> = if with_data.len() <= n {
                    with_data
                } else {
                    (0..n).map(|q| with_data[(q * (with_data.len() - 1)) / (n - 1).max(1)]).collect()
                };
                // bottom → top in world space
                let ks: Vec<usize> = if flip_z { ks.into_iter().rev().collect() } else { ks };
                for k in ks {
                    panel(sh[0], sh[1], &|c, r| pix(xi(c), yj(r), k));
                }
            }
            Cuts::Ortho([i0, j0, k0]) => {
                if i0 >= sh[0] || j0 >= sh[1] || k0 >= sh[2] {
                    return Err(Error::data(format!(
                        "ortho cut at voxel {:?} is outside the grid {sh:?}",
                        [i0, j0, k0]
                    )));
                }
                panel(sh[1], sh[2], &|c, r| pix(i0, if flip_y { sh[1] - 1 - c } else { c }, zk(r)));
                panel(sh[0], sh[2], &|c, r| pix(xi(c), j0, zk(r)));
                panel(sh[0], sh[1], &|c, r| pix(xi(c), yj(r), k0));
            }
        }
        if panels.is_empty() {
            return Err(Error::data("nothing to plot: the image is all zero"));
        }
        // panels side by side, wrapping after ~ 8 panels, 1-voxel gaps
        let per_row = panels.len().min(8);
        let rows = panels.len().div_ceil(per_row);
        let pw = panels.iter().map(|p| p.0).max().unwrap_or(1);
        let ph = panels.iter().map(|p| p.1).max().unwrap_or(1);
        let (w, h) = (per_row * (pw + 1) - 1, rows * (ph + 1) - 1);
        let mut rgb = vec![255u8; w * h * 3];
        for (q, (pw_, ph_, px)) in panels.iter().enumerate() {
            let (ox, oy) = ((q % per_row) * (pw + 1), (q / per_row) * (ph + 1) + (ph - ph_));
            for r in 0..*ph_ {
                for c in 0..*pw_ {
                    let o = ((oy + r) * w + ox + c) * 3;
                    rgb[o..o + 3].copy_from_slice(&px[r * pw_ + c]);
                }
            }
        }
        Ok((Image::from_rgb(w as u32, h as u32, rgb)?.upscale(self.px), vmin, vmax))
    }

    /// HTML: title, the picture and a colour bar.
    pub fn to_html(&self) -> Result<String> {
        let (img, lo, hi) = self.render()?;
        let what = match self.cuts {
            Cuts::Axial(_) => "axial slices, bottom → top; left hemisphere on the left",
            Cuts::Ortho(_) => "sagittal | coronal | axial",
        };
        let thr = if self.threshold > 0.0 {
            format!(" (|value| > {} shown)", self.threshold)
        } else {
            String::new()
        };
        with_colorbar_html(&img, self.cmap, lo, hi, &self.title, &format!("{what}{thr}"), "")
    }

    /// Show in the notebook.
    pub fn evcxr_display(&self) {
        match self.to_html() {
            Ok(h) => emit("text/html", &h),
            Err(e) => println!("cannot show stat map: {e}"),
        }
    }
}

impl crate::display::EvcxrDisplay for StatMap {
    fn evcxr_display(&self) {
        StatMap::evcxr_display(self)
    }
}

/// Time series (one per label) against time in seconds, with the events of one condition
/// shaded (nilearn users draw this with matplotlib `axvspan`).
pub fn plot_timeseries(
    title: &str,
    tr: f64,
    series: &[(&str, &[f64])],
    events: Option<(&Events, &str)>,
) -> Result<Figure> {
    if series.is_empty() {
        return Err(Error::data("plot_timeseries: no series"));
    }
    let mut p = LinePlot::new(title).xlabel("time (s)").ylabel("signal").size(820, 280);
    for (name, y) in series {
        let t: Vec<f64> = (0..y.len()).map(|i| i as f64 * tr).collect();
        p = p.line(*name, &t, y);
    }
    if let Some((ev, cond)) = events {
        for i in 0..ev.onset.len() {
            if ev.trial_type[i] == cond {
                p = p.span(ev.onset[i], ev.onset[i] + ev.duration[i].max(tr / 2.0));
            }
        }
    }
    p.render()
}

impl DesignMatrix {
    /// The design matrix as a picture (nilearn `plot_design_matrix`): frames top to bottom,
    /// each column scaled to its maximum absolute value.
    pub fn plot(&self) -> Heatmap {
        let n = self.n_scans();
        let p = self.columns.len();
        let scale: Vec<f64> =
            self.columns.iter().map(|c| c.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(1e-12)).collect();
        let data = ndarray::Array2::from_shape_fn((n, p), |(t, k)| {
            self.columns[k].get(t).map_or(0.0, |v| v / scale[k])
        });
        Heatmap::new(data)
            .cmap(Colormap::Gray)
            .limits(-1.0, 1.0)
            .title("design matrix")
            .xlabel(self.names.join(" | "))
            .ylabel("scan")
            .min_side(300)
    }
}

impl Qc {
    /// DVARS, spike z and FD over time, flagged volumes shaded (fMRIPrep's carpet-plot header).
    pub fn plot(&self, title: &str) -> Result<Figure> {
        let t: Vec<f64> = (0..self.dvars.len()).map(|v| v as f64).collect();
        let mut p =
            LinePlot::new(title).xlabel("volume").ylabel("DVARS (%), |spike z| / 10, FD (mm)").size(820, 300);
        p = p.line("DVARS (%)", &t, &self.dvars);
        p = p.line("|spike z| / 10", &t, &self.spike_z.iter().map(|z| z.abs() / 10.0).collect::<Vec<_>>());
        if let Some(fd) = &self.fd {
            p = p.line("FD (mm)", &t, fd);
        }
        for v in self.flagged() {
            p = p.span(v as f64 - 0.5, v as f64 + 0.5);
        }
        p.render()
    }
}
