//! `izuma-local verify`: does an access key, or a JWT of an application, authenticate?

use std::io::Read;
use std::path::PathBuf;
use std::process::ExitCode;

use super::open_existing;

#[derive(clap::Args)]
/// Verify an access key or a JWT against the database, as the service would
///
/// Prints the application id and exits 0 when the credential is accepted; prints the reason and
/// exits 1 when it is refused. Pass `-` to read the credential from stdin, or leave the option
/// out and set IZUMA_ACCESS_KEY / IZUMA_JWT, to keep it out of the shell history.
#[command(group(clap::ArgGroup::new("credential").required(true).args(["access_key", "jwt"])))]
pub struct Args {
    /// The local engine's database file (must exist)
    #[arg(long)]
    db: PathBuf,
    /// The access key secret (ak_...), or `-` to read it from stdin
    #[arg(long, env = "IZUMA_ACCESS_KEY", hide_env_values = true, conflicts_with_all = ["jwt", "application_id"])]
    access_key: Option<String>,
    /// The JWT, or `-` to read it from stdin; needs --application-id
    #[arg(
        long,
        env = "IZUMA_JWT",
        hide_env_values = true,
        requires = "application_id"
    )]
    jwt: Option<String>,
    /// The application the JWT claims to be from (the X-Application-ID header)
    #[arg(long)]
    application_id: Option<String>,
}

pub fn run(args: Args) -> ExitCode {
    let engine = match open_existing(&args.db) {
        Ok(engine) => engine,
        Err(code) => return code,
    };
    let outcome = match (&args.access_key, &args.jwt, &args.application_id) {
        (Some(secret), _, _) => read_credential(secret).map(|s| engine.verify_access_key(&s)),
        (None, Some(token), Some(application_id)) => {
            read_credential(token).map(|t| engine.verify_jwt(&t, application_id))
        }
        _ => unreachable!("clap requires a credential"),
    };
    // The audit row must reach the file before the process ends.
    let flushed = engine.flush();
    let code = match outcome {
        Err(message) => {
            eprintln!("izuma-local verify: {message}");
            return ExitCode::from(2);
        }
        Ok(Ok(verified)) => {
            println!("{}", verified.application_id);
            ExitCode::SUCCESS
        }
        Ok(Err(refusal)) => {
            println!("refused: {refusal}");
            ExitCode::from(1)
        }
    };
    if let Err(e) = flushed {
        eprintln!(
            "izuma-local verify: could not write the audit log: {}",
            e.message
        );
        return ExitCode::from(2);
    }
    code
}

/// The credential itself, or stdin's first line for `-`.
fn read_credential(value: &str) -> Result<String, String> {
    if value != "-" {
        return Ok(value.trim().to_owned());
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| format!("cannot read the credential from stdin: {e}"))?;
    let line = text.lines().next().unwrap_or("").trim();
    if line.is_empty() {
        return Err("stdin held no credential".into());
    }
    Ok(line.to_owned())
}
