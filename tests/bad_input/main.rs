//! Hostile files (issue 15): a seeded corpus of malformed inputs fed to brainml's loaders, each
//! case in a child process with an address-space limit and a timeout.
//!
//! `cargo test --all-features --test bad_input` generates the corpus from the real files in
//! `data/models` (and `data/manifest.tsv`) into a temporary folder, one case at a time (so a
//! 100 MB model is never copied hundreds of times onto the disk), and runs every case by
//! re-executing this binary as `bad_input --child <format> <input>` under `ulimit -v`
//! (RLIMIT_AS: the valid input's peak address space + 4 × the case's input size + 64 MiB for
//! extra threads' stacks) with a 20 s
//! timeout. The test fails on any panic, abort, signal, timeout, allocation failure, on an
//! error message that does not name the damaged file or shows a dependency's Debug-formatted
//! error (`Io(…)`, `Custom { … }`: counted as "unnamed"), and on a hand-made "must be refused"
//! case that loads. A summary table is printed at the end.
//!
//! Formats: the manifest, model JSON, tokenizer.json, GGUF, BERT folders and wheels (`json.rs`,
//! `llm.rs`, `wheel.rs`); BDF, EDF and Muse CSV (`eeg.rs`); NIfTI (.nii, .nii.gz, masks) and
//! the fMRI tables (`fmri.rs`). Adding a format is one more module with a `format()` returning
//! its cases and one entry in [`runner`] naming the function a child runs on one input.
//!
//! Environment: `BRAINML_BAD_INPUT_RANDOM=N` random cases per format (default 300),
//! `BRAINML_BAD_INPUT_SEED` (default 15), `BRAINML_BAD_INPUT_FORMATS=gguf,bert` some formats only, `BRAINML_BAD_INPUT_ONLY=<substring>` runs the cases
//! whose name contains it, `BRAINML_BAD_INPUT_KEEP=<dir>` keeps each failing case's input there,
//! `BRAINML_BAD_INPUT_JOBS` (default: the number of cores), `BRAINML_BAD_INPUT_SELFTEST=1` first
//! checks that the harness catches a panic, an abort, a hang, an allocation failure and an
//! unnamed file. Under `CI=true` missing model files
//! fail the test; otherwise their formats are skipped with a printed reason.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[cfg(feature = "eeg")]
mod eeg;
#[cfg(feature = "fmri")]
mod fmri;
mod gen;
mod json;
#[cfg(feature = "llm")]
mod llm;
#[cfg(feature = "llm")]
mod upstream;
#[cfg(all(feature = "cli", feature = "fmri"))] // fmri: flate2, to write deflated entries
mod wheel;

pub use gen::*;

/// What a hand-made case must do.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// either outcome, as long as it is clean (random mutations)
    Any,
    /// must be refused with an error
    Error,
    /// must load (the valid file, or a file that is odd but correct)
    Ok,
}

/// The input of one case, written into its own folder.
pub struct Made {
    /// what the loader is given (a file or a folder)
    pub input: PathBuf,
    /// the name an error message must contain (the damaged file's name)
    pub must_name: String,
    /// bytes of the damaged input (for the memory bound)
    pub size: u64,
    /// what was done to it (random cases)
    pub note: String,
}

pub struct Case {
    pub name: String,
    pub expect: Expect,
    pub make: Box<dyn Fn(&Path) -> Made + Send + Sync>,
}

pub struct Format {
    pub name: &'static str,
    pub cases: Vec<Case>,
}

/// The loader a child runs on one input of `format`: `Ok(summary)` or `Err(message)`.
fn runner(format: &str) -> Option<fn(&Path) -> Result<String, String>> {
    Some(match format {
        "json" => json::run_json,
        "manifest" => json::run_manifest,
        #[cfg(feature = "llm")]
        "tokenizer.json" => llm::run_tokenizer,
        #[cfg(feature = "llm")]
        "gguf" => llm::run_gguf,
        #[cfg(feature = "llm")]
        "bert" => llm::run_bert,
        #[cfg(all(feature = "cli", feature = "fmri"))]
        "wheel" => wheel::run,
        #[cfg(feature = "eeg")]
        "bdf" => eeg::run_bdf,
        #[cfg(feature = "eeg")]
        "edf" => eeg::run_edf,
        #[cfg(feature = "eeg")]
        "muse-csv" => eeg::run_muse,
        #[cfg(feature = "fmri")]
        "nifti" | "nifti-gz" => fmri::run_img,
        #[cfg(feature = "fmri")]
        "mask" => fmri::run_mask,
        #[cfg(feature = "fmri")]
        "events.tsv" => fmri::run_events,
        #[cfg(feature = "fmri")]
        "attributes" => fmri::run_attributes,
        #[cfg(feature = "fmri")]
        "motion" => fmri::run_motion,
        // the harness's own check (BRAINML_BAD_INPUT_SELFTEST=1): each must be caught
        "selftest-panic" => |_| panic!("deliberate"),
        "selftest-abort" => |_| std::process::abort(),
        "selftest-hang" => |_| loop {
            std::thread::sleep(Duration::from_secs(1));
        },
        "selftest-oom" => |_| Ok(format!("{}", vec![1u8; 1 << 40].len())),
        "selftest-unnamed" => |_| Err("something went wrong".into()),
        _ => return None,
    })
}

