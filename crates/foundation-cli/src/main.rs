//! The `foundation` command.

use clap::Parser;

/// Foundation: BEAM-style process ecosystems for Rust.
#[derive(Debug, Parser)]
#[command(name = "foundation", version, about)]
struct Cli {}

fn main() {
    let _cli = Cli::parse();
    println!("foundation {}", env!("CARGO_PKG_VERSION"));
}
