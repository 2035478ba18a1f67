//! The `brainml` command: prepare the workshop's data.
//!
//! ```text
//! brainml fetch [NAME...]     copy/download public recordings and models (default: all)
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