/// The harness catches what it should: a panic, an abort, a hang, an allocation over the
/// bound, an error that does not name the file.
fn selftest(exe: &Path, dir: &Path) -> bool {
    let mut ok = true;
    for (format, want) in [
        ("selftest-panic", Outcome::Panic),
        ("selftest-abort", Outcome::Signal(6)),
        ("selftest-hang", Outcome::Timeout),
        ("selftest-oom", Outcome::OutOfMemory),
        ("selftest-unnamed", Outcome::Unnamed),
    ] {
        let case = file_case("selftest".into(), Expect::Any, "input.bin", || b"x".to_vec());
        let d = dir.join(format);
        std::fs::create_dir_all(&d).expect("dir");
        let (ran, _) = run_case(exe, format, &case, &d, 1 << 20);
        println!("selftest {format:<18} {:?} (expected {want:?})", ran.outcome);
        ok &= ran.outcome == want;
    }
    ok
}

fn formats(models: Option<&Path>, random: usize, seed: u64) -> Vec<Format> {
    let mut out = vec![json::manifest_format(random, seed)];
    #[cfg(feature = "eeg")]
    out.extend(eeg::formats(random, seed));
    #[cfg(feature = "fmri")]
    out.extend(fmri::formats(random, seed));
    if let Some(m) = models {
        out.push(json::json_format(m, random, seed));
        #[cfg(feature = "llm")]
        out.extend(llm::formats(m, random, seed));
        #[cfg(all(feature = "cli", feature = "fmri"))]
        out.push(wheel::format(m, random, seed));
    }
    out
}

const TIMEOUT: Duration = Duration::from_secs(20);
/// Address space allowed beyond the bound for extra threads' stacks (8 threads × 8 MiB).
const THREAD_SLACK_KB: u64 = 64 << 10;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() == 4 && args[1] == "--child" {
        child(&args[2], Path::new(&args[3]));
        return;
    }
    #[cfg(feature = "llm")]
    if args.len() == 3 && args[1] == "--upstream" {
        let cases = upstream::cases();
        let (_, f) = cases.iter().find(|(n, _)| *n == args[2]).expect("reproducer");
        f();
        return;
    }
    if args.iter().any(|a| a == "--list") {
        println!("bad_input: test");
        return;
    }
    // `cargo test <filter>`: run only when the filter names this test
    let filters: Vec<&String> = args[1..].iter().filter(|a| !a.starts_with('-')).collect();
    if !filters.is_empty() && !filters.iter().any(|f| "bad_input".contains(f.as_str())) {
        println!("bad_input: filtered out");
        return;
    }
    #[cfg(feature = "llm")]
    if std::env::var("BRAINML_BAD_INPUT_UPSTREAM").is_ok_and(|v| v == "1") {
        reproduce_upstream();
        return;
    }
    std::process::exit(parent());
}

