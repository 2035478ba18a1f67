//! EEG readers: `read_raw_bdf` / `read_raw_edf` then `find_events` and `Epochs::new`, and
//! `read_raw_muse_csv`, on damaged copies of the workshop's own files (the simulated BDF cut
//! to its first records, BrainVision's EDF+ export, a Muse CSV cut to its first rows).
//!
//! `find_events` and `Epochs::new` work on a loaded `Raw`, which does not know its file: their
//! errors are reported as "after reading <file>: …" (in a notebook the learner knows which
//! recording the cell used); the readers' own errors must name the file themselves.

use std::path::Path;
use std::sync::Arc;

use brainml::eeg::{find_events, Epochs, Raw};

use super::{file_case, mutate_bytes, random_cases, workshop_file, Case, Expect, Format, Rng};

fn after(p: &Path, e: brainml::Error) -> String {
    format!("after reading {}: {e}", p.display())
}

/// Read, find events on the stim channel (if any), cut epochs around the first code.
fn read_and_epoch(p: &Path, raw: Raw) -> Result<String, String> {
    let stim = raw
        .ch_names()
        .iter()
        .zip(raw.ch_types())
        .find(|(_, t)| **t == brainml::eeg::ChannelType::Stim)
        .map(|(n, _)| n.clone());
    let Some(stim) = stim else {
        return Ok(format!("{} channels × {} samples, no stim channel", raw.ch_names().len(), raw.n_times()));
    };
    let ev = find_events(&raw, &stim).map_err(|e| after(p, e))?;
    let code = ev.codes()[0];
    let ep = Epochs::new(&raw, &ev, &[("first", code)], -0.2, 0.5).map_err(|e| after(p, e))?;
    Ok(format!(
        "{} channels × {} samples, {} events, {} epochs",
        raw.ch_names().len(),
        raw.n_times(),
        ev.len(),
        ep.len()
    ))
}

pub fn run_bdf(p: &Path) -> Result<String, String> {
    let raw = brainml::eeg::io::read_raw_bdf(p).map_err(|e| e.to_string())?;
    read_and_epoch(p, raw)
}

pub fn run_edf(p: &Path) -> Result<String, String> {
    let raw = brainml::eeg::io::read_raw_edf(p).map_err(|e| e.to_string())?;
    read_and_epoch(p, raw)
}

pub fn run_muse(p: &Path) -> Result<String, String> {
    let raw = brainml::eeg::io::read_raw_muse_csv(p).map_err(|e| e.to_string())?;
    read_and_epoch(p, raw)
}

/// Byte offsets of header fields (EDF spec): the fixed part, then per-signal fields stored
/// field by field.
struct Layout {
    ns: usize,
}

impl Layout {
    fn of(b: &[u8]) -> Layout {
        let ns = std::str::from_utf8(&b[252..256]).ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1);
        Layout { ns }
    }
    fn header_len(&self) -> usize {
        256 * (self.ns + 1)
    }
    /// offset of signal field `k` (0 label … 8 samples per record, 9 reserved) of signal `i`
    fn signal(&self, k: usize, i: usize) -> usize {
        let widths = [16usize, 80, 8, 8, 8, 8, 8, 80, 8, 32];
        256 + widths[..k].iter().sum::<usize>() * self.ns + widths[k] * i
    }
}

fn put(b: &mut [u8], at: usize, width: usize, text: &str) {
    let mut f = text.as_bytes().to_vec();
    f.resize(width, b' ');
    b[at..at + width].copy_from_slice(&f[..width]);
}

/// The simulated BDF cut to its first `records` data records (a valid, real BDF of ~0.4 MB).
fn small_bdf(full: &[u8], records: usize) -> Vec<u8> {
    let l = Layout::of(full);
    let spr: usize = (0..l.ns)
        .map(|i| {
            std::str::from_utf8(&full[l.signal(8, i)..l.signal(8, i) + 8])
                .unwrap()
                .trim()
                .parse::<usize>()
                .unwrap()
        })
        .sum();
    let mut b = full[..l.header_len() + records * spr * 3].to_vec();
    put(&mut b, 236, 8, &records.to_string());
    b
}

