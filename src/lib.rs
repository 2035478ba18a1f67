//! # brainml — Machine Learning & the Brain, in Rust
//!
//! The helper library of a one-day workshop run as Jupyter notebooks on the evcxr kernel:
//! EEG (N170 faces), fMRI (GLM, decoding, searchlights) and language models (embeddings as
//! features). A notebook starts with
//!
//! ```text
//! :dep brainml = { path = "..", features = ["eeg"] }
//! use brainml::prelude::*;
//! ```
//!
//! Data flows one way: **files → io → preprocess → analyse → plot/display**. Each step
//! takes and returns owned values (learners re-run cells), every fallible function returns
//! [`Result`] with a message naming the file and field, and anything a learner looks at
//! shows itself inline (see [`display`]).
//!
//! Cargo features keep each session's kernel lean: `eeg`, `fmri`, `llm` (and `ml`, which the
//! first two pull in); `cli` builds the `brainml` command (fetch, simulate).

pub mod data;
pub mod display;
#[cfg(feature = "eeg")]
pub mod eeg;
pub mod error;
#[cfg(feature = "fmri")]
pub mod fmri;
#[cfg(feature = "llm")]
pub mod llm;
#[cfg(feature = "ml")]
pub mod ml;
pub mod plot;
pub mod prelude;

pub use error::{Error, Result};