/// Run each upstream reproducer in a child process and say how it ended.
#[cfg(feature = "llm")]
fn reproduce_upstream() {
    let exe = std::env::current_exe().expect("current_exe");
    for (name, _) in upstream::cases() {
        let out =
            Command::new(&exe).args(["--upstream", name]).env("RUST_BACKTRACE", "0").output().expect("child");
        use std::os::unix::process::ExitStatusExt;
        let how = match (out.status.code(), out.status.signal()) {
            (Some(0), _) => "returned".to_string(),
            (Some(101), _) => "panicked (exit 101)".to_string(),
            (Some(c), _) => format!("exit {c}"),
            (None, Some(s)) => format!("killed by signal {s}{}", if s == 6 { " (abort)" } else { "" }),
            _ => "?".into(),
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        let stdout = String::from_utf8_lossy(&out.stdout);
        println!("{name}: {how}");
        for l in stdout.lines().chain(stderr.lines()).filter(|l| !l.trim().is_empty()).take(6) {
            println!("    {}", l.chars().take(240).collect::<String>());
        }
    }
}

/// In the child: run the loader, print one RESULT line and the peak address space.
fn child(format: &str, input: &Path) {
    let Some(run) = runner(format) else {
        println!("RESULT ERR unknown format {format}");
        return;
    };
    let r = run(input);
    let peak = std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmPeak:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        })
        .unwrap_or(0);
    println!("PEAK_KB {peak}");
    match r {
        Ok(s) => println!("RESULT OK {}", s.replace('\n', " ")),
        Err(e) => println!("RESULT ERR {}", e.replace('\n', "\\n")),
    }
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Loaded,
    Refused,
    /// refused, but the message came from a panic brainml caught at the boundary
    CaughtPanic,
    // failures:
    Panic,
    Signal(i32),
    OutOfMemory,
    Timeout,
    Unnamed,
    AcceptedWrong,
    RefusedValid,
    NoResult,
}

impl Outcome {
    fn failed(&self) -> bool {
        !matches!(self, Outcome::Loaded | Outcome::Refused | Outcome::CaughtPanic)
    }
}

struct Ran {
    outcome: Outcome,
    secs: f64,
    detail: String,
}

fn run_case(exe: &Path, format: &str, case: &Case, dir: &Path, base_kb: u64) -> (Ran, Made) {
    let made = (case.make)(dir);
    // + THREAD_SLACK_KB: a damaged table can make polars start more parser threads than the
    // valid file did, and each thread reserves stack address space (not memory) that
    // RLIMIT_AS counts; without the slack the limit aborts a thread spawn, not an allocation
    let limit_kb = base_kb + 4 * made.size / 1024 + THREAD_SLACK_KB;
    let t0 = Instant::now();
    let mut child = Command::new("/bin/sh")
        .arg("-c")
        .arg(if limit_kb > 0 {
            format!("ulimit -v {limit_kb} && exec \"$0\" \"$@\"")
        } else {
            "exec \"$0\" \"$@\"".into()
        })
        .arg(exe)
        .args(["--child", format])
        .arg(&made.input)
        .env("RUST_BACKTRACE", "0")
        .env("RAYON_NUM_THREADS", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn child");
    let (mut out, mut err) = (child.stdout.take().unwrap(), child.stderr.take().unwrap());
    let to = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let te = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = err.read_to_string(&mut s);
        s
    });
    let mut timed_out = false;
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        if t0.elapsed() > TIMEOUT {
            let _ = child.kill();
            timed_out = true;
            break child.wait().expect("wait");
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let secs = t0.elapsed().as_secs_f64();
    let (stdout, stderr) = (to.join().unwrap_or_default(), te.join().unwrap_or_default());
    let result = stdout.lines().find_map(|l| l.strip_prefix("RESULT ")).map(str::to_string);
    let panicked = stderr.contains("panicked at");
    use std::os::unix::process::ExitStatusExt;
    let outcome = if timed_out {
        Outcome::Timeout
    } else if stderr.contains("memory allocation of") || stderr.contains("capacity overflow") {
        Outcome::OutOfMemory
    } else if let Some(sig) = status.signal() {
        Outcome::Signal(sig)
    } else if result.is_none() && panicked {
        Outcome::Panic
    } else if let Some(r) = &result {
        if let Some(msg) = r.strip_prefix("ERR ") {
            // an error must name the damaged file, and must not be a dependency's Debug text
            if !msg.contains(&made.must_name)
                || ["Io(", "Custom {", "Error { kind"].iter().any(|d| msg.contains(d))
            {
                Outcome::Unnamed
            } else if case.expect == Expect::Ok {
                Outcome::RefusedValid
            } else if panicked || msg.contains("internal error in the") {
                Outcome::CaughtPanic
            } else {
                Outcome::Refused
            }
        } else if case.expect == Expect::Error {
            Outcome::AcceptedWrong
        } else {
            Outcome::Loaded
        }
    } else {
        Outcome::NoResult
    };
    let detail = match &result {
        Some(r) => {
            let mut d = r.clone();
            if outcome.failed() || outcome == Outcome::CaughtPanic {
                d.push_str(&format!(
                    " | stderr: {}",
                    stderr.lines().filter(|l| !l.trim().is_empty()).take(6).collect::<Vec<_>>().join(" / ")
                ));
            }
            d
        }
        None => format!(
            "status {status:?}; stderr: {}",
            stderr.lines().filter(|l| !l.trim().is_empty()).take(8).collect::<Vec<_>>().join(" / ")
        ),
    };
    let peak = stdout.lines().find_map(|l| l.strip_prefix("PEAK_KB ")?.parse::<u64>().ok()).unwrap_or(0);
    let detail =
        if case.expect == Expect::Ok { format!("{detail} [peak {} MB]", peak / 1024) } else { detail };
    (Ran { outcome, secs, detail }, made)
}

