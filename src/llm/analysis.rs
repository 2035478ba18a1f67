//! Language-model vectors as features for brain research: PCA of embeddings with their texts
//! as labels, similarity of text pairs layer by layer, and cross-validated encoding models
//! layer by layer ("which layer's vectors predict the response best").
//!
//! The estimators themselves are generic and live in [`crate::ml`] (PCA in
//! `ml::decomposition`, `Ridge`/`RidgeCV` in `ml::linear`, the cross-validated encoding score in
//! `ml::encoding`, Pearson's r in `ml::stats`); this module only feeds them [`Embeddings`] and
//! collects results per layer. The figures ([`LayerScores::plot`], `Pca::plot`,
//! `Embeddings::plot_similarity`) are drawn in `crate::plot` (`plot/llm.rs`).

use ndarray::{Array1, Array2, Axis};
use rayon::prelude::*;

use super::embed::Embeddings;
use crate::error::{Error, Result};
use crate::ml::stats::{center, check_finite};
use crate::ml::{encoding_score, pca, Cv, EncodingScore, Pca, RidgeCv};

impl Embeddings {
    /// The rows as `f64` (samples × features), for scikit-learn-style analyses.
    pub fn to_f64(&self) -> Array2<f64> {
        self.data.mapv(|v| v as f64)
    }
    /// PCA of the vectors, labelled with the texts (see [`crate::ml::pca`]).
    pub fn pca(&self, n_components: usize) -> Result<Pca> {
        let mut p = pca(self.to_f64().view(), n_components)?;
        p.labels = self.labels.clone();
        Ok(p)
    }
}

/// Cosine similarity of chosen pairs of texts at every layer: `(pairs, layers)`. `layers[l]`
/// holds one vector per text (as [`super::Embedder::embed_layers`] returns them).
pub fn cosine_by_layer(layers: &[Embeddings], pairs: &[(usize, usize)]) -> Result<Array2<f64>> {
    if layers.is_empty() {
        return Err(Error::data("cosine_by_layer: no layer given"));
    }
    let n = layers[0].data.nrows();
    for (l, e) in layers.iter().enumerate() {
        if e.data.nrows() != n {
            return Err(Error::shape(format!("cosine_by_layer: texts at layer {l}"), n, e.data.nrows()));
        }
    }
    if let Some(&(a, b)) = pairs.iter().find(|&&(a, b)| a >= n || b >= n) {
        return Err(Error::data(format!(
            "cosine_by_layer: pair ({a}, {b}) is out of range: there are {n} texts"
        )));
    }
    let mut out = Array2::zeros((pairs.len(), layers.len()));
    for (l, e) in layers.iter().enumerate() {
        let z = e.normalize().data;
        for (k, &(a, b)) in pairs.iter().enumerate() {
            out[(k, l)] = z.row(a).iter().zip(z.row(b)).map(|(x, y)| (*x as f64) * (*y as f64)).sum();
        }
    }
    Ok(out)
}

/// Encoding scores of every layer: which layer's vectors predict the response best.
#[derive(Clone, Debug)]
pub struct LayerScores {
    pub name: String,
    pub scores: Vec<EncodingScore>,
}

impl LayerScores {
    /// Mean r of each layer.
    pub fn mean(&self) -> Vec<f64> {
        self.scores.iter().map(|s| s.mean()).collect()
    }
    /// The layer with the highest mean r.
    pub fn best_layer(&self) -> usize {
        let m = self.mean();
        (0..m.len()).fold(0, |b, i| if m[i] > m[b] { i } else { b })
    }
}

/// [`encoding_score`] for every layer (`layers[l]` one row per sample), in parallel.
pub fn encoding_by_layer(
    name: &str,
    layers: &[Embeddings],
    y: &[f64],
    cv: &Cv,
    ridge: &RidgeCv,
) -> Result<LayerScores> {
    if layers.is_empty() {
        return Err(Error::data("encoding_by_layer: no layer given"));
    }
    let y = ndarray::ArrayView1::from(y);
    let scores: Result<Vec<EncodingScore>> =
        layers.par_iter().map(|e| encoding_score(e.to_f64().view(), y, cv, ridge)).collect();
    Ok(LayerScores { name: name.to_string(), scores: scores? })
}

