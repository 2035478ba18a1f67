//! The EEG session's figures: raw traces, ERPs by condition with confidence bands,
//! butterfly plots, scalp topographies and decoding curves, and the summary tables a
//! [`Raw`] or [`Epochs`] shows in a notebook. Line plots are SVG ([`Figure`]); topomaps are
//! PNG pictures in HTML with a colour bar.
//!
//! The domain types get their drawing methods here (`raw.plot(..)`, `evoked.plot(..)`,
//! `evoked.plot_topomap(..)`, as MNE's `raw.plot`, `evoked.plot`, `evoked.plot_topomap`), so
//! that `crate::eeg` never imports the plotting layer.

use linfa_linalg::qr::QR;
use ndarray::{Array1, Array2};
use plotters::prelude::*;

use super::{with_colorbar_html, Colormap, Figure, Image, LinePlot};
use crate::display::Html;
use crate::eeg::{ChannelType, Epochs, Evoked, Raw};
use crate::error::{Error, Result};

/// Stacked traces of `n_channels` channels from `start` for `duration` seconds, each drawn
/// `scale_uv` µV per unit of spacing (MNE `raw.plot(start, duration, n_channels,
/// scalings=dict(eeg=...))`, as a static picture). Bad channels are grey, `BAD…`
/// annotations shaded red, stim events marked by vertical lines with their codes.
pub fn plot_raw(raw: &Raw, start: f64, duration: f64, n_channels: usize, scale_uv: f64) -> Result<Figure> {
    if !(duration > 0.0 && start >= 0.0 && start < raw.duration()) {
        return Err(Error::data(format!(
            "plot_raw: window {start}+{duration} s is outside the recording (0–{:.1} s)",
            raw.duration()
        )));
    }
    if !(scale_uv > 0.0) {
        return Err(Error::data("plot_raw: scale_uv must be positive"));
    }
    let sf = raw.sfreq();
    let (a, b) = ((start * sf) as usize, (((start + duration) * sf) as usize).min(raw.n_times()));
    let chans: Vec<usize> = (0..raw.ch_names().len())
        .filter(|&c| raw.ch_types()[c] != ChannelType::Stim)
        .take(n_channels.max(1))
        .collect();
    let n = chans.len();
    let names: Vec<String> = chans.iter().map(|&c| raw.ch_names()[c].clone()).collect();
    // draw at most ~800 points per trace (keeps the SVG small)
    let step = ((b - a) / 800).max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, (120 + 22 * n) as u32)).into_drawing_area();
        root.fill(&WHITE)?;
        let t1 = b as f64 / sf;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!("{} channels, {start:.1}–{t1:.1} s ({scale_uv} µV per row)", n),
                ("sans-serif", 16),
            )
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(50)
            .build_cartesian_2d(start..t1, -(n as f64) + 0.5..0.5)?;
        let labels = names.clone();
        let fmt = move |y: &f64| {
            let k = (-y).round();
            if (y + k).abs() < 0.01 && k >= 0.0 && (k as usize) < labels.len() {
                labels[k as usize].clone()
            } else {
                String::new()
            }
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(RGBColor(240, 240, 240))
            .y_labels(4 * n + 1)
            .y_label_formatter(&fmt)
            .x_desc("time (s)")
            .label_style(("sans-serif", 11))
            .draw()?;
        for an in raw.annotations() {
            if an.description.to_uppercase().starts_with("BAD")
                && an.onset + an.duration >= start
                && an.onset <= t1
            {
                let (x0, x1) = (an.onset.max(start), (an.onset + an.duration.max(1.0 / sf)).min(t1));
                chart.draw_series(std::iter::once(Rectangle::new(
                    [(x0, -(n as f64) + 0.5), (x1, 0.5)],
                    RED.mix(0.15).filled(),
                )))?;
            }
        }
        if let Some(stim) = (0..raw.ch_names().len()).find(|&c| raw.ch_types()[c] == ChannelType::Stim) {
            let row = raw.data().row(stim);
            for i in a.max(1)..b {
                if row[i] > 0.0 && row[i] > row[i - 1] {
                    let x = i as f64 / sf;
                    chart.draw_series(LineSeries::new(
                        [(x, -(n as f64) + 0.5), (x, 0.5)],
                        RGBColor(0, 130, 0).stroke_width(1),
                    ))?;
                    chart.draw_series(std::iter::once(Text::new(
                        format!("{}", row[i]),
                        (x, 0.45),
                        ("sans-serif", 10).into_font().color(&RGBColor(0, 110, 0)),
                    )))?;
                }
            }
        }
        for (k, &c) in chans.iter().enumerate() {
            let row = raw.data().row(c);
            let seg: Vec<f64> = (a..b).map(|i| row[i] as f64).collect();
            let mean = seg.iter().sum::<f64>() / seg.len().max(1) as f64;
            let color = if raw.bads().contains(&raw.ch_names()[c]) {
                RGBColor(170, 170, 170)
            } else {
                RGBColor(20, 20, 80)
            };
            let pts: Vec<(f64, f64)> = (a..b)
                .step_by(step)
                .map(|i| (i as f64 / sf, -(k as f64) + (row[i] as f64 - mean) * 1e6 / scale_uv))
                .collect();
            chart.draw_series(LineSeries::new(pts, color.stroke_width(1)))?;
        }
        root.present()?;
    }
    Ok(Figure::from_svg(svg))
}