/// Hand-made cases for every class of issue 15 that reaches an EDF/BDF reader.
fn hand_cases(base: &Arc<Vec<u8>>, file: &'static str) -> Vec<Case> {
    let l = Layout::of(base);
    let hl = l.header_len();
    let mut cases = Vec::new();
    let mut edit = |name: &str, expect: Expect, f: Box<dyn Fn(&mut Vec<u8>) + Send + Sync>| {
        let base = base.clone();
        cases.push(file_case(name.into(), expect, file, move || {
            let mut b = (*base).clone();
            f(&mut b);
            b
        }));
    };
    edit("valid", Expect::Ok, Box::new(|_| {}));
    for d in ["1e-9", "1e-300", "1e-6", "0", "-1", "nan", "inf", "1e300"] {
        edit(&format!("record duration {d}"), Expect::Error, Box::new(move |b| put(b, 244, 8, d)));
    }
    edit(
        "header only, 16777216 samples per record",
        Expect::Error,
        Box::new(move |b| {
            b.truncate(hl);
            let l = Layout::of(b);
            for i in 0..l.ns {
                put(b, l.signal(8, i), 8, "16777216");
            }
            put(b, 236, 8, "-1");
        }),
    );
    edit(
        "header only, n_records 1",
        Expect::Error,
        Box::new(move |b| {
            b.truncate(hl);
            put(b, 236, 8, "1");
        }),
    );
    edit("n_records 99999999", Expect::Error, Box::new(|b| put(b, 236, 8, "99999999")));
    edit("n_records 0", Expect::Error, Box::new(|b| put(b, 236, 8, "0")));
    edit("n_records -5", Expect::Error, Box::new(|b| put(b, 236, 8, "-5")));
    edit(
        "cut mid-record",
        Expect::Error,
        Box::new(|b| {
            let n = b.len();
            b.truncate(n - 7);
        }),
    );
    edit("cut in the header", Expect::Error, Box::new(move |b| b.truncate(hl / 2)));
    edit("cut in the fixed header", Expect::Error, Box::new(|b| b.truncate(100)));
    edit("empty file", Expect::Error, Box::new(|b| b.clear()));
    edit("header bytes wrong", Expect::Error, Box::new(|b| put(b, 184, 8, "256")));
    edit("signals 0", Expect::Error, Box::new(|b| put(b, 252, 4, "0")));
    edit("signals 9999", Expect::Error, Box::new(|b| put(b, 252, 4, "9999")));
    edit("version garbage", Expect::Error, Box::new(|b| b[0] = b'X'));
    edit(
        "samples per record 0",
        Expect::Error,
        Box::new(move |b| {
            let l = Layout::of(b);
            put(b, l.signal(8, 0), 8, "0");
        }),
    );
    edit(
        "samples per record not a number",
        Expect::Error,
        Box::new(move |b| {
            let l = Layout::of(b);
            put(b, l.signal(8, 0), 8, "12x");
        }),
    );
    edit(
        "digital max = min",
        Expect::Error,
        Box::new(move |b| {
            let l = Layout::of(b);
            let v = String::from_utf8_lossy(&b[l.signal(5, 0)..l.signal(5, 0) + 8]).to_string();
            put(b, l.signal(6, 0), 8, v.trim());
        }),
    );
    edit(
        "physical range NaN",
        Expect::Error,
        Box::new(move |b| {
            let l = Layout::of(b);
            put(b, l.signal(3, 0), 8, "nan");
        }),
    );
    edit(
        "binary in a label",
        Expect::Error,
        Box::new(move |b| {
            let l = Layout::of(b);
            let at = l.signal(0, 0);
            b[at..at + 4].copy_from_slice(&[0xff, 0xfe, 0x01, 0x02]);
        }),
    );
    edit(
        "two channels with one name",
        Expect::Error,
        Box::new(move |b| {
            let l = Layout::of(b);
            if l.ns > 1 {
                let first = b[l.signal(0, 0)..l.signal(0, 0) + 16].to_vec();
                let at = l.signal(0, 1);
                b[at..at + 16].copy_from_slice(&first);
            } else {
                b.clear();
            }
        }),
    );
    cases
}

