//! Pictures as PNG: brain slices, heatmaps, similarity matrices.
//!
//! Pixels are encoded by the `png` crate and sent base64-encoded; a [`Heatmap`] wraps its PNG
//! in a little HTML (title, axis labels, colour bar with its limits) so the text is drawn by
//! the browser — no fonts are needed on the machine. Colour maps follow matplotlib's names
//! (`viridis`, `gray`, `RdBu_r`, `hot`), which nilearn and MNE use.

use base64::Engine as _;
use ndarray::{Array2, ArrayView2};
use plotters::style::colors::colormaps::{ColorMap, ViridisRGB};
use plotters::style::RGBColor;

use crate::display::{emit, html_escape, EvcxrDisplay};
use crate::error::{Error, Result};

/// A matplotlib colour map.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Colormap {
    /// perceptually uniform, for magnitudes (matplotlib's default)
    #[default]
    Viridis,
    /// grey levels, for anatomy
    Gray,
    /// diverging blue–white–red, for signed maps (t-maps, differences, correlations)
    RdBuR,
    /// black–red–yellow–white, for thresholded positive overlays
    Hot,
}

impl Colormap {
    /// The colour of `v` in `[0, 1]` (clamped; NaN maps to black).
    pub fn rgb(self, v: f64) -> [u8; 3] {
        if !v.is_finite() {
            return [0, 0, 0];
        }
        let v = v.clamp(0.0, 1.0);
        match self {
            Colormap::Viridis => {
                let RGBColor(r, g, b) = ViridisRGB.get_color(v as f32);
                [r, g, b]
            }
            Colormap::Gray => {
                let g = (v * 255.0).round() as u8;
                [g, g, g]
            }
            // anchor colours of matplotlib's RdBu_r (ColorBrewer RdBu, reversed)
            Colormap::RdBuR => interpolate(
                &[
                    [5, 48, 97],
                    [33, 102, 172],
                    [67, 147, 195],
                    [146, 197, 222],
                    [209, 229, 240],
                    [247, 247, 247],
                    [253, 219, 199],
                    [244, 165, 130],
                    [214, 96, 77],
                    [178, 24, 43],
                    [103, 0, 31],
                ],
                v,
            ),
            Colormap::Hot => interpolate(&[[10, 0, 0], [230, 0, 0], [255, 210, 0], [255, 255, 255]], v),
        }
    }
}

fn interpolate(anchors: &[[u8; 3]], v: f64) -> [u8; 3] {
    let n = anchors.len() - 1;
    let pos = v * n as f64;
    let i = (pos.floor() as usize).min(n - 1);
    let f = pos - i as f64;
    let mut o = [0u8; 3];
    for k in 0..3 {
        o[k] = (anchors[i][k] as f64 * (1.0 - f) + anchors[i + 1][k] as f64 * f).round() as u8;
    }
    o
}

/// An RGB picture, shown inline as `image/png`.
#[derive(Clone, Debug)]
pub struct Image {
    width: u32,
    height: u32,
    rgb: Vec<u8>,
}

impl Image {
    /// From raw RGB8 pixels, row-major, top row first.
    pub fn from_rgb(width: u32, height: u32, rgb: Vec<u8>) -> Result<Self> {
        let need = width as usize * height as usize * 3;
        if width == 0 || height == 0 || rgb.len() != need {
            return Err(Error::shape(
                "image pixels (RGB8)",
                format!("{width}×{height}×3 = {need} bytes, non-empty"),
                rgb.len(),
            ));
        }
        Ok(Image { width, height, rgb })
    }

    /// Colour a 2-D array (row 0 at the top) with `cmap` between `vmin` and `vmax`
    /// (matplotlib `imshow(data, cmap, vmin, vmax)`). NaN shows black.
    pub fn from_array(data: ArrayView2<f64>, cmap: Colormap, vmin: f64, vmax: f64) -> Result<Self> {
        let (h, w) = data.dim();
        if h == 0 || w == 0 {
            return Err(Error::shape("image data", "a non-empty 2-D array", format!("{h}×{w}")));
        }
        if !(vmin.is_finite() && vmax.is_finite()) {
            return Err(Error::data(format!(
                "image colour limits must be finite, got vmin={vmin}, vmax={vmax}"
            )));
        }
        let span = if vmax > vmin { vmax - vmin } else { 1.0 };
        let mut rgb = Vec::with_capacity(h * w * 3);
        for v in data.iter() {
            rgb.extend_from_slice(&cmap.rgb((v - vmin) / span));
        }
        Image::from_rgb(w as u32, h as u32, rgb)
    }

