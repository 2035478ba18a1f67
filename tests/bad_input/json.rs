//! `read_json` (a model's JSON files) and the manifest (`data/manifest.tsv`).

use std::path::Path;
use std::sync::Arc;

use super::{file_case, mutate_bytes, mutate_json, random_cases, Expect, Format, Rng};

pub fn run_json(p: &Path) -> Result<String, String> {
    brainml::data::read_json(p)
        .map(|j| format!("{} bytes of JSON", j.to_string().len()))
        .map_err(|e| e.to_string())
}

pub fn run_manifest(p: &Path) -> Result<String, String> {
    brainml::data::Manifest::load(p)
        .map(|m| format!("{} entries", m.entries.len()))
        .map_err(|e| e.to_string())
}

pub fn json_format(models: &Path, random: usize, seed: u64) -> Format {
    let base =
        Arc::new(std::fs::read(models.join("all-minilm-l6-v2/data_config.json")).expect("data_config.json"));
    let b = base.clone();
    let mut cases =
        vec![file_case("valid data_config.json".into(), Expect::Ok, "data.json", move || (*b).clone())];
    let hand: Vec<(&str, Vec<u8>)> = vec![
        ("invalid utf-8 in a string", {
            let mut v = (*base).clone();
            v[100] = 0xff;
            v
        }),
        ("truncated in the middle", base[..base.len() / 2].to_vec()),
        ("empty file", vec![]),
        ("binary garbage", (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect()),
        ("nesting 100 000 deep", "[".repeat(100_000).into_bytes()),
        ("number 1e400", b"{\"a\": 1e400}".to_vec()),
        ("trailing garbage", [&base[..], b"}}]"].concat()),
        ("UTF-8 byte order mark", [&b"\xef\xbb\xbf"[..], &base[..]].concat()),
        ("UTF-16 text", base.iter().flat_map(|&c| [c, 0]).collect()),
    ];
    for (name, bytes) in hand {
        let bytes = Arc::new(bytes);
        cases.push(file_case(
            name.into(),
            if name.starts_with("UTF-8 byte") { Expect::Any } else { Expect::Error },
            "data.json",
            move || (*bytes).clone(),
        ));
    }
    let n = base.len();
    cases.extend(random_cases(
        "json",
        random,
        seed,
        "data.json",
        base,
        move |rng: &mut Rng, b: &mut Vec<u8>| {
            if rng.chance(0.5) {
                if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(b) {
                    let d = mutate_json(rng, &mut v);
                    *b = serde_json::to_vec_pretty(&v).unwrap();
                    return d;
                }
            }
            mutate_bytes(rng, b, 0, n)
        },
    ));
    Format { name: "json", cases }
}

pub fn manifest_format(random: usize, seed: u64) -> Format {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let base = Arc::new(std::fs::read(root.join("data/manifest.tsv")).expect("data/manifest.tsv"));
    let text = String::from_utf8((*base).clone()).unwrap();
    let b = base.clone();
    let mut cases =
        vec![file_case("valid manifest".into(), Expect::Ok, "manifest.tsv", move || (*b).clone())];
    let field = |line: &str, i: usize, v: &str| -> String {
        let mut f: Vec<&str> = line.split('\t').collect();
        f[i] = v;
        f.join("\t")
    };
    let data_line = text.lines().find(|l| l.contains("\tfile\t")).unwrap_or("").to_string();
    let hand: Vec<(&str, String)> = vec![
        ("wrong header", text.replacen("name\tkind\tsource\tsha256", "name\tkind\tsource\tsha", 1)),
        ("name escaping with ..", text.replacen(&data_line, &format!("../{data_line}"), 1)),
        ("absolute name", text.replacen(&data_line, &format!("/{data_line}"), 1)),
        ("bad sha256", text.replacen(&data_line, &field(&data_line, 3, "xyz"), 1)),
        ("bad kind", text.replacen("\tfile\t", "\tfolder\t", 1)),
        ("missing column", text.replacen(&data_line, data_line.rsplit_once('\t').map_or("", |x| x.0), 1)),
        ("empty file", String::new()),
        ("only comments", "# nothing\n".into()),
    ];
    for (name, t) in hand {
        let t = Arc::new(t.into_bytes());
        cases.push(file_case(name.into(), Expect::Error, "manifest.tsv", move || (*t).clone()));
    }
    let inv = {
        let mut v = (*base).clone();
        let p = v.len() / 2;
        v[p] = 0xfe;
        Arc::new(v)
    };
    cases.push(file_case("invalid utf-8".into(), Expect::Error, "manifest.tsv", move || (*inv).clone()));
    let bin: Arc<Vec<u8>> =
        Arc::new((0..8192u32).map(|i| (i.wrapping_mul(2246822519) >> 11) as u8).collect());
    cases.push(file_case("binary garbage".into(), Expect::Error, "manifest.tsv", move || (*bin).clone()));
    let n = base.len();
    cases.extend(random_cases(
        "manifest",
        random,
        seed,
        "manifest.tsv",
        base,
        move |rng: &mut Rng, b: &mut Vec<u8>| {
            if rng.chance(0.4) {
                // swap or damage one field of one line
                let text = String::from_utf8_lossy(b).to_string();
                let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
                let i = rng.below(lines.len());
                let mut f: Vec<String> = lines[i].split('\t').map(str::to_string).collect();
                let j = rng.below(f.len());
                f[j] = rng
                    .pick(&["", "-", "..", "a/../../b", "/etc/passwd", "\t", "wheel", "file", "0", "é\u{0}x"])
                    .to_string();
                lines[i] = f.join("\t");
                *b = (lines.join("\n") + "\n").into_bytes();
                return format!("line {} field {j}", i + 1);
            }
            mutate_bytes(rng, b, 0, n)
        },
    ));
    Format { name: "manifest", cases }
}
