//! BERT encoder returning every layer's hidden states, fused for speed on the CPU.
//!
//! Vendored from candle-transformers 0.11.1 `src/models/bert.rs`: `BertEmbeddings` (lines
//! 137–200), `BertSelfAttention` (202–270), `BertSelfOutput`/`BertAttention` (272–335),
//! `BertIntermediate`/`BertOutput`/`BertLayer` (337–430), `BertModel::forward` and
//! `get_extended_attention_mask` (470–545). Upstream `BertModel::forward` returns only the
//! last layer; here [`Bert::forward`] returns the embedding output and every layer's output,
//! like Hugging Face `BertModel(..., output_hidden_states=True).hidden_states`. Dropout is
//! left out (inference only); the tracing spans are dropped.
//!
//! What differs from upstream, for CPU speed (the maths is the same):
//! - padding tokens are dropped: the layers run on the kept tokens of every sequence packed
//!   one after the other, and attention stays within each sequence (upstream masks padded keys
//!   with `f32::MIN`, which gives them exactly zero weight, so kept tokens get the same values);
//! - dense layers call the gemm crate (candle's own CPU matrix multiply) with the bias written
//!   into the output first; the query, key and value projections are one `(hidden, 3·hidden)`
//!   multiply; inside a rayon task (batches run in parallel) gemm runs single-threaded;
//! - attention (scores, softmax, weighted values) is one candle custom op run in parallel over
//!   (sequence, head) with rayon, instead of hundreds of tiny matmuls;
//! - residual + LayerNorm is a fused custom op, parallel over rows; the activation runs in place;
//! - GELU's `erf` is a branch-free polynomial (Abramowitz & Stegun 7.1.26, |error| ≤ 1.5e-7)
//!   over a vectorisable `exp`, compiled for AVX2+FMA and chosen at run time when the CPU has
//!   them. candle's own `gelu_erf` evaluates a scalar f64 `erf` per element, which was the
//!   largest single cost after the matrix multiplies.
//!
//! These kernels are written by hand because no maintained crate offers them for candle's CPU
//! tensors. Measured with `bench/llm_throughput.py` (README, Session 3): 0.67× transformers'
//! throughput before, 1.14× (median of 5 rounds) after.

use std::path::Path;

use candle_core::{CpuStorage, CustomOp1, CustomOp2, InplaceOp1, Layout, Module, Shape, Tensor};
use candle_nn::{embedding, layer_norm, Embedding, LayerNorm, VarBuilder};
use rayon::prelude::*;

pub use candle_transformers::models::bert::{Config, HiddenAct};

use super::candle_err;
use crate::error::{Error, Result};

struct Embeddings {
    word: Embedding,
    position: Embedding,
    token_type: Embedding,
    norm: LayerNorm,
}

/// A dense layer `x · Wᵀ + b` (candle-nn `Linear`), computed by [`Dense`].
struct Proj {
    /// `Wᵀ`, `(in, out)` row-major.
    wt: Vec<f32>,
    bias: Vec<f32>,
}

impl Proj {
    fn load(vb: &VarBuilder, inp: usize, out: usize) -> candle_core::Result<Self> {
        let w = vb.get((out, inp), "weight")?;
        let bias = vb.get(out, "bias")?.to_vec1::<f32>()?;
        Ok(Proj { wt: w.t()?.contiguous()?.flatten_all()?.to_vec1()?, bias })
    }
    /// `x`: `(rows, in)` → `(rows, out)`.
    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        x.apply_op1_no_bwd(&Dense { wt: &self.wt, bias: &self.bias })
    }
}

/// `x · Wᵀ + b` with the gemm crate (candle's own CPU matrix multiply), the bias written into
/// the output first and accumulated onto. Inside a rayon task (batches run in parallel) it
/// runs single-threaded; otherwise on rayon's threads, like candle's `matmul`.
struct Dense<'a> {
    wt: &'a [f32],
    bias: &'a [f32],
}

