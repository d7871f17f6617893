//! `izuma-local`: the embedded engine's own command line (see `izuma::cli`).

fn main() -> std::process::ExitCode {
    izuma::cli::main()
}
