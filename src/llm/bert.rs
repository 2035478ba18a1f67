//! BERT encoder returning every layer's hidden states.
//!
//! Vendored from candle-transformers 0.11.1 `src/models/bert.rs`: `BertEmbeddings` (lines
//! 137–200), `BertSelfAttention` (202–270), `BertSelfOutput`/`BertAttention` (272–335),
//! `BertIntermediate`/`BertOutput`/`BertLayer` (337–430), `BertModel::forward` and
//! `get_extended_attention_mask` (470–545). Upstream `BertModel::forward` returns only the
//! last layer; here [`Bert::forward`] returns the embedding output and every layer's output,
//! like Hugging Face `BertModel(..., output_hidden_states=True).hidden_states`. Dropout is
//! left out (inference only); the tracing spans are dropped.

use candle_core::{DType, Module, Tensor, D};
use candle_nn::{embedding, layer_norm, linear, Embedding, LayerNorm, Linear, VarBuilder};

pub use candle_transformers::models::bert::{Config, HiddenAct};

struct Embeddings {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
}

struct Layer {
    query: Linear,
    key: Linear,
    value: Linear,
    attn_out: Linear,
    attn_norm: LayerNorm,
    inter: Linear,
    act: HiddenAct,
    out: Linear,
    out_norm: LayerNorm,
    heads: usize,
    head_dim: usize,
}

/// A BERT encoder (no pooler, no head), F32 on the CPU.
pub struct Bert {
    emb: Embeddings,
    layers: Vec<Layer>,
}

impl Bert {
    /// Load the weights under `vb` (with or without a `bert.` prefix), checking each tensor's
    /// shape against `config` (candle's `VarBuilder::get` errors on a mismatch).
    pub fn load(vb: VarBuilder, config: &Config) -> candle_core::Result<Self> {
        let vb = if vb.contains_tensor("bert.embeddings.word_embeddings.weight") { vb.pp("bert") } else { vb };
        let h = config.hidden_size;
        if config.num_attention_heads == 0 || h % config.num_attention_heads != 0 {
            candle_core::bail!("hidden_size {h} is not a multiple of num_attention_heads {}", config.num_attention_heads);
        }
        let e = vb.pp("embeddings");
        let emb = Embeddings {
            word: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
            position: embedding(config.max_position_embeddings, h, e.pp("position_embeddings"))?,
            token_type: embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?,
            norm: layer_norm(h, config.layer_norm_eps, e.pp("LayerNorm"))?,
        };
        let mut layers = Vec::with_capacity(config.num_hidden_layers);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let a = l.pp("attention");
            layers.push(Layer {
                query: linear(h, h, a.pp("self").pp("query"))?,
                key: linear(h, h, a.pp("self").pp("key"))?,
                value: linear(h, h, a.pp("self").pp("value"))?,
                attn_out: linear(h, h, a.pp("output").pp("dense"))?,
                attn_norm: layer_norm(h, config.layer_norm_eps, a.pp("output").pp("LayerNorm"))?,
                inter: linear(h, config.intermediate_size, l.pp("intermediate").pp("dense"))?,
                act: config.hidden_act,
                out: linear(config.intermediate_size, h, l.pp("output").pp("dense"))?,
                out_norm: layer_norm(h, config.layer_norm_eps, l.pp("output").pp("LayerNorm"))?,
                heads: config.num_attention_heads,
                head_dim: h / config.num_attention_heads,
            });
        }
        Ok(Bert { emb, layers })
    }

    /// Number of hidden states [`Bert::forward`] returns (layers + 1).
    pub fn num_hidden_states(&self) -> usize {
        self.layers.len() + 1
    }

    /// Hidden states `[embeddings, layer 1, ..., layer n]`, each `(batch, seq, hidden)`.
    /// `input_ids`, `attention_mask`: `(batch, seq)` u32; token type ids are all 0.
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> candle_core::Result<Vec<Tensor>> {
        let (_b, seq) = input_ids.dims2()?;
        // BertEmbeddings::forward (upstream lines 178–199)
        let tt = input_ids.zeros_like()?;
        let pos = Tensor::arange(0u32, seq as u32, input_ids.device())?;
        let x = (self.emb.word.forward(input_ids)? + self.emb.token_type.forward(&tt)?)?
            .broadcast_add(&self.emb.position.forward(&pos)?)?;
        let mut x = self.emb.norm.forward(&x)?;
        // get_extended_attention_mask (upstream lines 531–545): (1 - mask) * f32::MIN
        let m = attention_mask.to_dtype(DType::F32)?.unsqueeze(1)?.unsqueeze(1)?;
        let m = ((m.ones_like()? - &m)? * f32::MIN as f64)?;
        let mut out = Vec::with_capacity(self.layers.len() + 1);
        out.push(x.clone());
        for l in &self.layers {
            x = l.forward(&x, &m)?;
            out.push(x.clone());
        }
        Ok(out)
    }
}

impl Layer {
    fn heads(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        let (b, s, _) = x.dims3()?;
        x.reshape((b, s, self.heads, self.head_dim))?.transpose(1, 2)?.contiguous()
    }

    // BertSelfAttention::forward (upstream 243–269), BertSelfOutput (300–305),
    // BertIntermediate (361–366) with HiddenActLayer (37–45), BertOutput (394–399), BertLayer (420–430)
    fn forward(&self, x: &Tensor, mask: &Tensor) -> candle_core::Result<Tensor> {
        let q = self.heads(&self.query.forward(x)?)?;
        let k = self.heads(&self.key.forward(x)?)?;
        let v = self.heads(&self.value.forward(x)?)?;
        let scores = (q.matmul(&k.t()?)? / (self.head_dim as f64).sqrt())?.broadcast_add(mask)?;
        let probs = candle_nn::ops::softmax_last_dim(&scores)?;
        let ctx = probs.matmul(&v)?.transpose(1, 2)?.contiguous()?.flatten_from(D::Minus2)?;
        let a = self.attn_norm.forward(&(self.attn_out.forward(&ctx)? + x)?)?;
        let i = self.inter.forward(&a)?;
        let i = match self.act {
            HiddenAct::Gelu => i.gelu_erf()?,
            HiddenAct::GeluApproximate => i.gelu()?,
            HiddenAct::Relu => i.relu()?,
        };
        self.out_norm.forward(&(self.out.forward(&i)? + a)?)
    }
}