impl CustomOp1 for Dense<'_> {
    fn name(&self) -> &'static str {
        "dense"
    }
    fn cpu_fwd(&self, s: &CpuStorage, l: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let x = f32_slice(s, l, "dense input")?;
        let n = self.bias.len();
        let (m, k) = l.shape().dims2()?;
        if x.len() != m * k || self.wt.len() != k * n {
            candle_core::bail!("dense: input {:?} against weights {k}×{n}", l.shape());
        }
        let mut y = Vec::with_capacity(m * n);
        for _ in 0..m {
            y.extend_from_slice(self.bias);
        }
        let threads = rayon::current_num_threads();
        let par = if rayon::current_thread_index().is_some() || threads < 2 {
            gemm::Parallelism::None
        } else {
            gemm::Parallelism::Rayon(threads)
        };
        // SAFETY: y is m×n, x is m×k and wt is k×n, all row-major (lengths checked above).
        unsafe {
            gemm::gemm(
                m,
                n,
                k,
                y.as_mut_ptr(),
                1,
                n as isize,
                true,
                x.as_ptr(),
                1,
                k as isize,
                self.wt.as_ptr(),
                1,
                n as isize,
                1.0f32,
                1.0f32,
                false,
                false,
                false,
                par,
            );
        }
        Ok((CpuStorage::F32(y), Shape::from((m, n))))
    }
}

struct Norm {
    gamma: Vec<f32>,
    beta: Vec<f32>,
    eps: f32,
}

impl Norm {
    fn load(vb: &VarBuilder, h: usize, eps: f64) -> candle_core::Result<Self> {
        Ok(Norm {
            gamma: vb.get(h, "weight")?.to_vec1()?,
            beta: vb.get(h, "bias")?.to_vec1()?,
            eps: eps as f32,
        })
    }
}

struct Layer {
    qkv: Proj,
    attn_out: Proj,
    attn_norm: Norm,
    inter: Proj,
    act: HiddenAct,
    out: Proj,
    out_norm: Norm,
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
    /// shape against `config` (candle's `VarBuilder::get` errors on a mismatch; upstream
    /// `BertModel::load`). `weights` is the file `vb` reads, named in the error (field
    /// "tensors vs config.json").
    pub fn load(vb: VarBuilder, config: &Config, weights: &Path) -> Result<Self> {
        Self::load_tensors(vb, config).map_err(candle_err(weights, "tensors vs config.json"))
    }