pub fn formats(random: usize, seed: u64) -> Vec<Format> {
    let mut out = Vec::new();
    if let Some(full) = workshop_file("simulated/sub-01/eeg/sub-01_task-faces_eeg.bdf") {
        let base = Arc::new(small_bdf(&full, 4));
        drop(full);
        let mut cases = hand_cases(&base, "recording.bdf");
        let hl = Layout::of(&base).header_len();
        cases.extend(random_cases(
            "bdf",
            random,
            seed,
            "recording.bdf",
            base,
            move |rng: &mut Rng, b: &mut Vec<u8>| mutate_bytes(rng, b, 0, hl),
        ));
        out.push(Format { name: "bdf", cases });
    }
    if let Some(edf) = workshop_file("public/eeg-formats/bv_export_edf+.edf") {
        let base = Arc::new(edf);
        let mut cases = hand_cases(&base, "recording.edf");
        // EDF+ annotation junk: the TAL signal's bytes of the first record overwritten
        let b2 = base.clone();
        cases.push(file_case("EDF+ annotations garbage".into(), Expect::Error, "recording.edf", move || {
            // the "EDF Annotations" signal of the first record overwritten with binary junk
            let mut b = (*b2).clone();
            let l = Layout::of(&b);
            let field = |b: &[u8], k: usize, i: usize, w: usize| {
                String::from_utf8_lossy(&b[l.signal(k, i)..l.signal(k, i) + w]).trim().to_string()
            };
            let mut off = l.header_len();
            for i in 0..l.ns {
                let spr: usize = field(&b, 8, i, 8).parse().unwrap_or(0);
                if field(&b, 0, i, 16) == "EDF Annotations" {
                    for (j, v) in b[off..off + 2 * spr].iter_mut().enumerate() {
                        *v = (j as u8).wrapping_mul(37) | 0x80;
                    }
                    return b;
                }
                off += 2 * spr;
            }
            panic!("bv_export_edf+.edf has no EDF Annotations signal");
        }));
        let hl = Layout::of(&base).header_len();
        let n = base.len();
        cases.extend(random_cases(
            "edf",
            random,
            seed,
            "recording.edf",
            base,
            move |rng: &mut Rng, b: &mut Vec<u8>| {
                if rng.chance(0.8) {
                    mutate_bytes(rng, b, 0, hl)
                } else {
                    mutate_bytes(rng, b, hl, n)
                }
            },
        ));
        out.push(Format { name: "edf", cases });
    }
    if let Some(csv) = workshop_file("public/eeg-n170-muse/subject1/session1/data_2017-09-13-15.30.01.csv") {
        // the header and the first 3000 rows (about 12 s, with events)
        let text = String::from_utf8_lossy(&csv).to_string();
        let head: String = text.lines().take(3001).map(|l| format!("{l}\n")).collect();
        let base = Arc::new(head.into_bytes());
        let mut cases = vec![];
        let hand: Vec<(&str, Expect, Box<dyn Fn(&str) -> String + Send + Sync>)> = vec![
            ("valid", Expect::Ok, Box::new(|t: &str| t.to_string())),
            (
                "a ragged line",
                Expect::Error,
                Box::new(|t: &str| {
                    let mut l: Vec<String> = t.lines().map(str::to_string).collect();
                    let cut = l[50].rsplit_once(',').map(|x| x.0.to_string()).unwrap_or_default();
                    l[50] = cut;
                    l.join("\n")
                }),
            ),
            (
                "latin-1 byte",
                Expect::Error,
                Box::new(|t: &str| t.replacen(",", ",\u{0}", 1).replace('\u{0}', "\u{e9}")),
            ),
            (
                "a NaN value",
                Expect::Error,
                Box::new(|t: &str| {
                    let mut l: Vec<String> = t.lines().map(str::to_string).collect();
                    let mut f: Vec<String> = l[10].split(',').map(str::to_string).collect();
                    f[2] = "NaN".into();
                    l[10] = f.join(",");
                    l.join("\n")
                }),
            ),
            ("a column missing", Expect::Error, Box::new(|t: &str| t.replacen("TP10", "TPX", 1))),
            ("a duplicated column", Expect::Error, Box::new(|t: &str| t.replacen("AF8", "AF7", 1))),
            (
                "only the header",
                Expect::Error,
                Box::new(|t: &str| t.lines().next().unwrap_or("").to_string()),
            ),
            ("empty", Expect::Error, Box::new(|_| String::new())),
            (
                "text in a number column",
                Expect::Error,
                Box::new(|t: &str| {
                    let mut l: Vec<String> = t.lines().map(str::to_string).collect();
                    let mut f: Vec<String> = l[20].split(',').map(str::to_string).collect();
                    f[1] = "ten".into();
                    l[20] = f.join(",");
                    l.join("\n")
                }),
            ),
        ];
        for (name, expect, f) in hand {
            let b = base.clone();
            cases.push(file_case(name.into(), expect, "muse.csv", move || {
                let t = String::from_utf8_lossy(&b).to_string();
                let mut out = f(&t).into_bytes();
                if name == "latin-1 byte" {
                    // a lone Latin-1 é, not UTF-8
                    if let Some(p) = out.iter().position(|&c| c == 0xc3) {
                        out.splice(p..p + 2, [0xe9]);
                    }
                }
                out
            }));
        }
        let n = base.len();
        cases.extend(random_cases(
            "muse",
            random,
            seed,
            "muse.csv",
            base,
            move |rng: &mut Rng, b: &mut Vec<u8>| {
                if rng.chance(0.5) {
                    mutate_bytes(rng, b, 0, 200)
                } else {
                    mutate_bytes(rng, b, 0, n)
                }
            },
        ));
        out.push(Format { name: "muse-csv", cases });
    }
    out
}