fn peak_of(exe: &Path, format: &str, case: &Case, dir: &Path) -> Option<u64> {
    std::fs::create_dir_all(dir).ok()?;
    let made = (case.make)(dir);
    let out = Command::new(exe)
        .args(["--child", format])
        .arg(&made.input)
        .env("RAYON_NUM_THREADS", "1")
        .output()
        .ok()?;
    let s = String::from_utf8_lossy(&out.stdout);
    let _ = std::fs::remove_dir_all(dir);
    s.lines().find_map(|l| l.strip_prefix("PEAK_KB ")?.parse::<u64>().ok())
}

fn parent() -> i32 {
    let env = |k: &str| std::env::var(k).ok().filter(|s| !s.is_empty());
    let random: usize = env("BRAINML_BAD_INPUT_RANDOM").and_then(|s| s.parse().ok()).unwrap_or(300);
    let seed: u64 = env("BRAINML_BAD_INPUT_SEED").and_then(|s| s.parse().ok()).unwrap_or(15);
    let only = env("BRAINML_BAD_INPUT_ONLY");
    let keep = env("BRAINML_BAD_INPUT_KEEP").map(PathBuf::from);
    let jobs: usize = env("BRAINML_BAD_INPUT_JOBS")
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(2, |n| n.get()));
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let models = root.join("data").join("models");
    let need = [
        "all-minilm-l6-v2/model.safetensors",
        "all-minilm-l6-v2/tokenizer.json",
        "smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf",
    ];
    let missing: Vec<&str> = need.iter().copied().filter(|p| !models.join(p).is_file()).collect();
    let models = if missing.is_empty() {
        Some(models.as_path())
    } else if env("CI").is_some_and(|c| c == "true" || c == "1") {
        eprintln!(
            "bad_input: model files missing under {} ({}); run `brainml fetch models` (CI=true: failing)",
            models.display(),
            missing.join(", ")
        );
        return 1;
    } else {
        println!(
            "bad_input: SKIPPING the model formats: {} missing under {} (run `brainml fetch models`)",
            missing.join(", "),
            models.display()
        );
        None
    };
    if !cfg!(feature = "llm") || !cfg!(feature = "cli") {
        println!("bad_input: built without the llm/cli features: only some formats run (use --all-features)");
    }
    let exe = std::env::current_exe().expect("current_exe");
    let tmp = tempfile::tempdir().expect("tempdir");
    if env("BRAINML_BAD_INPUT_SELFTEST").is_some_and(|v| v == "1") && !selftest(&exe, tmp.path()) {
        eprintln!("bad_input: the harness's self-test failed");
        return 1;
    }
    let t_all = Instant::now();
    let mut fmts = formats(models, random, seed);
    if let Some(only) = env("BRAINML_BAD_INPUT_FORMATS") {
        fmts.retain(|f| only.split(',').any(|o| o == f.name));
    }
    for f in &mut fmts {
        if let Some(o) = &only {
            f.cases.retain(|c| c.name.contains(o.as_str()));
        }
    }
    // the memory bound: the valid input's peak address space, measured per format
    let mut base: BTreeMap<&str, u64> = BTreeMap::new();
    for f in &fmts {
        let valid = f.cases.iter().find(|c| c.expect == Expect::Ok);
        let kb = valid
            .and_then(|c| peak_of(&exe, f.name, c, &tmp.path().join(format!("peak-{}", f.name))))
            .unwrap_or(4 << 20);
        base.insert(f.name, kb);
    }
    let work: Vec<(usize, usize)> =
        fmts.iter().enumerate().flat_map(|(i, f)| (0..f.cases.len()).map(move |j| (i, j))).collect();
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<(usize, usize, Ran)>> = Mutex::new(Vec::new());
    let fmts = Arc::new(fmts);
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1) {
            s.spawn(|| loop {
                let k = next.fetch_add(1, Ordering::Relaxed);
                let Some(&(i, j)) = work.get(k) else { break };
                let f = &fmts[i];
                let case = &f.cases[j];
                let dir = tmp.path().join(format!("case-{k}"));
                std::fs::create_dir_all(&dir).expect("case dir");
                let (ran, made) = run_case(&exe, f.name, case, &dir, base[f.name]);
                if ran.outcome.failed() {
                    eprintln!(
                        "FAIL {} / {} [{}]: {:?} ({:.1} s): {}",
                        f.name, case.name, made.note, ran.outcome, ran.secs, ran.detail
                    );
                    if let Some(k) = &keep {
                        let dst = k.join(format!("{}-{}", f.name, case.name.replace(['/', ' '], "_")));
                        let _ = std::fs::create_dir_all(&dst);
                        let _ = Command::new("cp").arg("-rL").arg(&made.input).arg(&dst).status();
                    }
                } else if env("BRAINML_BAD_INPUT_VERBOSE").is_some() || case.expect != Expect::Any {
                    println!(
                        "  {:<14} {:<44} {:<12} {:>5.2} s  {}{}",
                        f.name,
                        case.name,
                        format!("{:?}", ran.outcome),
                        ran.secs,
                        if made.note.is_empty() { String::new() } else { format!("[{}] ", made.note) },
                        ran.detail.chars().take(300).collect::<String>()
                    );
                }
                let _ = std::fs::remove_dir_all(&dir);
                results.lock().unwrap().push((i, j, ran));
            });
        }
    });
    let results = results.into_inner().unwrap();
    // summary table
    let cols = [
        "loaded",
        "refused",
        "caught",
        "panic",
        "signal",
        "oom",
        "timeout",
        "unnamed",
        "accepted",
        "ref-valid",
    ];
    println!("\nbad input corpus (seed {seed}, {random} random cases per format, {jobs} jobs, limit: valid peak + 4 × input + 64 MiB of thread stacks, {} s timeout)",
        TIMEOUT.as_secs());
    println!(
        "{:<15} {:>5} {:>5} {:>6} {}  {:>8} {:>8}",
        "format",
        "hand",
        "rand",
        "total",
        cols.iter().map(|c| format!("{c:>10}")).collect::<String>(),
        "max s",
        "wall s"
    );
    let mut failed = 0;
    let mut totals = vec![0usize; cols.len() + 3];
    for (i, f) in fmts.iter().enumerate() {
        let rs: Vec<&(usize, usize, Ran)> = results.iter().filter(|r| r.0 == i).collect();
        let hand = f.cases.iter().filter(|c| !c.name.starts_with("random")).count();
        let mut n = vec![0usize; cols.len()];
        for (_, _, r) in &rs {
            let c = match r.outcome {
                Outcome::Loaded => 0,
                Outcome::Refused => 1,
                Outcome::CaughtPanic => 2,
                Outcome::Panic => 3,
                Outcome::Signal(_) | Outcome::NoResult => 4,
                Outcome::OutOfMemory => 5,
                Outcome::Timeout => 6,
                Outcome::Unnamed => 7,
                Outcome::AcceptedWrong => 8,
                Outcome::RefusedValid => 9,
            };
            n[c] += 1;
            if r.outcome.failed() {
                failed += 1;
            }
        }
        let max = rs.iter().map(|r| r.2.secs).fold(0.0, f64::max);
        let wall: f64 = rs.iter().map(|r| r.2.secs).sum();
        println!(
            "{:<15} {:>5} {:>5} {:>6} {}  {:>8.1} {:>8.0}",
            f.name,
            hand,
            f.cases.len() - hand,
            f.cases.len(),
            n.iter().map(|c| format!("{c:>10}")).collect::<String>(),
            max,
            wall
        );
        totals[0] += hand;
        totals[1] += f.cases.len() - hand;
        totals[2] += f.cases.len();
        for (t, c) in totals[3..].iter_mut().zip(&n) {
            *t += c;
        }
    }
    println!(
        "{:<15} {:>5} {:>5} {:>6} {}",
        "all",
        totals[0],
        totals[1],
        totals[2],
        totals[3..].iter().map(|c| format!("{c:>10}")).collect::<String>()
    );
    println!("wall time {:.0} s (case times summed per format above; 'caught' = a panic inside a dependency turned into an error by brainml)",
        t_all.elapsed().as_secs_f64());
    if failed > 0 {
        eprintln!("bad_input: {failed} case(s) failed (see FAIL lines above)");
        1
    } else {
        println!("bad_input: ok");
        0
    }
}
