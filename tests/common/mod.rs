//! The acceptance-test harness: a throw-away Terraform working directory whose CLI config points
//! `dev_overrides` at the provider binary cargo just built, driven through the real `terraform`.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value as Json;

/// Path of the provider binary built by cargo for this test run.
pub fn provider_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_terraform-provider-izuma"))
}

/// Path of the `izuma-local` binary built by cargo for this test run.
pub fn izuma_local_binary() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_izuma-local"))
}

/// Fails the test run (never skips) when terraform is missing.
pub fn terraform_binary() -> PathBuf {
    let found = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("terraform"))
            .find(|candidate| candidate.is_file())
    });
    found.unwrap_or_else(|| {
        panic!(
            "terraform is not on PATH. The acceptance tests drive the real terraform binary (v1.11 or newer): \
             install it from https://developer.hashicorp.com/terraform/install and put it on PATH, then run `make test` again."
        )
    })
}

pub struct Output2 {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output2 {
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }

    /// All output with runs of white space folded to one space: terraform wraps diagnostics.
    pub fn folded(&self) -> String {
        self.all().split_whitespace().collect::<Vec<_>>().join(" ")
    }
}

impl From<Output> for Output2 {
    fn from(output: Output) -> Self {
        Output2 {
            status: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// How the provider reaches the engine: in-process, or over HTTP through `izuma-local serve`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Local,
    Remote,
}

/// `izuma-local serve` on the workspace's database, on a free loopback port; stopped on drop.
pub struct Server {
    child: Child,
    pub url: String,
    pub admin_key: String,
}

impl Server {
    /// Starts the server on `db` with `extra_args` (e.g. `--inject-faults ...`) and waits until
    /// it listens.
    pub fn start(db: &Path, extra_args: &[&str]) -> Server {
        let key_file = db.with_extension("admin-key");
        let mut child = Command::new(izuma_local_binary())
            .arg("serve")
            .arg("--db")
            .arg(db)
            .arg("--admin-key-file")
            .arg(&key_file)
            .args(["--listen", "127.0.0.1:0"])
            .args(extra_args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start izuma-local serve");
        let stdout = child.stdout.take().unwrap();
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).unwrap();
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("izuma-local serve did not start: {line:?}"))
            .to_owned();
        let admin_key = std::fs::read_to_string(&key_file).expect("admin key file");
        Server {
            child,
            url,
            admin_key,
        }
    }

    /// Stops the server now, so a following request finds nothing listening.
    pub fn stop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

/// A Terraform working directory with its own CLI config and local engine database.
pub struct Workspace {
    pub dir: tempfile::TempDir,
    cli_config: PathBuf,
    pub extra_env: Vec<(String, String)>,
    pub mode: Mode,
    pub server: Option<Server>,
}

impl Workspace {
    /// A workspace whose provider block ([`Workspace::provider_block`]) uses `mode`; in remote
    /// mode it starts `izuma-local serve` on the workspace's database.
    pub fn new_in(mode: Mode) -> Self {
        Self::with_server_args(mode, &[])
    }

    pub fn with_server_args(mode: Mode, server_args: &[&str]) -> Self {
        let mut ws = Self::new();
        ws.mode = mode;
        if mode == Mode::Remote {
            ws.server = Some(Server::start(&ws.db_path(), server_args));
        }
        ws
    }

    /// The provider block of this workspace's mode, on its database (a free account).
    pub fn provider_block(&self) -> String {
        match &self.server {
            None => self.local_provider(),
            Some(server) => remote_provider_block(&server.url, &server.admin_key, 10),
        }
    }

    /// Applications the server made for itself (its administrator), which local mode lacks.
    pub fn preexisting_applications(&self) -> usize {
        usize::from(self.mode == Mode::Remote)
    }

    pub fn new() -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let cli_config = dir.path().join("terraform.rc");
        let plugin_dir = provider_binary().parent().unwrap().to_path_buf();
        std::fs::write(
            &cli_config,
            format!(
                "provider_installation {{\n  dev_overrides {{\n    \"izuma/izuma\" = \"{}\"\n  }}\n  direct {{}}\n}}\n",
                plugin_dir.display()
            ),
        )
        .unwrap();
        Workspace {
            dir,
            cli_config,
            extra_env: Vec::new(),
            mode: Mode::Local,
            server: None,
        }
    }

    /// A workspace whose CLI config is `cli_config` (for example a filesystem mirror) instead of
    /// dev_overrides.
    pub fn with_cli_config(cli_config: &str) -> Self {
        let workspace = Self::new();
        std::fs::write(&workspace.cli_config, cli_config).unwrap();
        workspace
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// The local engine's database file used by [`Workspace::local_provider`].
    pub fn db_path(&self) -> PathBuf {
        self.path().join("izuma.db")
    }

    /// A provider block in local mode on this workspace's database.
    pub fn local_provider(&self) -> String {
        local_provider_block("izuma.db", "free")
    }

    /// Writes `main.tf` (removing other .tf files of earlier steps).
    pub fn write_config(&self, text: &str) {
        self.write_file("main.tf", text);
    }

    pub fn write_file(&self, name: &str, text: &str) {
        std::fs::write(self.path().join(name), text).unwrap();
    }

    pub fn remove_file(&self, name: &str) {
        let _ = std::fs::remove_file(self.path().join(name));
    }

    /// Runs terraform with `args`; returns whatever happened.
    pub fn run(&self, args: &[&str]) -> Output2 {
        let mut command = Command::new(terraform_binary());
        command
            .args(args)
            .current_dir(self.path())
            .env("CHECKPOINT_DISABLE", "1")
            .env("TF_CLI_CONFIG_FILE", &self.cli_config)
            .env("TF_IN_AUTOMATION", "1")
            .env("TF_INPUT", "0")
            .env_remove("TF_LOG")
            .env_remove("TF_LOG_PROVIDER")
            .env_remove("IZUMA_API_KEY")
            .env_remove("IZUMA_LOCAL_PATH")
            .env_remove("IZUMA_API_HOST");
        for (key, value) in &self.extra_env {
            command.env(key, value);
        }
        command.output().expect("run terraform").into()
    }

    /// Runs terraform and fails the test with its output unless it succeeds.
    pub fn ok(&self, args: &[&str]) -> Output2 {
        let output = self.run(args);
        assert_eq!(
            output.status,
            0,
            "terraform {} failed:\n{}",
            args.join(" "),
            output.all()
        );
        output
    }

    /// Runs terraform and fails the test unless it fails; returns the output.
    pub fn fails(&self, args: &[&str]) -> Output2 {
        let output = self.run(args);
        assert_ne!(
            output.status,
            0,
            "terraform {} should have failed:\n{}",
            args.join(" "),
            output.all()
        );
        output
    }

    pub fn apply(&self) -> Output2 {
        self.ok(&["apply", "-auto-approve", "-no-color"])
    }

    pub fn destroy(&self) -> Output2 {
        self.ok(&["destroy", "-auto-approve", "-no-color"])
    }

    /// Asserts that a plan has no changes (exit code 0 with -detailed-exitcode).
    pub fn assert_no_changes(&self) {
        let output = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            output.status,
            0,
            "expected an empty plan:\n{}",
            output.all()
        );
    }

    /// Asserts that a plan has changes (exit code 2) and returns its text.
    pub fn assert_changes(&self) -> String {
        let output = self.run(&["plan", "-detailed-exitcode", "-no-color"]);
        assert_eq!(
            output.status,
            2,
            "expected a plan with changes:\n{}",
            output.all()
        );
        output.stdout
    }

    /// `terraform show -json` of the state.
    pub fn state(&self) -> Json {
        let output = self.ok(&["show", "-json"]);
        serde_json::from_str(&output.stdout).expect("show -json")
    }

    /// The attribute values of one resource in state, by address.
    pub fn resource(&self, address: &str) -> Json {
        let state = self.state();
        find_resource(&state, address)
            .unwrap_or_else(|| panic!("{address} is not in state: {state:#}"))
    }

    pub fn output_raw(&self, name: &str) -> String {
        self.ok(&["output", "-raw", name]).stdout
    }

    /// A saved plan's JSON (`terraform plan -out` then `show -json`).
    pub fn plan_json(&self) -> Json {
        self.ok(&["plan", "-out=tfplan", "-no-color"]);
        let output = self.ok(&["show", "-json", "tfplan"]);
        serde_json::from_str(&output.stdout).expect("plan json")
    }
}

impl Default for Workspace {
    fn default() -> Self {
        Self::new()
    }
}

pub fn local_provider_block(path: &str, account_type: &str) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    izuma = {{ source = \"izuma/izuma\" }}\n  }}\n}}\n\nprovider \"izuma\" {{\n  local {{\n    path         = \"{path}\"\n    account_type = \"{account_type}\"\n  }}\n}}\n"
    )
}

pub fn remote_provider_block(url: &str, api_key: &str, timeout_seconds: u32) -> String {
    format!(
        "terraform {{\n  required_providers {{\n    izuma = {{ source = \"izuma/izuma\" }}\n  }}\n}}\n\nprovider \"izuma\" {{\n  api_host                = \"{url}\"\n  api_key                 = \"{api_key}\"\n  request_timeout_seconds = {timeout_seconds}\n  max_retries             = 8\n}}\n"
    )
}

/// For each async scenario `name(mode: Mode)`, a module `name` with two tests, `local` and
/// `remote`, running it in each mode.
#[macro_export]
macro_rules! in_both_modes {
    ($($name:ident),* $(,)?) => {
        $(mod $name {
            #[tokio::test(flavor = "multi_thread")]
            async fn local() {
                super::$name($crate::common::Mode::Local).await
            }
            #[tokio::test(flavor = "multi_thread")]
            async fn remote() {
                super::$name($crate::common::Mode::Remote).await
            }
        })*
    };
}

pub fn find_resource(state: &Json, address: &str) -> Option<Json> {
    state["values"]["root_module"]["resources"]
        .as_array()?
        .iter()
        .find(|r| r["address"] == address)
        .map(|r| r["values"].clone())
}

/// Writes `text` as a file in the workspace and returns its name, for `file()` in configurations.
pub fn heredoc(text: &str) -> String {
    format!("<<-EOT\n{}\nEOT", text.trim_end())
}
