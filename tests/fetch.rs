//! `brainml fetch` against a local HTTP server on 127.0.0.1 (no network needed): downloads,
//! re-runs, a wrong checksum, a 404, an unreachable URL, an unknown name and an unwritable
//! target — each a clear error naming the file, with nothing left behind.
#![cfg(feature = "cli")]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;

use brainml::data::fetch::{sha256_file, Fetcher, Outcome};

/// Serve files under `root` on 127.0.0.1 until the test process ends; returns the base URL.
fn serve(root: PathBuf) -> String {
    let server = tiny_http::Server::http("127.0.0.1:0").unwrap();
    let port = server.server_addr().to_ip().unwrap().port();
    thread::spawn(move || {
        for req in server.incoming_requests() {
            let rel = req.url().trim_start_matches('/').replace("%2B", "+");
            let path = root.join(&rel);
            let resp = match (rel.contains(".."), fs::read(&path)) {
                (false, Ok(bytes)) => tiny_http::Response::from_data(bytes).with_status_code(200),
                _ => tiny_http::Response::from_data(b"not found".to_vec()).with_status_code(404),
            };
            let _ = req.respond(resp);
        }
    });
    format!("http://127.0.0.1:{port}")
}

struct Setup {
    _tmp: tempfile::TempDir,
    data: PathBuf,
    mirror: PathBuf,
}

fn files() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("set/a.csv", b"timestamps,TP9\n0,1.5\n".to_vec()),
        ("set/sub/b.bin", (0..=255u8).cycle().take(200_000).collect()),
    ]
}

/// A mirror folder with two files, served over HTTP, and a data folder whose manifest
/// points at the server (plus one wrong-hash entry, one missing and one unreachable).
fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let mirror = tmp.path().join("mirror");
    let data = tmp.path().join("data");
    fs::create_dir_all(&data).unwrap();
    for (name, bytes) in files() {
        let p = mirror.join(name);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, bytes).unwrap();
    }
    let url = serve(mirror.clone());
    // a port nobody listens on: bind, read the port, close
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut m = String::from("name\tkind\tsource\tsha256\tlicence\textract\n");
    for (name, _) in files() {
        let h = sha256_file(&mirror.join(name)).unwrap();
        m += &format!("{name}\tfile\t{url}/{name}\t{h}\tMIT\t-\n");
    }
    m += &format!("bad/hash.csv\tfile\t{url}/set/a.csv\t{}\tMIT\t-\n", "0".repeat(64));
    m += &format!("bad/missing.csv\tfile\t{url}/set/missing.csv\t{}\tMIT\t-\n", "1".repeat(64));
    m += &format!("bad/dead.csv\tfile\thttp://127.0.0.1:{dead}/x.csv\t{}\tMIT\t-\n", "2".repeat(64));
    fs::write(data.join("manifest.tsv"), m).unwrap();
    Setup { _tmp: tmp, data, mirror }
}

fn fetcher(s: &Setup) -> Fetcher {
    Fetcher {
        data_dir: s.data.clone(),
        mirror: None,
        mirror_url: None,
        python: "python3".into(),
        verbose: false,
    }
}

/// Every file under `dir`, to prove failed fetches leave nothing behind.
fn listing(dir: &Path) -> Vec<String> {
    let mut out = vec![];
    if let Ok(rd) = fs::read_dir(dir) {
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                out.extend(listing(&p));
            } else {
                out.push(p.display().to_string());
            }
        }
    }
    out.sort();
    out
}

#[test]
fn downloads_verifies_and_skips_on_rerun() {
    let s = setup();
    let f = fetcher(&s);
    let got = f.fetch(&["set".into()]).unwrap();
    assert_eq!(got.iter().map(|g| g.1).collect::<Vec<_>>(), vec![Outcome::Downloaded; 2]);
    for (name, bytes) in files() {
        assert_eq!(fs::read(s.data.join("public").join(name)).unwrap(), bytes);
    }
    let again = f.fetch(&["set".into()]).unwrap();
    assert!(again.iter().all(|g| g.1 == Outcome::AlreadyThere));
    // a damaged local copy is fetched again
    fs::write(s.data.join("public/set/a.csv"), b"garbage").unwrap();
    assert_eq!(f.fetch(&["set/a.csv".into()]).unwrap()[0].1, Outcome::Downloaded);
}