impl Raw {
    /// Stacked traces (MNE `raw.plot(start, duration)`): the first 20 channels, 50 µV per row.
    pub fn plot(&self, start: f64, duration: f64) -> Result<Figure> {
        plot_raw(self, start, duration, 20, 50.0)
    }
}

/// ERPs of several conditions at one channel, each with its 95 % confidence band across
/// trials (mean ± 1.96 SEM), in µV: MNE `plot_compare_evokeds({name: epochs[...]}, picks=ch)`
/// (MNE bootstraps the band; here it is the normal approximation).
pub fn plot_compare_evokeds(conditions: &[(&str, &Epochs)], ch: &str) -> Result<Figure> {
    if conditions.is_empty() {
        return Err(Error::data("plot_compare_evokeds: give at least one condition"));
    }
    let mut p = LinePlot::new(format!("{ch}: mean ± 95 % CI"))
        .xlabel("time (s)")
        .ylabel("µV")
        .size(640, 340)
        .hline(0.0)
        .vline(0.0);
    for (name, ep) in conditions {
        let c = ep
            .ch_names()
            .iter()
            .position(|n| n == ch)
            .ok_or_else(|| Error::data(format!("plot_compare_evokeds: no channel {ch:?}")))?;
        let mean = ep.average()?.data().row(c).mapv(|v| v * 1e6).to_vec();
        let sem = ep.standard_error()?.data().row(c).mapv(|v| v * 1e6).to_vec();
        let lo: Vec<f64> = mean.iter().zip(&sem).map(|(m, s)| m - 1.96 * s).collect();
        let hi: Vec<f64> = mean.iter().zip(&sem).map(|(m, s)| m + 1.96 * s).collect();
        p = p.line_band(format!("{name} (n={})", ep.len()), ep.times(), &mean, &lo, &hi);
    }
    p.render()
}

impl Evoked {
    /// Butterfly plot: every good EEG channel over time, µV (MNE `evoked.plot()`); the
    /// channel `highlight`, if given, drawn on top in colour.
    pub fn plot(&self, highlight: Option<&str>) -> Result<Figure> {
        let mut p = LinePlot::new(format!("{} — {} channels", self.comment(), self.good_eeg().len()))
            .xlabel("time (s)")
            .ylabel("µV")
            .size(640, 340)
            .hline(0.0)
            .vline(0.0);
        let mut svg_lines = Vec::new();
        for c in self.good_eeg() {
            svg_lines.push((self.ch_names()[c].clone(), self.data().row(c).mapv(|v| v * 1e6).to_vec()));
        }
        for (_, y) in &svg_lines {
            p = p.thin_grey(self.times(), y);
        }
        if let Some(h) = highlight {
            let y = self.channel(h)?.iter().map(|v| v * 1e6).collect::<Vec<_>>();
            p = p.line(h, self.times(), &y);
        }
        p.render()
    }