    /// Width in pixels.
    pub fn width(&self) -> u32 {
        self.width
    }
    /// Height in pixels.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Enlarge by an integer factor, each pixel becoming a block (nearest neighbour), so a
    /// 40 × 20 slice is not a smudge on screen.
    pub fn upscale(&self, factor: u32) -> Image {
        let f = factor.clamp(1, 64) as usize;
        let (w, h) = (self.width as usize, self.height as usize);
        let mut rgb = Vec::with_capacity(w * h * f * f * 3);
        for y in 0..h * f {
            for x in 0..w * f {
                let i = ((y / f) * w + x / f) * 3;
                rgb.extend_from_slice(&self.rgb[i..i + 3]);
            }
        }
        Image { width: (w * f) as u32, height: (h * f) as u32, rgb }
    }

    /// Upscale so the shorter side is at least `min_side` pixels (at most 64×).
    pub fn fit(&self, min_side: u32) -> Image {
        let side = self.width.min(self.height).max(1);
        self.upscale(min_side.div_ceil(side).max(1))
    }

    /// Encode as PNG bytes.
    pub fn to_png(&self) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut out, self.width, self.height);
            enc.set_color(png::ColorType::Rgb);
            enc.set_depth(png::BitDepth::Eight);
            let mut w = enc.write_header().map_err(|e| Error::data(format!("PNG encoding: {e}")))?;
            w.write_image_data(&self.rgb).map_err(|e| Error::data(format!("PNG encoding: {e}")))?;
        }
        Ok(out)
    }

    /// PNG as base64 (what notebooks store).
    pub fn to_base64(&self) -> Result<String> {
        Ok(base64::engine::general_purpose::STANDARD.encode(self.to_png()?))
    }

    /// Write a `.png` file.
    pub fn save(&self, path: impl AsRef<std::path::Path>) -> Result<()> {
        let path = path.as_ref();
        std::fs::write(path, self.to_png()?).map_err(|e| Error::io(path, e))
    }

    /// Send to the notebook as `image/png`.
    pub fn evcxr_display(&self) {
        match self.to_base64() {
            Ok(b) => emit("image/png", &b),
            Err(e) => println!("cannot show image: {e}"),
        }
    }
}

impl EvcxrDisplay for Image {
    fn evcxr_display(&self) {
        Image::evcxr_display(self)
    }
}

/// A picture with a title, axis labels and a colour bar from `vmin` to `vmax`, as HTML with
/// embedded PNGs (what [`Heatmap`], topomaps and brain slices show).
pub fn with_colorbar_html(
    img: &Image,
    cmap: Colormap,
    vmin: f64,
    vmax: f64,
    title: &str,
    xlabel: &str,
    ylabel: &str,
) -> Result<String> {
    let bar: Array2<f64> = Array2::from_shape_fn((128, 1), |(i, _)| 1.0 - i as f64 / 127.0);
    let bar = Image::from_array(bar.view(), cmap, 0.0, 1.0)?;
    let fmt = |v: f64| {
        if v.abs() >= 1e4 || (v != 0.0 && v.abs() < 1e-2) {
            format!("{v:.2e}")
        } else {
            format!("{v:.3}")
        }
    };
    Ok(format!(
        "<div style=\"font-family:sans-serif;display:inline-block\">\
<div style=\"text-align:center;font-weight:bold\">{title}</div>\
<div style=\"display:flex;align-items:center;gap:6px\">\
<div style=\"writing-mode:vertical-rl;transform:rotate(180deg)\">{ylabel}</div>\
<img style=\"image-rendering:pixelated\" src=\"data:image/png;base64,{png}\"/>\
<div style=\"display:flex;flex-direction:column;justify-content:space-between;height:{h}px;font-size:11px\"><span>{vmax}</span><span>{vmin}</span></div>\
<img style=\"width:12px;height:{h}px\" src=\"data:image/png;base64,{bar}\"/>\
</div><div style=\"text-align:center\">{xlabel}</div></div>",
        title = html_escape(title),
        ylabel = html_escape(ylabel),
        xlabel = html_escape(xlabel),
        png = img.to_base64()?,
        bar = bar.to_base64()?,
        h = img.height(),
        vmax = fmt(vmax),
        vmin = fmt(vmin),
    ))
}

