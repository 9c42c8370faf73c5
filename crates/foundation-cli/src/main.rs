//! The `foundation` command: for now it prints its version and help; the live ecosystem demo,
//! the benchmark table and the dashboard arrive with their issues.

use clap::Parser;

/// Foundation: BEAM-style process ecosystems for Rust.
#[derive(Debug, Parser)]
#[command(name = "foundation", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
    println!(
        "foundation {}: BEAM-style processes for Rust. Run `foundation --help` for commands.",
        env!("CARGO_PKG_VERSION")
    );
}
