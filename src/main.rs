//! terraform-provider-izuma: started by Terraform, it serves the provider over go-plugin.

use std::process::ExitCode;

/// Terraform sets this variable (go-plugin's handshake) when it starts a provider.
const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";

fn usage() -> String {
    format!(
        "terraform-provider-izuma {}\n\n\
         This is a Terraform provider plugin for Izuma Device Management (source address izuma/izuma).\n\
         It is not meant to be run by hand: Terraform starts it. Install it with `make install`\n\
         (see README.md), then use `provider \"izuma\" {{ ... }}` in a configuration.\n\n\
         The embedded engine's command line is `izuma-local` (verify, audit, show, serve).\n",
        env!("CARGO_PKG_VERSION")
    )
}

fn main() -> ExitCode {
    // tf-provider captures a backtrace in every diagnostic when RUST_BACKTRACE is set; users must
    // never see one. Set before any thread starts, since the variable is read once per process.
    std::env::set_var("RUST_LIB_BACKTRACE", "0");

    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--version" || a == "-V") {
        println!("terraform-provider-izuma {}", env!("CARGO_PKG_VERSION"));
        return ExitCode::SUCCESS;
    }
    if std::env::var(MAGIC_COOKIE_KEY).as_deref() != Ok(MAGIC_COOKIE_VALUE) || !args.is_empty() {
        eprint!("{}", usage());
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            eprintln!("terraform-provider-izuma: cannot start: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(izuma::provider::serve()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("terraform-provider-izuma: {e:#}");
            ExitCode::FAILURE
        }
    }
}