/// A matrix shown as a coloured picture with title, axis labels and a colour bar
/// (matplotlib `imshow` + `colorbar`; MNE's temporal-generalisation plot, nilearn's
/// `plot_design_matrix`, similarity matrices). Owned, so a cell can keep it.
#[derive(Clone, Debug)]
pub struct Heatmap {
    data: Array2<f64>,
    title: String,
    xlabel: String,
    ylabel: String,
    cmap: Colormap,
    limits: Option<(f64, f64)>,
    symmetric: bool,
    min_side: u32,
    extent: Option<[f64; 4]>,
    labels: Option<Vec<String>>,
}

impl Heatmap {
    /// A heatmap of `data` (rows top to bottom).
    pub fn new(data: Array2<f64>) -> Self {
        Heatmap {
            data,
            title: String::new(),
            xlabel: String::new(),
            ylabel: String::new(),
            cmap: Colormap::Viridis,
            limits: None,
            symmetric: false,
            min_side: 240,
            extent: None,
            labels: None,
        }
    }
    super::builder::text_setters! {
        /// Title above the picture.
        title,
        /// Label under the picture.
        xlabel,
        /// Label beside the picture.
        ylabel,
    }
    /// Colour map (default viridis).
    pub fn cmap(mut self, c: Colormap) -> Self {
        self.cmap = c;
        self
    }
    /// Colour limits (default: data min and max).
    pub fn limits(mut self, vmin: f64, vmax: f64) -> Self {
        self.limits = Some((vmin, vmax));
        self
    }
    /// Limits symmetric around zero (for signed maps; matplotlib `vmin=-vmax`).
    pub fn symmetric(mut self) -> Self {
        self.symmetric = true;
        self
    }
    /// Shorter side of the picture on screen, in pixels (default 240).
    pub fn min_side(mut self, px: u32) -> Self {
        self.min_side = px.clamp(16, 2000);
        self
    }

    /// The colour limits that will be used.
    pub fn color_limits(&self) -> Result<(f64, f64)> {
        if let Some(l) = self.limits {
            return Ok(l);
        }
        let fin = self.data.iter().copied().filter(|v| v.is_finite());
        let (lo, hi) = fin.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
        if !lo.is_finite() {
            return Err(Error::data(format!("heatmap {:?}: no finite value to colour", self.title)));
        }
        if self.symmetric {
            let m = lo.abs().max(hi.abs());
            return Ok((-m, m));
        }
        Ok((lo, hi))
    }

    /// Data coordinates of the picture's edges `[x_left, x_right, y_bottom, y_top]`
    /// (matplotlib `imshow(extent=...)`), printed at the ends of the axes.
    pub fn extent(mut self, x0: f64, x1: f64, y0: f64, y1: f64) -> Self {
        self.extent = Some([x0, x1, y0, y1]);
        self
    }

    /// Name the rows of a square matrix (a similarity matrix): row `i` is labelled `i: text`
    /// at its left and column `i` by its number (seaborn `heatmap(xticklabels=..., yticklabels=...)`).
    pub fn labels(mut self, labels: Vec<String>) -> Self {
        self.labels = Some(labels);
        self
    }

    /// Render to HTML (title, PNG, colour bar, labels).
    pub fn to_html(&self) -> Result<String> {
        let (vmin, vmax) = self.color_limits()?;
        let img = Image::from_array(self.data.view(), self.cmap, vmin, vmax)?.fit(self.min_side);
        if let Some(labels) = &self.labels {
            return self.labelled_html(&img, labels, vmin, vmax);
        }
        let fmt = |v: f64| format!("{v:.3}").trim_end_matches('0').trim_end_matches('.').to_string();
        let (xlabel, ylabel) = match self.extent {
            Some([x0, x1, y0, y1]) => (
                format!("{} … {}  {}", fmt(x0), fmt(x1), self.xlabel),
                format!("{} … {}  {}", fmt(y0), fmt(y1), self.ylabel),
            ),
            None => (self.xlabel.clone(), self.ylabel.clone()),
        };
        with_colorbar_html(&img, self.cmap, vmin, vmax, &self.title, &xlabel, &ylabel)
    }

