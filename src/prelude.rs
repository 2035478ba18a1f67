//! Everything a notebook cell needs: `use brainml::prelude::*;`.

pub use crate::data::{data_dir, model_dir, public_file};
pub use crate::display::{progress, EvcxrDisplay, Progress};
pub use crate::error::{Error, Result};
#[cfg(feature = "eeg")]
pub use crate::eeg::{io::{read_raw_bdf, read_raw_edf, read_raw_muse_csv}, ChannelType, Montage, Raw};
#[cfg(feature = "fmri")]
pub use crate::fmri::{load_img, Img};
#[cfg(feature = "llm")]
pub use crate::llm::{CausalLm, LmOutput, Surprisal, Embedder, Embeddings, HiddenStates, Pooling, Tokenized, Tokenizer, Word};
pub use crate::plot::{Colormap, Figure, Heatmap, Image, LinePlot};

pub use ndarray::{self, s, Array1, Array2, Array3, Array4, ArrayView1, ArrayView2, Axis};
pub use polars::prelude::{df, DataFrame, NamedFrom, Series};
