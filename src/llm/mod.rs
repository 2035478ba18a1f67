//! Language models as feature extractors (session 3): tokenisation, per-layer hidden states of
//! a BERT encoder (all-MiniLM-L6-v2), pooling into sentence embeddings, surprisal from a causal
//! LM (SmolLM2), and embeddings as features (PCA, similarity by layer, ridge encoding models).
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

pub use analysis::{
    cosine_by_layer, encoding_by_layer, encoding_score, pca, pearson_r, planted_response, stack_layers,
    EncodingScore, LayerScores, Pca, Ridge, RidgeCv, RidgeFit,
};
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
