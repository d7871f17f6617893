//! `izuma-local serve`: the engine's database served as the Izuma HTTP API (see `crate::server`).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use crate::api::AccountTier;
use crate::engine::{Actor, Engine};
use crate::server::{self, AppState, Faults};

#[derive(clap::Args)]
/// Serve the database as the Izuma HTTP API (for remote mode against a local stand-in)
pub struct Args {
    /// The database file (created if missing)
    #[arg(long)]
    db: PathBuf,
    /// Address to listen on; port 0 picks a free one. The bound address is printed on stdout.
    #[arg(long, default_value = "127.0.0.1:0")]
    listen: SocketAddr,
    /// On first start, write the administrator access key to this file (mode 0600) instead of
    /// printing it
    #[arg(long)]
    admin_key_file: Option<PathBuf>,
    /// Record this account type on the account
    #[arg(long, value_parser = ["free", "commercial"])]
    account_type: Option<String>,
    /// TEST ONLY: answer a fraction of requests with faults, e.g. `429=0.15,503=0.15,delay-ms=50,delay=0.1`
    #[arg(long)]
    inject_faults: Option<Faults>,
}

pub fn run(args: Args) -> ExitCode {
    let tier = args.account_type.as_deref().and_then(AccountTier::parse);
    let engine = match Engine::open(&args.db, tier) {
        Ok(engine) => Arc::new(engine),
        Err(error) => return fail(format!("{error:#}")),
    };
    engine.set_verification_actor("http");
    // Bind, and open the key file, before creating the administrator: a busy port or an
    // unwritable file must not leave an administrator whose key nobody ever saw.
    let listener = match std::net::TcpListener::bind(args.listen) {
        Ok(listener) => listener,
        Err(error) => return fail(format!("cannot listen on {}: {error}", args.listen)),
    };
    let needs_admin = match server::needs_admin(&engine) {
        Ok(needs) => needs,
        Err(error) => return fail(format!("{error:#}")),
    };
    let mut key_file = match (&args.admin_key_file, needs_admin) {
        (Some(path), true) => match super::keygen::open_private(path, true) {
            Ok(file) => Some((path, file)),
            Err(error) => {
                return fail(format!(
                    "cannot create {} for the administrator key: {error} (it must not exist yet)",
                    path.display()
                ))
            }
        },
        _ => None,
    };
    match server::bootstrap_admin(&engine) {
        Ok(None) => {}
        Ok(Some(admin)) => match key_file.as_mut() {
            Some((path, file)) => {
                if let Err(error) = file.write_all(admin.secret.expose().as_bytes()) {
                    // Undo, so that the next start can create an administrator again.
                    let _ = engine.delete_application(&Actor::Local, &admin.application_id);
                    return fail(format!("cannot write {}: {error}", path.display()));
                }
                eprintln!(
                    "created application {:?} in the Administrators group; its access key is in {}",
                    server::ADMIN_APPLICATION_NAME,
                    path.display()
                );
            }
            None => println!(
                "created application {:?} in the Administrators group; its access key (shown once): {}",
                server::ADMIN_APPLICATION_NAME,
                admin.secret.expose()
            ),
        },
        Err(error) => return fail(format!("cannot create the administrator: {error:#}")),
    }
    if !args.listen.ip().is_loopback() {
        eprintln!(
            "WARNING: listening on {}, which is reachable from other machines; this is a local test stand-in",
            args.listen
        );
    }
    if args.inject_faults.is_some() {
        eprintln!(
            "WARNING: fault injection is on (--inject-faults): some requests will fail on purpose"
        );
    }
    let state = match AppState::new(Arc::clone(&engine), args.inject_faults) {
        Ok(state) => state,
        Err(error) => return fail(format!("{error:#}")),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => return fail(format!("cannot start the runtime: {error}")),
    };
    let served = runtime.block_on(async {
        listener.set_nonblocking(true)?;
        let listener = tokio::net::TcpListener::from_std(listener)?;
        println!("listening on http://{}", listener.local_addr()?);
        std::io::stdout().flush()?;
        server::serve(listener, state).await
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => fail(format!("cannot serve on {}: {error}", args.listen)),
    }
}

fn fail(message: String) -> ExitCode {
    eprintln!("izuma-local serve: {message}");
    ExitCode::FAILURE
}