    fn labelled_html(&self, img: &Image, labels: &[String], vmin: f64, vmax: f64) -> Result<String> {
        let (nr, nc) = self.data.dim();
        if labels.len() != nr {
            return Err(Error::shape(
                format!("heatmap {:?}: labels (one per row)", self.title),
                nr,
                labels.len(),
            ));
        }
        let (w, h) = (img.width(), img.height());
        let rows: String = labels
            .iter()
            .enumerate()
            .map(|(i, l)| format!("<div style=\"flex:1;display:flex;align-items:center;justify-content:flex-end;white-space:nowrap;overflow:hidden;text-overflow:ellipsis\" title=\"{t}\">{i}: {t}</div>", t = html_escape(l)))
            .collect();
        let cols: String =
            (0..nc).map(|j| format!("<div style=\"flex:1;text-align:center\">{j}</div>")).collect();
        let bar: Array2<f64> = Array2::from_shape_fn((128, 1), |(i, _)| 1.0 - i as f64 / 127.0);
        let bar = Image::from_array(bar.view(), self.cmap, 0.0, 1.0)?;
        let fmt = |v: f64| format!("{v:.3}");
        Ok(format!(
            "<div style=\"font-family:sans-serif;display:inline-block;font-size:11px\">\
<div style=\"text-align:center;font-weight:bold;font-size:13px\">{title}</div>\
<div style=\"display:flex;gap:6px\">\
<div style=\"display:flex;flex-direction:column;width:280px;height:{h}px\">{rows}</div>\
<img style=\"image-rendering:pixelated;width:{w}px;height:{h}px\" src=\"data:image/png;base64,{png}\"/>\
<div style=\"display:flex;flex-direction:column;justify-content:space-between;height:{h}px\"><span>{vmax}</span><span>{vmin}</span></div>\
<img style=\"width:12px;height:{h}px\" src=\"data:image/png;base64,{bar}\"/>\
</div><div style=\"display:flex;margin-left:286px;width:{w}px\">{cols}</div>\
<div style=\"margin-left:286px;width:{w}px;text-align:center\">{xlabel}</div></div>",
            title = html_escape(&self.title),
            xlabel = html_escape(&self.xlabel),
            png = img.to_base64()?,
            bar = bar.to_base64()?,
            vmax = fmt(vmax),
            vmin = fmt(vmin),
        ))
    }

    /// Send to the notebook as `text/html` with embedded PNGs.
    pub fn evcxr_display(&self) {
        match self.to_html() {
            Ok(h) => emit("text/html", &h),
            Err(e) => println!("cannot show heatmap: {e}"),
        }
    }
}

impl EvcxrDisplay for Heatmap {
    fn evcxr_display(&self) {
        Heatmap::evcxr_display(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_round_trip_is_a_valid_png_of_the_right_size() {
        let a = Array2::from_shape_fn((20, 40), |(i, j)| (i * j) as f64);
        let img = Image::from_array(a.view(), Colormap::Viridis, 0.0, 800.0).unwrap().fit(200);
        assert_eq!((img.width(), img.height()), (400, 200));
        let bytes = img.to_png().unwrap();
        let dec = png::Decoder::new(std::io::Cursor::new(bytes));
        let reader = dec.read_info().unwrap();
        assert_eq!(reader.info().width, 400);
        assert_eq!(reader.info().height, 200);
    }

    #[test]
    fn colormaps_hit_their_ends() {
        assert_eq!(Colormap::Gray.rgb(0.0), [0, 0, 0]);
        assert_eq!(Colormap::Gray.rgb(1.0), [255, 255, 255]);
        assert_eq!(Colormap::RdBuR.rgb(0.5), [247, 247, 247]);
        assert_eq!(Colormap::RdBuR.rgb(1.0), [103, 0, 31]);
        assert_eq!(Colormap::Viridis.rgb(f64::NAN), [0, 0, 0]);
    }

    #[test]
    fn heatmap_html_and_bad_input() {
        let a = Array2::from_shape_fn((3, 3), |(i, j)| i as f64 - j as f64);
        let h = Heatmap::new(a).title("diff").symmetric().to_html().unwrap();
        assert!(h.contains("data:image/png;base64,") && h.contains("diff") && h.contains("-2.000"));
        assert!(Heatmap::new(Array2::from_elem((2, 2), f64::NAN)).to_html().is_err());
        assert!(Image::from_rgb(2, 2, vec![0; 5]).is_err());
        assert!(Image::from_array(Array2::<f64>::zeros((0, 3)).view(), Colormap::Gray, 0.0, 1.0).is_err());
    }
}