    /// Scalp maps at the given times (MNE `evoked.plot_topomap(times)`), with one colour
    /// scale (µV, symmetric around zero) for all. Positions come from the standard 10-10
    /// montage (or the one set with [`Raw::set_montage`]), projected like MNE's (azimuthal
    /// equidistant, nose up); values are
    /// interpolated with the biharmonic spline of Sandwell (1987) — EEGLAB `topoplot`'s
    /// "v4" method — out to the head outline. Bad channels are left out.
    pub fn plot_topomap(&self, times: &[f64]) -> Result<Html> {
        if times.is_empty() {
            return Err(Error::data("plot_topomap: give at least one time"));
        }
        let good = self.good_eeg();
        let names: Vec<&str> = good.iter().map(|&c| self.ch_names()[c].as_str()).collect();
        let xy: Vec<[f64; 2]> = self.info().positions(&names)?.into_iter().map(project).collect();
        let ev_times = self.times();
        let mut maps = Vec::new();
        let mut vmax = 0.0f64;
        for &t in times {
            let i = ev_times
                .iter()
                .enumerate()
                .min_by(|a, b| (a.1 - t).abs().total_cmp(&(b.1 - t).abs()))
                .map(|(i, _)| i)
                .ok_or_else(|| Error::data("no times"))?;
            if (ev_times[i] - t).abs()
                > 1.0 / 128.0 + (ev_times.get(1).copied().unwrap_or(0.0) - ev_times[0]).abs()
            {
                return Err(Error::data(format!(
                    "plot_topomap: {t} s is outside the evoked response ({:.3}…{:.3} s)",
                    ev_times[0],
                    ev_times[ev_times.len() - 1]
                )));
            }
            let v: Vec<f64> = good.iter().map(|&c| self.data()[[c, i]] * 1e6).collect();
            vmax = v.iter().fold(vmax, |m, x| m.max(x.abs()));
            maps.push((ev_times[i], v));
        }
        let vmax = if vmax > 0.0 { vmax } else { 1.0 };
        let mut cells = String::new();
        for (k, (t, v)) in maps.iter().enumerate() {
            let img = topomap_image(&xy, v, vmax, 160)?;
            let title = format!("{:.0} ms", t * 1e3);
            if k + 1 == maps.len() {
                cells += &with_colorbar_html(&img, Colormap::RdBuR, -vmax, vmax, &title, "µV", "")?;
            } else {
                cells += &format!("<div style=\"font-family:sans-serif;display:inline-block;text-align:center;margin-right:8px\"><div style=\"font-weight:bold\">{title}</div><img src=\"data:image/png;base64,{}\"/></div>", img.to_base64()?);
            }
        }
        Ok(Html(format!("<div><div style=\"font-family:sans-serif\">{}</div><div style=\"display:flex;align-items:flex-end\">{cells}</div></div>", crate::display::html_escape(self.comment()))))
    }
}

/// MNE's 2-D sensor layout for a spherical montage: azimuthal equidistant projection from
/// the vertex, nose up, scaled so the equator (the head outline) is at radius 1.
fn project(p: [f64; 3]) -> [f64; 2] {
    let r = (p[0] * p[0] + p[1] * p[1] + p[2] * p[2]).sqrt().max(1e-12);
    let polar = (p[2] / r).clamp(-1.0, 1.0).acos();
    let az = p[1].atan2(p[0]);
    let rr = polar / std::f64::consts::FRAC_PI_2;
    [rr * az.cos(), rr * az.sin()]
}

/// Biharmonic spline interpolation (Sandwell 1987): weights solving `G w = v` with
/// `G_ij = g(|x_i − x_j|)`, `g(r) = r² (ln r − 1)` — solved by linfa-linalg's Householder QR
/// (`G` is symmetric but indefinite, so not by Cholesky). Two electrodes at one position make
/// `G` singular: refused before solving.
fn biharmonic(xy: &[[f64; 2]], v: &[f64]) -> Result<Vec<f64>> {
    let n = xy.len();
    let dist = |a: [f64; 2], b: [f64; 2]| ((a[0] - b[0]).powi(2) + (a[1] - b[1]).powi(2)).sqrt();
    for i in 0..n {
        if (0..i).any(|j| dist(xy[i], xy[j]) < 1e-12) {
            return Err(Error::data("topomap: two electrodes at the same position"));
        }
    }
    let g = Array2::from_shape_fn((n, n), |(i, j)| {
        let r = dist(xy[i], xy[j]);
        if r < 1e-12 {
            0.0
        } else {
            r * r * (r.ln() - 1.0)
        }
    });
    let b = Array1::from(v.to_vec()).insert_axis(ndarray::Axis(1));
    let w = g
        .qr()
        .and_then(|qr| qr.solve(&b))
        .map_err(|e| Error::data(format!("topomap: the interpolation cannot be solved ({e})")))?;
    Ok(w.column(0).to_vec())
}

