//! `izuma-local keygen`: a key pair and self-signed certificate for trying JWT verification keys
//! locally. The private key is written with mode 0600 and never leaves the machine.

use std::fs;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use crate::testutil::certs;

#[derive(clap::Args)]
/// Write a private key and a self-signed certificate (for local testing of JWT verification keys)
pub struct Args {
    /// Directory to write `<name>-key.pem` (mode 0600) and `<name>-cert.pem` into
    #[arg(long, default_value = ".")]
    out_dir: PathBuf,
    /// File name prefix and certificate common name
    #[arg(long, default_value = "signer")]
    name: String,
    /// Key algorithm
    #[arg(long, value_parser = ["ec-p256", "ec-p384", "rsa-2048", "rsa-3072"], default_value = "ec-p256")]
    algorithm: String,
    /// Replace existing files instead of refusing
    #[arg(long)]
    force: bool,
}

pub fn run(args: Args) -> ExitCode {
    if let Err(problem) = check_name(&args.name) {
        eprintln!("izuma-local keygen: {problem}");
        return ExitCode::from(2);
    }
    if !args.out_dir.is_dir() {
        eprintln!(
            "izuma-local keygen: --out-dir {} is not a directory",
            args.out_dir.display()
        );
        return ExitCode::from(2);
    }
    let key_path = args.out_dir.join(format!("{}-key.pem", args.name));
    let cert_path = args.out_dir.join(format!("{}-cert.pem", args.name));
    if !args.force && (key_path.exists() || cert_path.exists()) {
        eprintln!(
            "izuma-local keygen: {} or {} exists already; pass --force to replace them",
            key_path.display(),
            cert_path.display()
        );
        return ExitCode::from(2);
    }
    let subject = format!("CN={}", args.name);
    let generated = match args.algorithm.as_str() {
        "ec-p384" => certs::ec_p384(&subject),
        "rsa-2048" => certs::rsa(2048, &subject),
        "rsa-3072" => certs::rsa(3072, &subject),
        _ => certs::ec_p256(&subject),
    };
    if let Err(e) = write_private(&key_path, &generated.private_key_pem)
        .and_then(|()| fs::write(&cert_path, &generated.certificate_pem))
    {
        eprintln!(
            "izuma-local keygen: cannot write {} and {}: {e}",
            key_path.display(),
            cert_path.display()
        );
        return ExitCode::FAILURE;
    }
    println!("wrote {} and {}", cert_path.display(), key_path.display());
    ExitCode::SUCCESS
}

pub(super) fn write_private(path: &std::path::Path, text: &str) -> std::io::Result<()> {
    open_private(path, false)?.write_all(text.as_bytes())
}

/// Opens a file for a secret, readable by its owner only. `new_only` refuses an existing file.
pub(super) fn open_private(path: &std::path::Path, new_only: bool) -> std::io::Result<fs::File> {
    let mut options = fs::OpenOptions::new();
    options.write(true);
    if new_only {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// A `--name` is a plain file-name prefix: it must not lead out of `--out-dir`.
fn check_name(name: &str) -> Result<(), String> {
    let plain = !name.is_empty()
        && !name.starts_with('.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        Ok(())
    } else {
        Err(format!(
            "--name {name:?} must be a plain file-name prefix: letters, digits, '-', '_' and '.', not starting with '.'"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_leave_the_output_directory() {
        assert!(check_name("signer-1").is_ok());
        for bad in ["", "../evil", "a/b", ".hidden", "x y"] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
    }
}
