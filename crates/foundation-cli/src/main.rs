//! The `foundation` command: a live, self-healing ecosystem (`demo`); the benchmark table and
//! the dashboard arrive with their issues.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use foundation::ecosystem::{EcosystemConfig, Topology};

mod demo;

#[global_allocator]
static ALLOCATOR: foundation::memory::AccountingAllocator =
    foundation::memory::AccountingAllocator::new();

/// Foundation: BEAM-style process ecosystems for Rust.
#[derive(Debug, Parser)]
#[command(name = "foundation", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a live ecosystem doing checked work while its coordinator and workers are killed
    /// and one worker runs into its memory limit; print a summary (exit 1 if a job was lost).
    Demo(DemoArgs),
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Number of workers (default 1,000, or the config file's).
    #[arg(long)]
    workers: Option<usize>,
    /// How long to run, in seconds.
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Topology: tree, mesh or ring.
    #[arg(long)]
    topology: Option<String>,
    /// An ecosystem config in TOML (the library's `EcosystemConfig`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Print the summary as one JSON object.
    #[arg(long)]
    json: bool,
}

/// A usage error: a clear message and exit code 2.
fn usage(message: &str) -> ExitCode {
    eprintln!("foundation: {message}");
    ExitCode::from(2)
}

fn demo_options(args: &DemoArgs) -> Result<demo::Options, String> {
    let mut config = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let mut config: EcosystemConfig = toml::from_str(&text)
                .map_err(|e| format!("invalid config `{}`: {e}", path.display()))?;
            if config.name.is_empty() {
                config.name = "demo".into();
            }
            config
        }
        None => demo::Options::defaults(),
    };
    if let Some(workers) = args.workers {
        if workers == 0 {
            return Err("invalid `--workers`: allowed values are 1 or more".into());
        }
        config.workers = workers;
    }
    if let Some(topology) = &args.topology {
        config.topology = match topology.as_str() {
            "tree" => Topology::Tree,
            "mesh" => Topology::Mesh,
            "ring" => Topology::Ring,
            other => {
                return Err(format!(
                    "invalid `--topology` `{other}`: allowed values are tree, mesh, ring"
                ));
            }
        };
    }
    if !(args.duration.is_finite() && args.duration > 0.0) {
        return Err("invalid `--duration`: allowed values are seconds above zero".into());
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(demo::Options { config, duration: Duration::from_secs_f64(args.duration), quiet: args.json })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let Command::Demo(args) = cli.command;
    let options = match demo_options(&args) {
        Ok(options) => options,
        Err(message) => return usage(&message),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("foundation: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let summary = match runtime.block_on(demo::run(options)) {
        Ok(summary) => summary,
        Err(message) => {
            eprintln!("foundation: {message}");
            return ExitCode::FAILURE;
        }
    };
    if args.json {
        match serde_json::to_string(&summary) {
            Ok(json) => println!("{json}"),
            Err(e) => {
                eprintln!("foundation: {e}");
                return ExitCode::FAILURE;
            }
        }
    } else {
        println!("\n{summary}");
    }
    if summary.jobs_lost > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
