//! MiniLM embedding throughput: 256 sentences, every layer mean-pooled (brainml side of
//! bench/llm_throughput.py). Prints one JSON line. Build with `--release --features llm`.
use brainml::llm::{Embedder, Pooling};

fn main() -> brainml::Result<()> {
    let texts: Vec<String> = std::env::args().skip(1).collect();
    let texts = if texts.is_empty() { sentences() } else { texts };
    let emb = Embedder::load(brainml::data::model_dir("all-minilm-l6-v2")?)?;
    let _ = emb.embed_layers(&texts[..8], Pooling::Mean)?; // warm-up
    let mut best = f64::INFINITY;
    for _ in 0..3 {
        let t = std::time::Instant::now();
        let out = emb.embed_layers(&texts, Pooling::Mean)?;
        best = best.min(t.elapsed().as_secs_f64());
        assert_eq!(out.len(), 7);
    }
    println!("{{\"side\": \"brainml\", \"sentences\": {}, \"seconds\": {best:.4}, \"per_second\": {:.1}, \"threads\": {}}}",
        texts.len(), texts.len() as f64 / best, rayon::current_num_threads());
    Ok(())
}

/// 256 sentences of 6–20 words, made from templates (deterministic).
pub fn sentences() -> Vec<String> {
    let subj = [
        "The N170",
        "A face-selective region",
        "The fusiform gyrus",
        "Language models",
        "The listener",
        "Each participant",
        "The hippocampus",
        "Visual cortex",
    ];
    let verb = [
        "responds more strongly to",
        "is predicted by",
        "encodes",
        "tracks the surprisal of",
        "shows adaptation to",
        "differs between",
    ];
    let obj = [
        "faces than scrambled images",
        "the next word in a sentence",
        "familiar and unfamiliar faces",
        "words that are hard to predict",
        "the meaning of a whole paragraph read aloud slowly",
        "objects",
    ];
    let tail = [
        "",
        " in every session",
        " across all twenty participants in both runs of the experiment",
        " after filtering",
    ];
    (0..256)
        .map(|i| format!("{} {} {}{}.", subj[i % 8], verb[(i / 8) % 6], obj[(i / 3) % 6], tail[(i / 5) % 4]))
        .collect()
}