    fn load_tensors(vb: VarBuilder, config: &Config) -> candle_core::Result<Self> {
        let vb =
            if vb.contains_tensor("bert.embeddings.word_embeddings.weight") { vb.pp("bert") } else { vb };
        let h = config.hidden_size;
        if h == 0 || config.num_attention_heads == 0 || h % config.num_attention_heads != 0 {
            candle_core::bail!(
                "hidden_size {h} is not a multiple of num_attention_heads {}",
                config.num_attention_heads
            );
        }
        let e = vb.pp("embeddings");
        let emb = Embeddings {
            word: embedding(config.vocab_size, h, e.pp("word_embeddings"))?,
            position: embedding(config.max_position_embeddings, h, e.pp("position_embeddings"))?,
            token_type: embedding(config.type_vocab_size, h, e.pp("token_type_embeddings"))?,
            norm: layer_norm(h, config.layer_norm_eps, e.pp("LayerNorm"))?,
        };
        let eps = config.layer_norm_eps;
        // nothing is allocated from num_hidden_layers before the weights are known to hold
        // that many layers (a config.json saying 10^12 layers is an error, not an abort)
        let n = config.num_hidden_layers;
        if n == 0
            || n > 256
            || !vb.contains_tensor(&format!("encoder.layer.{}.attention.self.query.weight", n - 1))
        {
            candle_core::bail!(
                "num_hidden_layers {n}: the weights do not hold that many layers (1 to 256 expected)"
            );
        }
        let mut layers = Vec::with_capacity(n);
        for i in 0..config.num_hidden_layers {
            let l = vb.pp(format!("encoder.layer.{i}"));
            let a = l.pp("attention");
            let s = a.pp("self");
            let (q, k, v) = (
                Proj::load(&s.pp("query"), h, h)?,
                Proj::load(&s.pp("key"), h, h)?,
                Proj::load(&s.pp("value"), h, h)?,
            );
            // Wᵀ of the three side by side: (hidden, 3·hidden)
            let mut wt = Vec::with_capacity(3 * h * h);
            for r in 0..h {
                for p in [&q, &k, &v] {
                    wt.extend_from_slice(&p.wt[r * h..(r + 1) * h]);
                }
            }
            let qkv = Proj { wt, bias: [q.bias, k.bias, v.bias].concat() };
            layers.push(Layer {
                qkv,
                attn_out: Proj::load(&a.pp("output").pp("dense"), h, h)?,
                attn_norm: Norm::load(&a.pp("output").pp("LayerNorm"), h, eps)?,
                inter: Proj::load(&l.pp("intermediate").pp("dense"), h, config.intermediate_size)?,
                act: config.hidden_act,
                out: Proj::load(&l.pp("output").pp("dense"), config.intermediate_size, h)?,
                out_norm: Norm::load(&l.pp("output").pp("LayerNorm"), h, eps)?,
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
    /// `input_ids`, `attention_mask`: `(batch, seq)` u32; token type ids are all 0. Positions the
    /// mask drops are zeros in every layer after the embeddings.
    pub fn forward(&self, input_ids: &Tensor, attention_mask: &Tensor) -> Result<Vec<Tensor>> {
        self.hidden_states(input_ids, attention_mask)
            .map_err(|e| Error::data(format!("BERT forward pass: {e}")))
    }

    /// [`Bert::forward`] with candle's error, for callers that add their own context.
    pub(crate) fn hidden_states(
        &self,
        input_ids: &Tensor,
        attention_mask: &Tensor,
    ) -> candle_core::Result<Vec<Tensor>> {
        let (b, seq) = input_ids.dims2()?;
        // BertEmbeddings::forward (upstream lines 178–199)
        let tt = input_ids.zeros_like()?;
        let pos = Tensor::arange(0u32, seq as u32, input_ids.device())?;
        let x = (self.emb.word.forward(input_ids)? + self.emb.token_type.forward(&tt)?)?
            .broadcast_add(&self.emb.position.forward(&pos)?)?;
        let x = self.emb.norm.forward(&x)?.contiguous()?;
        let hdim = x.dim(2)?;
        // get_extended_attention_mask (upstream lines 531–545) adds (1 - mask) * f32::MIN to the
        // scores, so masked keys get exactly zero weight. Here the masked (padding) tokens are
        // dropped instead: the layers run on the kept tokens only, packed sequence after
        // sequence, and attention stays within each sequence. Kept tokens get the same values;
        // padded positions of the returned states are zeros (Hugging Face fills them with
        // values no pooling uses).
        let keep: Vec<u32> = attention_mask.flatten_all()?.to_vec1::<u32>()?;
        let idx: Vec<u32> = (0..keep.len() as u32).filter(|&i| keep[i as usize] != 0).collect();
        let spans: Vec<(usize, usize)> = {
            let mut start = 0;
            keep.chunks(seq.max(1))
                .map(|m| {
                    let n = m.iter().filter(|&&v| v != 0).count();
                    start += n;
                    (start - n, n)
                })
                .collect()
        };
        let idx = Tensor::new(idx.as_slice(), input_ids.device())?;
        let full = x.reshape((b * seq, hdim))?;
        let mut packed = full.index_select(&idx, 0)?;
        let mut out = Vec::with_capacity(self.layers.len() + 1);
        out.push(x);
        for l in &self.layers {
            packed = l.forward(&packed, &spans)?;
            out.push(full.zeros_like()?.index_add(&idx, &packed, 0)?.reshape((b, seq, hdim))?);
        }
        Ok(out)
    }
}

impl Layer {
    // BertSelfAttention::forward (upstream 243–269), BertSelfOutput (300–305),
    // BertIntermediate (361–366) with HiddenActLayer (37–45), BertOutput (394–399), BertLayer (420–430).
    // `x`: `(tokens, hidden)`, the kept tokens of each sequence one after the other;
    // `spans`: each sequence's (first row, number of tokens).
    fn forward(&self, x: &Tensor, spans: &[(usize, usize)]) -> candle_core::Result<Tensor> {
        let qkv = self.qkv.forward(x)?;
        let ctx = qkv.apply_op1_no_bwd(&Attention { heads: self.heads, head_dim: self.head_dim, spans })?;
        let a = self.attn_out.forward(&ctx)?.apply_op2_no_bwd(x, &AddNorm(&self.attn_norm))?;
        let i = self.inter.forward(&a)?;
        i.inplace_op1(&Act(self.act))?;
        self.out.forward(&i)?.apply_op2_no_bwd(&a, &AddNorm(&self.out_norm))
    }
}

fn f32_slice<'a>(s: &'a CpuStorage, l: &Layout, what: &str) -> candle_core::Result<&'a [f32]> {
    let CpuStorage::F32(v) = s else { candle_core::bail!("{what}: expected f32") };
    match l.contiguous_offsets() {
        Some((a, b)) => Ok(&v[a..b]),
        None => candle_core::bail!("{what}: expected a contiguous tensor"),
    }
}

/// Elements per rayon task in the row-wise kernels: enough work to amortise scheduling.
const TASK_ELEMS: usize = 16384;

/// `LayerNorm(x + residual)`, row-wise (BertSelfOutput / BertOutput).
struct AddNorm<'a>(&'a Norm);

impl CustomOp2 for AddNorm<'_> {
    fn name(&self) -> &'static str {
        "residual-layernorm"
    }
    fn cpu_fwd(
        &self,
        s1: &CpuStorage,
        l1: &Layout,
        s2: &CpuStorage,
        l2: &Layout,
    ) -> candle_core::Result<(CpuStorage, Shape)> {
        let (x, r) = (f32_slice(s1, l1, "add-norm input")?, f32_slice(s2, l2, "add-norm residual")?);
        let h = self.0.gamma.len();
        if l1.shape() != l2.shape() || l1.shape().dims().last() != Some(&h) {
            candle_core::bail!("add-norm: shapes {:?} and {:?} with hidden {h}", l1.shape(), l2.shape());
        }
        let mut y = vec![0f32; x.len()];
        let task = h * (TASK_ELEMS / h).max(1); // h > 0: Bert::load refuses hidden_size 0
        y.par_chunks_mut(task).zip(x.par_chunks(task)).zip(r.par_chunks(task)).for_each(|((y, x), r)| {
            for ((y, x), r) in y.chunks_exact_mut(h).zip(x.chunks_exact(h)).zip(r.chunks_exact(h)) {
                for ((y, x), r) in y.iter_mut().zip(x).zip(r) {
                    *y = x + r;
                }
                let mean = y.chunks(8).map(|c| c.iter().sum::<f32>()).sum::<f32>() / h as f32;
                y.iter_mut().for_each(|v| *v -= mean);
                let var = dot(y, y);
                let inv = 1.0 / (var / h as f32 + self.0.eps).sqrt();
                for ((y, g), b) in y.iter_mut().zip(&self.0.gamma).zip(&self.0.beta) {
                    *y = *y * inv * g + b;
                }
            }
        });
        Ok((CpuStorage::F32(y), l1.shape().clone()))
    }
}

