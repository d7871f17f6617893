//! `izuma-local`, the command line of the embedded engine. One file per subcommand.

use std::process::ExitCode;

use clap::{Parser, Subcommand};

mod audit;
mod keygen;
mod serve;
mod show;
mod verify;

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
    Verify(verify::Args),
    Audit(audit::Args),
    Show(show::Args),
    Serve(serve::Args),
}

/// Runs the command line; the exit code says how it went (0 success, 1 refused, 2 bad usage).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Keygen(args) => keygen::run(args),
        Command::Verify(args) => verify::run(args),
        Command::Audit(args) => audit::run(args),
        Command::Show(args) => show::run(args),
        Command::Serve(args) => serve::run(args),
    }
}

/// Opens a database that must already exist: a mistyped path must not yield a fresh, empty one.
fn open_existing(path: &std::path::Path) -> Result<crate::engine::Engine, ExitCode> {
    if !path.is_file() {
        eprintln!(
            "izuma-local: no database at {}; give the file the provider's local mode uses (provider \"izuma\" {{ local {{ path = ... }} }})",
            path.display()
        );
        return Err(ExitCode::from(2));
    }
    crate::engine::Engine::open(path, None).map_err(|e| {
        eprintln!("izuma-local: {e:#}");
        ExitCode::from(2)
    })
}