fn topomap_image(xy: &[[f64; 2]], v: &[f64], vmax: f64, size: usize) -> Result<Image> {
    if xy.len() < 3 {
        return Err(Error::data("topomap: needs at least 3 good channels with known positions"));
    }
    let w = biharmonic(xy, v)?;
    let reach = xy.iter().map(|p| (p[0] * p[0] + p[1] * p[1]).sqrt()).fold(1.0f64, f64::max) * 1.02;
    let extent = reach.max(1.0) * 1.12; // room for the nose
    let px = |i: usize| (i as f64 + 0.5) / size as f64 * 2.0 * extent - extent;
    let mut rgb = vec![255u8; size * size * 3];
    let set = |x: usize, y: usize, c: [u8; 3], rgb: &mut Vec<u8>| {
        if x < size && y < size {
            let k = (y * size + x) * 3;
            rgb[k..k + 3].copy_from_slice(&c);
        }
    };
    for yi in 0..size {
        for xi in 0..size {
            let (x, y) = (px(xi), -px(yi));
            let r = (x * x + y * y).sqrt();
            if r <= reach.max(1.0) {
                let val: f64 = xy
                    .iter()
                    .zip(&w)
                    .map(|(p, wj)| {
                        let d = ((x - p[0]).powi(2) + (y - p[1]).powi(2)).sqrt();
                        if d < 1e-12 {
                            0.0
                        } else {
                            wj * d * d * (d.ln() - 1.0)
                        }
                    })
                    .sum();
                set(xi, yi, Colormap::RdBuR.rgb((val / vmax + 1.0) / 2.0), &mut rgb);
            }
        }
    }
    let to_px = |x: f64, y: f64| {
        (
            ((x + extent) / (2.0 * extent) * size as f64) as isize,
            ((extent - y) / (2.0 * extent) * size as f64) as isize,
        )
    };
    // head outline and nose
    for k in 0..720 {
        let a = k as f64 / 720.0 * std::f64::consts::TAU;
        let (x, y) = to_px(a.cos(), a.sin());
        if x >= 0 && y >= 0 {
            set(x as usize, y as usize, [0, 0, 0], &mut rgb);
        }
    }
    for k in 0..=40 {
        let f = k as f64 / 40.0;
        for (x0, y0) in [(-0.1, 0.995), (0.1, 0.995)] {
            let (x, y) = to_px(x0 * (1.0 - f), y0 + 0.1 * f);
            if x >= 0 && y >= 0 {
                set(x as usize, y as usize, [0, 0, 0], &mut rgb);
            }
        }
    }
    for p in xy {
        let (cx, cy) = to_px(p[0], p[1]);
        for dy in -1..=1 {
            for dx in -1..=1 {
                if cx + dx >= 0 && cy + dy >= 0 {
                    set((cx + dx) as usize, (cy + dy) as usize, [0, 0, 0], &mut rgb);
                }
            }
        }
    }
    Image::from_rgb(size as u32, size as u32, rgb)
}

/// A decoding score over time with the chance line, and the stretches above `threshold`
/// (e.g. from [`crate::ml::sliding_permutation_threshold`]) shaded — MNE's decoding
/// tutorials' figure.
pub fn plot_decoding(
    times: &[f64],
    scores: &[f64],
    chance: f64,
    threshold: Option<f64>,
    ylabel: &str,
) -> Result<Figure> {
    if times.len() != scores.len() {
        return Err(Error::shape("plot_decoding scores", times.len(), scores.len()));
    }
    let mut p = LinePlot::new(match threshold {
        Some(t) => format!("{ylabel} over time (shaded: above {t:.2}, p < 0.05 corrected)"),
        None => format!("{ylabel} over time"),
    })
    .xlabel("time (s)")
    .ylabel(ylabel)
    .size(640, 320)
    .hline(chance)
    .vline(0.0);
    if let Some(t) = threshold {
        let dt = if times.len() > 1 { (times[1] - times[0]) / 2.0 } else { 0.0 };
        let mut i = 0;
        while i < scores.len() {
            if scores[i] > t {
                let j = (i..scores.len()).find(|&j| scores[j] <= t).unwrap_or(scores.len());
                p = p.span(times[i] - dt, times[j - 1] + dt);
                i = j;
            } else {
                i += 1;
            }
        }
    }
    p.line("score", times, scores).render()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn biharmonic_interpolates_exactly_at_the_electrodes() {
        let xy = [[0.0, 0.0], [0.5, 0.1], [-0.3, 0.6], [0.2, -0.7], [-0.6, -0.2]];
        let v = [1.0, -2.0, 0.5, 3.0, -1.0];
        let w = biharmonic(&xy, &v).unwrap();
        for (i, p) in xy.iter().enumerate() {
            let val: f64 = xy
                .iter()
                .zip(&w)
                .map(|(q, wj)| {
                    let d = ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt();
                    if d < 1e-12 {
                        0.0
                    } else {
                        wj * d * d * (d.ln() - 1.0)
                    }
                })
                .sum();
            assert!((val - v[i]).abs() < 1e-9);
        }
        assert!(biharmonic(&[[0.0, 0.0], [0.0, 0.0], [1.0, 0.0]], &[1.0, 2.0, 3.0]).is_err());
        let cz = project([0.0, 0.0, 0.095]);
        assert!(cz[0].abs() < 1e-12 && cz[1].abs() < 1e-12);
        let fpz = project([0.0, 0.095, 0.0]);
        assert!((fpz[1] - 1.0).abs() < 1e-12, "equator at radius 1, nose up");
    }
}