/// The intermediate activation (BertIntermediate with HiddenActLayer), in place, in parallel.
struct Act(HiddenAct);

impl InplaceOp1 for Act {
    fn name(&self) -> &'static str {
        "activation"
    }
    fn cpu_fwd(&self, s: &mut CpuStorage, l: &Layout) -> candle_core::Result<()> {
        let CpuStorage::F32(v) = s else { candle_core::bail!("activation: expected f32") };
        let Some((a, b)) = l.contiguous_offsets() else {
            candle_core::bail!("activation: expected a contiguous tensor")
        };
        v[a..b].par_chunks_mut(TASK_ELEMS).for_each(|y| match self.0 {
            HiddenAct::Gelu => gelu_erf(y),
            // candle's `gelu` (tanh approximation)
            HiddenAct::GeluApproximate => y.iter_mut().for_each(|v| {
                let u = *v;
                *v = 0.5
                    * u
                    * (1.0 + ((2.0f32 / std::f32::consts::PI).sqrt() * (u + 0.044715 * u * u * u)).tanh())
            }),
            HiddenAct::Relu => y.iter_mut().for_each(|v| *v = v.max(0.0)),
        });
        Ok(())
    }
}

/// Multi-head self-attention from the fused `(tokens, 3·hidden)` projections of packed
/// sequences (no padding): `softmax(q·kᵀ/√d)·v` within each span of rows, written as
/// `(tokens, hidden)` with the heads side by side (upstream's transpose + flatten).
struct Attention<'a> {
    heads: usize,
    head_dim: usize,
    spans: &'a [(usize, usize)],
}

