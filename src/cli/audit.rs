//! `izuma-local audit`: the audit log as JSON lines.

use std::path::PathBuf;
use std::process::ExitCode;

use super::open_existing;

#[derive(clap::Args)]
/// Print the audit log as JSON lines, oldest first
///
/// One line per change (create, update, delete) and per verification (accepted, or refused with
/// its reason). Never holds a secret or a token.
pub struct Args {
    /// The local engine's database file (must exist)
    #[arg(long)]
    db: PathBuf,
}

pub fn run(args: Args) -> ExitCode {
    let engine = match open_existing(&args.db) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    match engine.audit_log() {
        Ok(entries) => {
            for entry in entries {
                println!(
                    "{}",
                    serde_json::to_string(&entry).expect("audit entry as JSON")
                );
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("izuma-local audit: {}", e.message);
            ExitCode::from(2)
        }
    }
}
