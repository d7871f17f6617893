//! The provider as a whole: configuration errors and running the binary by hand.

use crate::common::{provider_binary, Workspace};

#[test]
fn without_a_backend_plan_fails_and_says_how_to_configure_one() {
    let ws = Workspace::new();
    ws.write_config(
        "terraform {\n  required_providers {\n    izuma = { source = \"izuma/izuma\" }\n  }\n}\n\nresource \"izuma_application\" \"a\" {\n  name = \"a\"\n}\n",
    );
    let output = ws.fails(&["plan", "-no-color"]);
    let text = output.all();
    assert!(text.contains("No Izuma backend configured"), "{text}");
    assert!(text.contains("IZUMA_LOCAL_PATH"), "{text}");
    assert!(!text.contains("stack backtrace"), "{text}");
}

#[test]
fn run_by_hand_the_binary_explains_itself_and_exits_non_zero() {
    let output = std::process::Command::new(provider_binary())
        .env_remove("TF_PLUGIN_MAGIC_COOKIE")
        .output()
        .unwrap();
    assert_ne!(output.status.code(), Some(0));
    let text = String::from_utf8_lossy(&output.stderr);
    assert!(text.contains("Terraform provider plugin"), "{text}");
}