impl CustomOp1 for Attention<'_> {
    fn name(&self) -> &'static str {
        "bert-self-attention"
    }
    fn cpu_fwd(&self, st: &CpuStorage, l1: &Layout) -> candle_core::Result<(CpuStorage, Shape)> {
        let qkv = f32_slice(st, l1, "attention qkv")?;
        let (d, nh) = (self.head_dim, self.heads);
        let h = nh * d;
        let rows = self.spans.last().map_or(0, |&(a, n)| a + n);
        if qkv.len() != rows * 3 * h {
            candle_core::bail!("attention: qkv {:?} for {rows} tokens, {nh} heads of {d}", l1.shape());
        }
        let b = self.spans.len();
        let scale = 1.0 / (d as f32).sqrt();
        // one task per (sequence, head): its context block, (seq, head_dim)
        let blocks: Vec<Vec<f32>> = (0..b * nh)
            .into_par_iter()
            .map(|task| {
                let (bi, hi) = (task / nh, task % nh);
                let (start, s) = self.spans[bi];
                // this head's q (pre-scaled), k and v, each (seq, head_dim)
                let mut q = vec![0f32; s * d];
                let mut k = vec![0f32; s * d];
                let mut v = vec![0f32; s * d];
                for t in 0..s {
                    let o = (start + t) * 3 * h + hi * d;
                    for (part, dst) in [&mut q, &mut k, &mut v].into_iter().enumerate() {
                        let f = if part == 0 { scale } else { 1.0 };
                        for (y, x) in
                            dst[t * d..(t + 1) * d].iter_mut().zip(&qkv[o + part * h..o + part * h + d])
                        {
                            *y = x * f;
                        }
                    }
                }
                let mut ctx = vec![0f32; s * d];
                let mut p = vec![0f32; s];
                for i in 0..s {
                    let qi = &q[i * d..(i + 1) * d];
                    let mut max = f32::NEG_INFINITY;
                    for (pj, kj) in p.iter_mut().zip(k.chunks_exact(d)) {
                        *pj = dot(qi, kj);
                        max = max.max(*pj);
                    }
                    let mut sum = 0f32;
                    for pj in p.iter_mut() {
                        *pj = (*pj - max).exp();
                        sum += *pj;
                    }
                    let c = &mut ctx[i * d..(i + 1) * d];
                    for (pj, vj) in p.iter().zip(v.chunks_exact(d)) {
                        let w = pj / sum;
                        for (c, v) in c.iter_mut().zip(vj) {
                            *c += w * v;
                        }
                    }
                }
                ctx
            })
            .collect();
        let mut y = vec![0f32; rows * h];
        for (task, ctx) in blocks.iter().enumerate() {
            let (bi, hi) = (task / nh, task % nh);
            let (start, s) = self.spans[bi];
            for t in 0..s {
                let o = (start + t) * h + hi * d;
                y[o..o + d].copy_from_slice(&ctx[t * d..(t + 1) * d]);
            }
        }
        Ok((CpuStorage::F32(y), Shape::from((rows, h))))
    }
}