#[test]
fn copies_from_mirror_folder_and_falls_back_to_url_when_mirror_is_corrupt() {
    let s = setup();
    let mut f = fetcher(&s);
    f.mirror = Some(s.mirror.clone());
    assert_eq!(f.fetch(&["set/a.csv".into()]).unwrap()[0].1, Outcome::CopiedFromMirror);
    // corrupt mirror copy of b: the URL (served from a good copy) is used instead
    let good = s._tmp.path().join("good");
    fs::create_dir_all(good.join("set/sub")).unwrap();
    fs::copy(s.mirror.join("set/sub/b.bin"), good.join("set/sub/b.bin")).unwrap();
    let good_url = serve(good);
    fs::write(s.mirror.join("set/sub/b.bin"), b"corrupt").unwrap();
    f.mirror_url = Some(good_url);
    assert_eq!(f.fetch(&["set/sub/b.bin".into()]).unwrap()[0].1, Outcome::Downloaded);
}

#[test]
fn wrong_checksum_404_and_unreachable_are_clear_errors_leaving_nothing() {
    let s = setup();
    let f = fetcher(&s);
    for (name, expect) in [
        ("bad/hash.csv", "SHA-256 mismatch"),
        ("bad/missing.csv", "HTTP 404"),
        ("bad/dead.csv", "unreachable"),
    ] {
        let e = f.fetch(&[name.into()]).unwrap_err().to_string();
        assert!(e.contains(name) && e.contains(expect), "{name}: {e}");
        assert_eq!(e.lines().count(), 1, "one-line error: {e}");
    }
    assert!(listing(&s.data.join("public")).is_empty(), "left behind: {:?}", listing(&s.data.join("public")));
}

#[test]
fn unknown_name_and_unwritable_target() {
    let s = setup();
    let e = fetcher(&s).fetch(&["nonsense".into()]).unwrap_err().to_string();
    assert!(e.contains("nonsense") && e.contains("not in the manifest"), "{e}");
    // a file where the data folder's `public/` should be: nothing can be written there
    fs::write(s.data.join("public"), b"in the way").unwrap();
    let e = fetcher(&s).fetch(&["set/a.csv".into()]).unwrap_err().to_string();
    assert!(e.contains("public"), "{e}");
}

#[test]
fn command_line_errors_are_one_line_naming_the_file() {
    let s = setup();
    let out = Command::new(env!("CARGO_BIN_EXE_brainml"))
        .args(["--data-dir"])
        .arg(&s.data)
        .args(["fetch", "--no-mirror", "bad/missing.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "{err}");
    assert!(err.contains("bad/missing.csv") && err.contains("404"), "{err}");
    // an unwritable target (a file where the `public/` folder must go; root ignores modes)
    let _ = fs::remove_dir_all(s.data.join("public"));
    fs::write(s.data.join("public"), b"in the way").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_brainml"))
        .arg("--data-dir")
        .arg(&s.data)
        .args(["fetch", "--no-mirror", "set/a.csv"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("public") && err.trim().lines().count() == 1, "{err}");
}

/// The real mirror (../shared/data) served over HTTP, fetched through the real manifest. Without
/// a mirror the already fetched `data/public/` (same layout) is served; with neither the test is
/// skipped, except under `CI=true` (scripts/test.sh fetches the data first), where it fails.
#[test]
fn real_mirror_over_http() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mirror = [root.join("../shared/data"), root.join("data/public")]
        .into_iter()
        .find(|m| m.join("fmri-haxby2001/attributes.txt").is_file() && m.join("eeg-formats").is_dir());
    let Some(mirror) = mirror else {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "neither ../shared/data nor data/public holds the files (scripts/run.sh fetches them)"
        );
        eprintln!("no mirror and no fetched data: skipped");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    fs::copy(root.join("data/manifest.tsv"), tmp.path().join("manifest.tsv")).unwrap();
    let f = Fetcher {
        data_dir: tmp.path().to_path_buf(),
        mirror: None,
        mirror_url: Some(serve(mirror.clone())),
        python: "python3".into(),
        verbose: false,
    };
    let got =
        f.fetch(&["fmri-haxby2001/attributes.txt".into(), "eeg-formats/bv_export_edf+.edf".into()]).unwrap();
    assert!(got.iter().all(|g| g.1 == Outcome::Downloaded), "{got:?}");
    assert_eq!(
        fs::read(tmp.path().join("public/fmri-haxby2001/attributes.txt")).unwrap(),
        fs::read(mirror.join("fmri-haxby2001/attributes.txt")).unwrap()
    );
}
