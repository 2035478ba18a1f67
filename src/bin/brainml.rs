//! The `brainml` command: prepare the workshop's data.
//!
//! ```text
//! brainml fetch [NAME...]     copy/download public recordings and models (default: all)
//! brainml simulate [--out DIR] [--seed N]   write the simulated faces dataset (BIDS)
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use brainml::data::fetch::Fetcher;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "brainml", version, about = "Prepare data for the brainml workshop")]
struct Cli {
    /// The project's data folder (default: $BRAINML_DATA, or ./data found from here upwards)
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Copy from the mirror folder or download, verify SHA-256, write atomically.
    /// NAMEs are manifest entries or folders (eeg-n170-muse, fmri-haxby2001, models, ...).
    Fetch {
        names: Vec<String>,
        /// mirror folder laid out like ../shared/data (default: $BRAINML_MIRROR or ../shared/data)
        #[arg(long)]
        mirror: Option<PathBuf>,
        /// do not use any mirror folder: download from the URLs
        #[arg(long)]
        no_mirror: bool,
    },
    /// Write the simulated faces dataset (EEG as BDF, fMRI as NIfTI, BIDS layout) with its ground truth.
    #[cfg(all(feature = "eeg", feature = "fmri"))]
    Simulate {
        /// output folder (default: <data dir>/simulated)
        #[arg(long)]
        out: Option<PathBuf>,
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// trials per condition (famous, unfamiliar, scrambled)
        #[arg(long, default_value_t = 150)]
        trials: usize,
    },
}

fn run(cli: Cli) -> brainml::Result<()> {
    let data_dir = match cli.data_dir {
        Some(d) => d,
        None => brainml::data::data_dir()?,
    };
    match cli.cmd {
        Cmd::Fetch { names, mirror, no_mirror } => {
            let mut f = Fetcher::from_env(data_dir);
            if let Some(m) = mirror {
                f.mirror = Some(m);
            }
            if no_mirror {
                f.mirror = None;
            }
            let done = f.fetch(&names)?;
            println!("fetch: {} entries ready", done.len());
        }
        #[cfg(all(feature = "eeg", feature = "fmri"))]
        Cmd::Simulate { out, seed, trials } => {
            use brainml::data::simulate::{eeg, fmri, write_dataset_description};
            let out = out.unwrap_or_else(|| data_dir.join("simulated"));
            let t = std::time::Instant::now();
            let p = eeg::EegParams { seed, n_per_condition: trials, ..Default::default() };
            // re-running with the same settings and generator is a no-op
            let stamp_path = out.join(".complete");
            let fp = fmri::FmriParams { seed, ..Default::default() };
            let stamp = format!("{} {:?}\n{} {:?}\n", eeg::GENERATOR_VERSION, p, fmri::GENERATOR_VERSION, fp);
            if std::fs::read_to_string(&stamp_path).is_ok_and(|s| s == stamp) {
                println!("simulate: {} is up to date", out.display());
                return Ok(());
            }
            let _ = std::fs::remove_file(&stamp_path);
            let sim = eeg::simulate_eeg(&p)?;
            write_dataset_description(&out)?;
            eeg::write_eeg(&sim, &out)?;
            let fsim = fmri::simulate_fmri(&fp)?;
            fmri::write_fmri(&fsim, &out)?;
            std::fs::write(&stamp_path, stamp).map_err(|e| brainml::Error::io(&stamp_path, e))?;
            println!(
                "simulate: {} EEG trials ({:.0} s at {} Hz) and {} fMRI runs of {} volumes written to {} in {:.1} s",
                sim.events.len(),
                sim.raw.duration(),
                sim.raw.sfreq(),
                fsim.runs.len(),
                fp.n_volumes,
                out.display(),
                t.elapsed().as_secs_f64()
            );
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("brainml: error: {e}");
            ExitCode::FAILURE
        }
    }
}
