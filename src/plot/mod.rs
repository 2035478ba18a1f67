//! Figures and pictures (plotters → SVG for lines, `png` for images). See [`crate::display`]
//! for how each shows in a notebook.

mod builder;
#[cfg(feature = "eeg")]
pub mod eeg;
mod figure;
#[cfg(feature = "fmri")]
pub mod fmri;
mod image;
#[cfg(feature = "ml")]
mod llm;

pub use figure::{Figure, LinePlot, TAB10};
pub use image::{with_colorbar_html, Colormap, Heatmap, Image};
