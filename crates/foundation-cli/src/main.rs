//! The `foundation` command: a live, self-healing ecosystem (`demo`); the benchmark table and
//! the dashboard arrive with their issues.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use foundation::ecosystem::{EcosystemConfig, Topology};

mod bench;
mod demo;
mod node;

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
    /// and one worker runs into its memory limit; print a summary (exit 1 if a job was lost,
    /// a restart is unexplained, or the heap did not come back).
    Demo(DemoArgs),
    /// Reproduce the spec's benchmark table and more: Foundation against raw tokio (and, built
    /// with `--features compare`, ractor, kameo and actix), interleaved, with medians and spread.
    Bench(BenchArgs),
    /// Run one clustered node until Ctrl-C or SIGTERM: it exports an `echo` process, prints
    /// node events (and, with `--watch`, another node's `echo` ending) as JSON lines.
    Node(NodeArgs),
    /// Run another library's node serving an `echo` actor: the peer `foundation bench`
    /// starts for its `cross_node` workload.
    #[cfg(feature = "compare")]
    #[command(hide = true)]
    BenchPeer(BenchPeerArgs),
}

#[cfg(feature = "compare")]
#[derive(Debug, clap::Args)]
struct BenchPeerArgs {
    /// The library.
    system: PeerSystem,
    /// Where to listen for the bench's node (port 0: a free port, printed).
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
}

/// The libraries `bench-peer` runs.
#[cfg(feature = "compare")]
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum PeerSystem {
    /// ractor_cluster.
    Ractor,
}

#[derive(Debug, clap::Args)]
struct NodeArgs {
    /// The node's name (a DNS name: letters, digits, `-` and `.`).
    #[arg(long)]
    name: String,
    /// Where to listen for other nodes.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: std::net::SocketAddr,
    /// A node to connect to (and reconnect to after a loss); repeat for more.
    #[arg(long = "seed", value_name = "ADDR")]
    seeds: Vec<std::net::SocketAddr>,
    /// Mutual TLS with DIR/ca.pem, DIR/NAME.pem and DIR/NAME.key (`scripts/cluster-certs.sh`
    /// makes them).
    #[arg(long, value_name = "DIR", conflicts_with = "insecure")]
    tls_dir: Option<PathBuf>,
    /// Plain TCP without authentication: for a trusted loopback only.
    #[arg(long)]
    insecure: bool,
    /// Tick interval in milliseconds.
    #[arg(long, default_value_t = 1000)]
    tick_ms: u64,
    /// Detection time in milliseconds: a peer silent this long is taken as lost.
    #[arg(long, default_value_t = 4000)]
    detection_ms: u64,
    /// Link to and monitor this node's `echo` once it is up, and print their end.
    #[arg(long, value_name = "NODE")]
    watch: Option<String>,
    /// Stop after this many seconds.
    #[arg(long)]
    duration: Option<f64>,
}

#[derive(Debug, clap::Args)]
struct BenchArgs {
    /// Smaller sizes and 3 repetitions: under a minute.
    #[arg(long)]
    quick: bool,
    /// Run one workload only: creation, messages_simple, messages_complex, cross_ecosystem,
    /// many_to_one, call, payload_1mib, recovery, cross_node.
    #[arg(long, value_name = "WORKLOAD")]
    only: Option<String>,
    /// Also write the rows as JSON to this file.
    #[arg(long, value_name = "PATH")]
    json: Option<PathBuf>,
    /// Also write the table as Markdown to this file (for docs/BENCHMARKS.md).
    #[arg(long, value_name = "PATH")]
    markdown: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
struct DemoArgs {
    /// Number of workers (default 1,000, or the config file's).
    #[arg(long)]
    workers: Option<usize>,
    /// How long to submit work, in seconds.
    #[arg(long, default_value_t = 30.0)]
    duration: f64,
    /// Submit this many jobs instead of running for a duration (faults follow the count of
    /// jobs either way).
    #[arg(long, conflicts_with = "duration")]
    jobs: Option<u64>,
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
    let stop = match args.jobs {
        Some(0) => return Err("invalid `--jobs`: allowed values are 1 or more".into()),
        Some(jobs) => demo::Stop::Jobs(jobs),
        None => demo::Stop::After(Duration::from_secs_f64(args.duration)),
    };
    config.validate().map_err(|e| e.to_string())?;
    Ok(demo::Options { config, stop, quiet: args.json })
}

fn bench(args: &BenchArgs) -> ExitCode {
    if let Some(only) = &args.only
        && !bench::WORKLOADS.contains(&only.as_str())
    {
        return usage(&format!(
            "invalid `--only` `{only}`: allowed values are {}",
            bench::WORKLOADS.join(", ")
        ));
    }
    let options = bench::Options {
        quick: args.quick,
        only: args.only.clone(),
        json: args.json.clone(),
        markdown: args.markdown.clone(),
        command: std::iter::once("foundation".to_owned())
            .chain(std::env::args().skip(1))
            .collect::<Vec<_>>()
            .join(" "),
    };
    match bench::run(&options) {
        Ok(report) => {
            print!("{}", bench::table(&report));
            ExitCode::SUCCESS
        }
        Err(message) => {
            eprintln!("foundation: {message}");
            ExitCode::FAILURE
        }
    }
}

fn node(args: NodeArgs) -> ExitCode {
    let options = node::Options {
        name: args.name,
        listen: args.listen,
        seeds: args.seeds,
        tls_dir: args.tls_dir,
        insecure: args.insecure,
        tick: Duration::from_millis(args.tick_ms),
        detection: Duration::from_millis(args.detection_ms),
        watch: args.watch,
        duration: args.duration.map(Duration::from_secs_f64),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("foundation: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(node::run(options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => usage(&message),
    }
}

#[cfg(feature = "compare")]
fn bench_peer(args: &BenchPeerArgs) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("foundation: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.system {
        PeerSystem::Ractor => runtime.block_on(bench::ractor_peer(args.listen)),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("foundation: {message}");
            ExitCode::FAILURE
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let args = match cli.command {
        Command::Demo(args) => args,
        Command::Bench(args) => return bench(&args),
        Command::Node(args) => return node(args),
        #[cfg(feature = "compare")]
        Command::BenchPeer(args) => return bench_peer(&args),
    };
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
    if summary.kept_its_promises() { ExitCode::SUCCESS } else { ExitCode::FAILURE }
}