/// Concatenate per-text layer features row-wise (e.g. per-word vectors of several sentences):
/// `parts[t][l]` is text t's vectors at layer l; the result has one [`Embeddings`] per layer.
pub fn stack_layers(parts: &[Vec<Embeddings>]) -> Result<Vec<Embeddings>> {
    let nl = parts.first().map(|p| p.len()).ok_or_else(|| Error::data("stack_layers: nothing to stack"))?;
    (0..nl)
        .map(|l| {
            let mut labels = Vec::new();
            let mut views = Vec::new();
            for (t, p) in parts.iter().enumerate() {
                let e = p
                    .get(l)
                    .ok_or_else(|| Error::shape(format!("stack_layers: layers of text {t}"), nl, p.len()))?;
                labels.extend(e.labels.iter().cloned());
                views.push(e.data.view());
            }
            let data = ndarray::concatenate(Axis(0), &views)
                .map_err(|e| Error::data(format!("stack_layers: layer {l}: {e}")))?;
            Ok(Embeddings { data, labels })
        })
        .collect()
}

/// A simulated "brain response" with a known answer: each row's response is a fixed random
/// weighting of the z-scored features of `layers[layer]`, scaled to unit variance, plus
/// Gaussian noise of standard deviation `noise`. An encoding analysis ([`encoding_by_layer`])
/// should find `layer` — the planted-effect check the workshop's simulated data use
/// everywhere. Same seed, same numbers on every machine.
pub fn planted_response(layers: &[Embeddings], layer: usize, noise: f64, seed: u64) -> Result<Vec<f64>> {
    use rand::SeedableRng;
    use rand_distr::{Distribution, Normal};
    let e = layers
        .get(layer)
        .ok_or_else(|| Error::shape("planted_response: layer", format!("< {}", layers.len()), layer))?;
    if !(noise.is_finite() && noise >= 0.0) {
        return Err(Error::data(format!("planted_response: noise must be finite and ≥ 0, got {noise}")));
    }
    let x = e.to_f64();
    check_finite("planted_response: features", x.view())?;
    let (xc, _) = center(x.view());
    let sd = xc.map_axis(Axis(0), |c| (c.iter().map(|v| v * v).sum::<f64>() / c.len().max(1) as f64).sqrt());
    let z = Array2::from_shape_fn(xc.dim(), |(i, j)| if sd[j] > 0.0 { xc[(i, j)] / sd[j] } else { 0.0 });
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(seed);
    let normal = Normal::new(0.0, 1.0).map_err(|e| Error::data(e.to_string()))?;
    let w = Array1::from_iter((0..z.ncols()).map(|_| normal.sample(&mut rng)));
    let signal = z.dot(&w);
    let s_sd = (signal.iter().map(|v| v * v).sum::<f64>() / signal.len().max(1) as f64).sqrt().max(1e-12);
    Ok(signal.iter().map(|v| v / s_sd + noise * normal.sample(&mut rng)).collect())
}

impl super::Embedder {
    /// Per-word vectors at every layer for several texts: `out[layer]` has one row per
    /// whitespace word of all the texts in order (each word the mean of its tokens, see
    /// [`super::HiddenStates::word_embeddings`]), labelled with the word. The features of
    /// word-level encoding models (one row per word a participant read or heard).
    pub fn word_features<S: AsRef<str>>(&self, texts: &[S]) -> Result<Vec<Embeddings>> {
        if texts.is_empty() {
            return Err(Error::data("word_features: no text given"));
        }
        let parts: Result<Vec<Vec<Embeddings>>> = texts
            .iter()
            .map(|t| {
                let hs = self.hidden_states(t.as_ref())?;
                (0..hs.num_layers()).map(|l| hs.word_embeddings(l)).collect()
            })
            .collect();
        stack_layers(&parts?)
    }
}
