//! The corpus generator's pieces: a seeded random number generator and mutations of bytes
//! and of JSON documents.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{Case, Expect, Made};

/// splitmix64: small, seeded, the same sequence on every machine.
#[derive(Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64, stream: &str) -> Self {
        let mut h = seed ^ 0x9e37_79b9_7f4a_7c15;
        for b in stream.bytes() {
            h = (h ^ b as u64).wrapping_mul(0x100_0000_01b3);
        }
        Rng(h)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// uniform in 0..n (n > 0)
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi.saturating_sub(lo).max(1))
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.below(xs.len())]
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }
}

pub const INTERESTING_U64: &[u64] = &[
    0,
    1,
    2,
    3,
    7,
    8,
    32,
    255,
    0xffff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    1 << 32,
    1 << 40,
    1 << 62,
    u64::MAX,
    u64::MAX - 1,
    1 << 63,
];

/// An interesting little-endian value `width` bytes wide.
pub fn interesting(rng: &mut Rng, width: usize) -> Vec<u8> {
    let v = if rng.chance(0.2) { rng.next() } else { *rng.pick(INTERESTING_U64) };
    let v = if rng.chance(0.15) { v.wrapping_add(rng.below(3) as u64).wrapping_sub(1) } else { v };
    v.to_le_bytes()[..width.min(8)].to_vec()
}

/// One random byte-level mutation of `b` (positions drawn from `lo..hi`, the header region);
/// returns a short description.
pub fn mutate_bytes(rng: &mut Rng, b: &mut Vec<u8>, lo: usize, hi: usize) -> String {
    let hi = hi.min(b.len()).max(lo + 1);
    let pos = rng.range(lo, hi).min(b.len().saturating_sub(1));
    match rng.below(9) {
        0 => {
            let n = rng.range(1, 5);
            for _ in 0..n {
                let p = rng.range(lo, hi).min(b.len() - 1);
                b[p] ^= 1 << rng.below(8);
            }
            format!("flip {n} bits near byte {pos}")
        }
        1 => {
            let v = *rng.pick(&[0u8, 1, 0x7f, 0x80, 0xff, b'"', b'{', b'\\', 0xc3]);
            b[pos] = v;
            format!("byte {pos} = {v:#x}")
        }
        2 | 3 => {
            let w = *rng.pick(&[2usize, 4, 8]);
            let v = interesting(rng, w);
            let end = (pos + w).min(b.len());
            b[pos..end].copy_from_slice(&v[..end - pos]);
            format!("{w} bytes at {pos} = {:?}", v)
        }
        4 | 5 => {
            // truncation: anywhere, but mostly in or near the header
            let at = if rng.chance(0.6) { rng.range(0, hi) } else { rng.below(b.len()) };
            b.truncate(at);
            format!("truncate at {at}")
        }
        6 => {
            let n = rng.range(1, 64).min(b.len() - pos);
            b.drain(pos..pos + n);
            format!("delete {n} bytes at {pos}")
        }
        7 => {
            let n = rng.range(1, 64);
            let ins: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
            b.splice(pos..pos, ins);
            format!("insert {n} random bytes at {pos}")
        }
        _ => {
            let n = rng.range(1, 32).min(b.len() - pos);
            let chunk = b[pos..pos + n].to_vec();
            let to = rng.range(lo, hi).min(b.len());
            b.splice(to..to, chunk);
            format!("copy {n} bytes from {pos} to {to}")
        }
    }
}