/// Dot product with eight partial sums (so it vectorises).
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> f32 {
    let mut acc = [0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let (ra, rb) = (ca.remainder(), cb.remainder());
    for (x, y) in ca.zip(cb) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    let tail: f32 = ra.iter().zip(rb).map(|(x, y)| x * y).sum();
    acc.iter().sum::<f32>() + tail
}

/// GELU with the exact (erf) form, in place: `0.5·x·(1 + erf(x/√2))`, as `torch.nn.GELU()`.
fn gelu_erf(y: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::is_x86_feature_detected!("avx2") && std::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            unsafe { gelu_erf_avx2(y) };
            return;
        }
    }
    gelu_erf_generic(y)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
unsafe fn gelu_erf_avx2(y: &mut [f32]) {
    gelu_erf_generic(y)
}

#[inline(always)]
fn gelu_erf_generic(y: &mut [f32]) {
    for v in y.iter_mut() {
        *v = 0.5 * *v * (1.0 + erf(*v * std::f32::consts::FRAC_1_SQRT_2));
    }
}

/// `erf(x)`, Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7), branch-free so it vectorises.
#[inline(always)]
fn erf(x: f32) -> f32 {
    let a = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * a);
    let poly =
        t * (0.254_829_6 + t * (-0.284_496_74 + t * (1.421_413_7 + t * (-1.453_152_1 + t * 1.061_405_4))));
    let r = 1.0 - poly * exp_neg(a * a);
    r.copysign(x)
}

/// `exp(-z)` for `z ≥ 0` (0 past z = 87, below f32's normal range), branch-free: Cody–Waite reduction by ln 2
/// and a degree-6 polynomial (relative error about 2e-7).
#[inline(always)]
fn exp_neg(z: f32) -> f32 {
    let x = (-z).max(-87.0);
    // n = round(x / ln 2) by the 1.5·2²³ trick (vectorises, unlike `f32::round`)
    let n = (x * std::f32::consts::LOG2_E + 12_582_912.0) - 12_582_912.0;
    let r = x - n * 0.693_145_75 - n * 1.428_606_8e-6;
    let p = 1.0
        + r * (1.0 + r * (0.5 + r * (1.0 / 6.0 + r * (1.0 / 24.0 + r * (1.0 / 120.0 + r * (1.0 / 720.0))))));
    let e = p * f32::from_bits(((n as i32 + 127) << 23) as u32);
    if z > 87.0 {
        0.0
    } else {
        e
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_matches_candle_gelu_erf() {
        let xs: Vec<f32> =
            (-4000..=4000).map(|i| i as f32 * 0.0025).chain([-30.0, -10.0, 10.0, 30.0, 0.0]).collect();
        let want = Tensor::new(xs.as_slice(), &candle_core::Device::Cpu)
            .unwrap()
            .gelu_erf()
            .unwrap()
            .to_vec1::<f32>()
            .unwrap();
        let mut got = xs.clone();
        gelu_erf(&mut got);
        let mut plain = xs.clone();
        gelu_erf_generic(&mut plain);
        for i in 0..xs.len() {
            assert!(
                (got[i] - want[i]).abs() <= 1e-6 * (1.0 + want[i].abs()),
                "x {}: {} vs {}",
                xs[i],
                got[i],
                want[i]
            );
            assert!((plain[i] - got[i]).abs() <= 1e-6 * (1.0 + got[i].abs()));
        }
    }

    #[test]
    fn exp_neg_is_accurate() {
        for i in 0..2000 {
            let z = i as f32 * 0.05;
            let (got, want) = (exp_neg(z), (-(z as f64)).exp());
            assert!(((got as f64) - want).abs() <= 1e-6 * want + 1e-37, "z {z}: {got} vs {want}");
        }
    }
}
