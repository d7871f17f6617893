//! Installing the provider the way users do, without dev_overrides: from a filesystem mirror
//! (what `make install` lays out under .tf/mirror) and from the release zip (`make release`), with
//! a real, offline `terraform init` that writes the dependency lock file.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::common::{provider_binary, Workspace};

const VERSION: &str = env!("CARGO_PKG_VERSION");
const DEV_OVERRIDE_WARNING: &str = "Provider development overrides are in effect";

/// A CLI config that installs izuma/izuma from `mirror` only, and nothing else from the network.
fn mirror_cli_config(mirror: &Path) -> String {
    format!(
        "provider_installation {{\n  filesystem_mirror {{\n    path    = \"{}\"\n    include = [\"registry.terraform.io/izuma/izuma\"]\n  }}\n  direct {{\n    exclude = [\"registry.terraform.io/izuma/izuma\"]\n  }}\n}}\n",
        mirror.display()
    )
}

/// A configuration that pins the crate's version, as a published module would.
fn pinned_config() -> String {
    format!(
        r#"terraform {{
  required_providers {{
    izuma = {{
      source  = "izuma/izuma"
      version = "{VERSION}"
    }}
  }}
}}

provider "izuma" {{
  local {{
    path = "izuma.db"
  }}
}}

resource "izuma_application" "installed" {{
  name = "installed-from-mirror"
}}
"#
    )
}

/// `terraform init` then `apply` in a workspace whose mirror is ready; returns the lock file.
fn init_and_apply(workspace: &Workspace) -> String {
    workspace.write_config(&pinned_config());
    let init = workspace.ok(&["init", "-no-color"]);
    assert!(
        init.stdout
            .contains(&format!("Installed izuma/izuma v{VERSION}")),
        "{}",
        init.all()
    );
    let lock = std::fs::read_to_string(workspace.path().join(".terraform.lock.hcl"))
        .expect("terraform init writes .terraform.lock.hcl");
    assert!(lock.contains("registry.terraform.io/izuma/izuma"), "{lock}");
    assert!(
        lock.contains(&format!("version     = \"{VERSION}\"")),
        "{lock}"
    );
    let apply = workspace.apply();
    assert!(
        !apply.all().contains(DEV_OVERRIDE_WARNING),
        "{}",
        apply.all()
    );
    assert!(apply.stdout.contains("1 added"), "{}", apply.all());
    workspace.destroy();
    lock
}

#[test]
fn init_and_apply_from_an_unpacked_filesystem_mirror() {
    let scratch = tempfile::tempdir().unwrap();
    let mirror = scratch.path().join("mirror");
    let platform_dir = mirror.join(format!(
        "registry.terraform.io/izuma/izuma/{VERSION}/linux_amd64"
    ));
    std::fs::create_dir_all(&platform_dir).unwrap();
    std::fs::copy(
        provider_binary(),
        platform_dir.join(format!("terraform-provider-izuma_v{VERSION}")),
    )
    .unwrap();
    let workspace = Workspace::with_cli_config(&mirror_cli_config(&mirror));
    init_and_apply(&workspace);
}

fn sha256_hex(path: &Path) -> String {
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}

/// `tools/release.py` (what `make release` runs) on the debug binary this test run built, so the
/// test needs no second, release-profile build.
#[test]
fn release_zip_installs_from_a_packed_filesystem_mirror() {
    let scratch = tempfile::tempdir().unwrap();
    let dist = scratch.path().join("dist");
    let repository = Path::new(env!("CARGO_MANIFEST_DIR"));
    let output = std::process::Command::new("python3")
        .arg(repository.join("tools/release.py"))
        .args(["--version", VERSION, "--binary"])
        .arg(provider_binary())
        .arg("--manifest")
        .arg(repository.join("terraform-registry-manifest.json"))
        .arg("--out")
        .arg(&dist)
        .output()
        .expect("run python3 tools/release.py");
    assert!(
        output.status.success(),
        "release.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );

    let zip_name = format!("terraform-provider-izuma_{VERSION}_linux_amd64.zip");
    let manifest_name = format!("terraform-provider-izuma_{VERSION}_manifest.json");
    let sums = std::fs::read_to_string(
        dist.join(format!("terraform-provider-izuma_{VERSION}_SHA256SUMS")),
    )
    .unwrap();
    for name in [&zip_name, &manifest_name] {
        let line = format!("{}  {name}", sha256_hex(&dist.join(name)));
        assert!(
            sums.lines().any(|l| l == line),
            "{line:?} not in SHA256SUMS:\n{sums}"
        );
    }
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dist.join(&manifest_name)).unwrap()).unwrap();
    assert_eq!(manifest["metadata"]["protocol_versions"][0], "6.0");

    // The packed layout: Terraform unpacks the release zip itself, as from a registry download.
    let mirror = scratch.path().join("mirror");
    let provider_dir = mirror.join("registry.terraform.io/izuma/izuma");
    std::fs::create_dir_all(&provider_dir).unwrap();
    std::fs::copy(dist.join(&zip_name), provider_dir.join(&zip_name)).unwrap();
    let workspace = Workspace::with_cli_config(&mirror_cli_config(&mirror));
    let lock = init_and_apply(&workspace);
    // From a mirror Terraform records the package's h1: hash (zh: hashes come only from a
    // registry's signed SHA256SUMS).
    assert!(
        lock.contains("\"h1:"),
        "no h1: hash in the lock file:\n{lock}"
    );
}
