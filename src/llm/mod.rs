//! Language models as feature extractors (session 3). This module owns the models and what is
//! specific to their vectors:
//! - [`tokenize`]: tokenizers (`tokenizer.json`, checked section by section, or byte-level BPE
//!   from GGUF metadata) with the word ↔ token alignment;
//! - [`bert`] + [`embed`]: a BERT encoder (all-MiniLM-L6-v2) returning every hidden state,
//!   pooled into sentence embeddings; `safetensors_check` / `gguf`: bounds-checked readers of
//!   the weight files' headers, in front of candle;
//! - [`causal`]: a causal LM (SmolLM2, GGUF) for logits, hidden states and surprisal;
//! - [`analysis`]: embeddings as features — PCA labelled with the texts, similarity by layer,
//!   encoding models layer by layer ([`encoding_by_layer`]), per-word features, a planted
//!   response.
//!
//! The estimators (PCA, Ridge/RidgeCV, the encoding score, Pearson's r, cross-validation) are
//! generic and live in [`crate::ml`]; the figures live in `crate::plot` (`plot/llm.rs`). `llm`
//! imports `ml`, `error` and `display` (token tables), never `plot`.
//!
//! Everything loads from local files under `data/models/` (fetched at set-up from the Python
//! package index); nothing downloads from a model hub at run time. Bad input (missing folder,
//! truncated or corrupt files, a config that does not match the weights, empty text) returns
//! a [`crate::Error`] naming the file and field, never a panic.

pub mod analysis;
pub mod bert;
pub mod causal;
pub mod embed;
mod gguf;
mod safetensors_check;
pub mod tokenize;

pub use analysis::{cosine_by_layer, encoding_by_layer, planted_response, stack_layers, LayerScores};
pub use causal::{CausalLm, LmOutput, Surprisal};
pub use embed::{Embedder, Embeddings, HiddenStates, Pooling};
pub use tokenize::{Tokenized, Tokenizer, Word};

use std::path::Path;

use crate::error::Error;

/// Turn a candle error into a format error on `path`/`field`.
pub(crate) fn candle_err<'a>(path: &'a Path, field: &str) -> impl Fn(candle_core::Error) -> Error + 'a {
    let field = field.to_string();
    move |e| Error::format(path, field.clone(), e)
}