/// Paths to the nodes of a JSON document, descending into at most `wide` random children of
/// a large container (a vocabulary of 30 000 entries would otherwise take every pick).
fn json_paths(rng: &mut Rng, v: &serde_json::Value, here: &mut Vec<Seg>, out: &mut Vec<Vec<Seg>>) {
    out.push(here.clone());
    let wide = 6;
    match v {
        serde_json::Value::Object(m) => {
            let keys: Vec<&String> = m.keys().collect();
            let chosen: Vec<&String> =
                if keys.len() > 64 { (0..wide).map(|_| *rng.pick(&keys)).collect() } else { keys };
            for k in chosen {
                here.push(Seg::Key(k.clone()));
                json_paths(rng, &m[k], here, out);
                here.pop();
            }
        }
        serde_json::Value::Array(a) => {
            let idx: Vec<usize> = if a.len() > 64 {
                (0..wide).map(|_| rng.below(a.len())).collect()
            } else {
                (0..a.len()).collect()
            };
            for i in idx {
                here.push(Seg::Idx(i));
                json_paths(rng, &a[i], here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

#[derive(Clone, Debug)]
pub enum Seg {
    Key(String),
    Idx(usize),
}

fn at<'a>(v: &'a mut serde_json::Value, path: &[Seg]) -> Option<&'a mut serde_json::Value> {
    let mut v = v;
    for s in path {
        v = match s {
            Seg::Key(k) => v.get_mut(k)?,
            Seg::Idx(i) => v.get_mut(*i)?,
        };
    }
    Some(v)
}

pub fn show(path: &[Seg]) -> String {
    path.iter()
        .map(|s| match s {
            Seg::Key(k) => format!(".{}", k.chars().take(20).collect::<String>()),
            Seg::Idx(i) => format!("[{i}]"),
        })
        .collect()
}

/// An interesting JSON value.
pub fn interesting_json(rng: &mut Rng) -> serde_json::Value {
    use serde_json::json;
    match rng.below(20) {
        0 => json!(null),
        1 => json!(true),
        2 => json!(0),
        3 => json!(-1),
        4 => json!(1),
        5 => json!(1e12),
        6 => json!(4611686018427387904u64),
        7 => json!(u64::MAX),
        8 => json!(-1e308),
        9 => json!(0.5),
        10 => json!(""),
        11 => json!("x"),
        12 => json!("[UNK]"),
        13 => json!("é".repeat(5000)),
        14 => json!([]),
        15 => json!({}),
        16 => json!([[1, 2], {"a": null}]),
        17 => json!({"type": "Nonsense"}),
        18 => json!(4294967295u64),
        _ => json!(rng.next() % 100_000),
    }
}

/// One random structural mutation of a JSON document; returns a description.
pub fn mutate_json(rng: &mut Rng, v: &mut serde_json::Value) -> String {
    let mut paths = Vec::new();
    json_paths(rng, v, &mut Vec::new(), &mut paths);
    let path = rng.pick(&paths).clone();
    let op = rng.below(6);
    if op == 0 && !path.is_empty() {
        // remove the node from its parent
        let (last, parent) = path.split_last().unwrap();
        if let Some(p) = at(v, parent) {
            match (p, last) {
                (serde_json::Value::Object(m), Seg::Key(k)) => {
                    m.remove(k);
                }
                (serde_json::Value::Array(a), Seg::Idx(i)) if *i < a.len() => {
                    a.remove(*i);
                }
                _ => {}
            }
        }
        return format!("remove {}", show(&path));
    }
    let new = if op == 1 {
        // a number nudged: off by one, negated, or scaled
        match at(v, &path).and_then(|n| n.as_f64()) {
            Some(x) => serde_json::json!(*rng.pick(&[x + 1.0, x - 1.0, -x, x * 1e6, 0.0, x / 3.0])),
            None => interesting_json(rng),
        }
    } else {
        interesting_json(rng)
    };
    let desc = format!("{} = {}", show(&path), new.to_string().chars().take(40).collect::<String>());
    if let Some(n) = at(v, &path) {
        *n = new;
    }
    desc
}

/// A case that writes `bytes` (computed when the case runs) to `dir/file`.
pub fn file_case(
    name: String,
    expect: Expect,
    file: &'static str,
    bytes: impl Fn() -> Vec<u8> + Send + Sync + 'static,
) -> Case {
    Case {
        name,
        expect,
        make: Box::new(move |dir: &Path| {
            let p = dir.join(file);
            let b = bytes();
            std::fs::write(&p, &b).expect("write case");
            Made { input: p, must_name: file.to_string(), size: b.len() as u64, note: String::new() }
        }),
    }
}

/// `count` random cases, each `base` mutated by `mutate` (with its own seeded generator)
/// when the case runs; the mutation's description is the case's note.
pub fn random_cases(
    format: &'static str,
    count: usize,
    seed: u64,
    file: &'static str,
    base: Arc<Vec<u8>>,
    mutate: impl Fn(&mut Rng, &mut Vec<u8>) -> String + Send + Sync + Clone + 'static,
) -> Vec<Case> {
    (0..count)
        .map(|i| {
            let (base, mutate) = (base.clone(), mutate.clone());
            Case {
                name: format!("random {i:03}"),
                expect: Expect::Any,
                make: Box::new(move |dir: &Path| {
                    let mut r = Rng::new(seed, &format!("{format}-{i}"));
                    let mut b = (*base).clone();
                    let note = mutate(&mut r, &mut b);
                    let p = dir.join(file);
                    std::fs::write(&p, &b).expect("write case");
                    Made { input: p, must_name: file.to_string(), size: b.len() as u64, note }
                }),
            }
        })
        .collect()
}

/// A folder `dir/name` with every file of `src` linked in (`ln -s`), except the ones given.
pub fn linked_folder(src: &Path, dir: &Path, name: &str, replaced: &[(&str, &[u8])]) -> PathBuf {
    let out = dir.join(name);
    link_tree(src, &out, Path::new(""), replaced);
    for (rel, bytes) in replaced {
        let p = out.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        let _ = std::fs::remove_file(&p);
        std::fs::write(&p, bytes).unwrap();
    }
    out
}

fn link_tree(src: &Path, out: &Path, rel: &Path, replaced: &[(&str, &[u8])]) {
    std::fs::create_dir_all(out.join(rel)).unwrap();
    for e in std::fs::read_dir(src.join(rel)).unwrap().flatten() {
        let r = rel.join(e.file_name());
        if e.path().is_dir() {
            link_tree(src, out, &r, replaced);
        } else if !replaced.iter().any(|(p, _)| Path::new(p) == r) {
            std::os::unix::fs::symlink(e.path(), out.join(&r)).unwrap();
        }
    }
}

/// A file of the workshop's data (`data/…`), or `None` with a printed reason — a failure under
/// `CI=true`, where scripts/run.sh has fetched and simulated everything.
pub fn workshop_file(rel: &str) -> Option<Vec<u8>> {
    let p = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("data").join(rel);
    match std::fs::read(&p) {
        Ok(b) => Some(b),
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "{}: {e} (scripts/run.sh fetches and simulates the data)",
                p.display()
            );
            println!("skipped: {} ({e})", p.display());
            None
        }
    }
}
