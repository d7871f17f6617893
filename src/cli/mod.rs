//! `izuma-local`, the command line of the embedded engine. One file per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod keygen;
mod serve;

#[derive(Parser)]
#[command(
    name = "izuma-local",
    version,
    about = "The embedded Izuma engine of terraform-provider-izuma, on its database file",
    long_about = "The embedded Izuma engine of terraform-provider-izuma. It works on the same database file as the provider's local mode (provider \"izuma\" { local { path = \"...\" } })."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    Keygen(keygen::Args),
    Serve(serve::Args),
}

/// Runs the command line; the exit code says how it went (0 success, 1 refused, 2 bad usage).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen(args) => keygen::run(args),
        Command::Serve(args) => serve::run(args),
    }
}