fn summary_table(title: &str, rows: &[(&str, String)]) -> String {
    let body: String = rows
        .iter()
        .map(|(k, v)| {
            format!(
                "<tr><th style=\"text-align:left\">{}</th><td style=\"text-align:left\">{}</td></tr>",
                k,
                crate::display::html_escape(v)
            )
        })
        .collect();
    format!(
        "<table><caption style=\"text-align:left;font-weight:bold\">{}</caption>{body}</table>",
        crate::display::html_escape(title)
    )
}

fn list(v: &[String], max: usize) -> String {
    if v.is_empty() {
        return "none".into();
    }
    let mut s = v.iter().take(max).cloned().collect::<Vec<_>>().join(", ");
    if v.len() > max {
        s += &format!(", … ({} in all)", v.len());
    }
    s
}

impl Raw {
    /// A summary table, like MNE's `raw` repr in a notebook.
    pub fn evcxr_display(&self) {
        let n_eeg = self.ch_types().iter().filter(|&&t| t == ChannelType::Eeg).count();
        let rows = [
            ("Channels", format!("{} ({} EEG)", self.ch_names().len(), n_eeg)),
            ("Names", list(self.ch_names(), 12)),
            ("Bad channels", list(self.bads(), 12)),
            ("Sampling frequency", format!("{} Hz", self.sfreq())),
            ("Duration", format!("{:.1} s ({} samples)", self.duration(), self.n_times())),
            (
                "Annotations",
                format!(
                    "{} ({} BAD)",
                    self.annotations().len(),
                    self.annotations()
                        .iter()
                        .filter(|a| a.description.to_uppercase().starts_with("BAD"))
                        .count()
                ),
            ),
        ];
        crate::display::emit("text/html", &summary_table("Raw", &rows));
    }
}

impl crate::display::EvcxrDisplay for Raw {
    fn evcxr_display(&self) {
        Raw::evcxr_display(self)
    }
}

impl Epochs {
    /// A summary table, like MNE's `epochs` repr.
    pub fn evcxr_display(&self) {
        let mut names = self.event_names();
        let mut counts: Vec<String> = Vec::new();
        names.sort();
        let mut i = 0;
        while i < names.len() {
            let j = (i..names.len()).find(|&j| names[j] != names[i]).unwrap_or(names.len());
            counts.push(format!("{}: {}", names[i], j - i));
            i = j;
        }
        let rows = [
            ("Epochs", format!("{} kept, {} dropped", self.len(), self.dropped().len())),
            ("Events", counts.join(", ")),
            (
                "Time range",
                format!(
                    "{:.3} … {:.3} s ({} samples at {} Hz)",
                    self.times()[0],
                    self.times()[self.times().len() - 1],
                    self.times().len(),
                    self.sfreq()
                ),
            ),
            ("Channels", format!("{} ({} good EEG)", self.ch_names().len(), self.good_eeg_names().len())),
            ("Bad channels", list(self.bads(), 12)),
        ];
        crate::display::emit("text/html", &summary_table("Epochs", &rows));
    }
}

impl crate::display::EvcxrDisplay for Epochs {
    fn evcxr_display(&self) {
        Epochs::evcxr_display(self)
    }
}
