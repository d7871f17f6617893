//! Rules only the service can judge (duplicates, limits, unknown ids) fail the one resource at
//! apply with a diagnostic naming the rule and the conflicting object; the engine and the state
//! stay consistent, and the next apply after fixing the configuration converges.

use crate::application::backend;
use crate::common::{heredoc, Workspace};
use izuma::backend::Backend;
use izuma::testutil::certs;

/// Applies `broken` (which must fail with every fragment of `expected`), checks the engine holds
/// exactly what the state holds, then applies `fixed` and expects an empty plan after it.
async fn fails_then_converges(broken: &str, expected: &[&str], fixed: &str) {
    let ws = Workspace::new();
    ws.write_config(&format!("{}{broken}", ws.local_provider()));
    let output = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    let flat = output
        .all()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    for fragment in expected {
        assert!(
            flat.contains(fragment),
            "lacks {fragment:?}:\n{}",
            output.all()
        );
    }
    assert!(!flat.contains("stack backtrace"), "{flat}");
    let engine = backend(&ws);
    let in_state: Vec<_> = ws.state()["values"]["root_module"]["resources"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|r| r["type"].as_str().is_some_and(|t| t.starts_with("izuma_")))
        .collect();
    let apps = engine.list_applications(None).await.unwrap();
    let mut engine_objects = apps.len();
    for app in &apps {
        engine_objects += engine.list_access_keys(&app.id, None).await.unwrap().len();
        engine_objects += engine.list_verification_keys(&app.id).await.unwrap().len();
    }
    assert_eq!(engine_objects, in_state.len(), "engine and state disagree");
    ws.write_config(&format!("{}{fixed}", ws.local_provider()));
    ws.apply();
    ws.assert_no_changes();
}

fn app(label: &str, name: &str) -> String {
    format!("resource \"izuma_application\" \"{label}\" {{\n  name = \"{name}\"\n}}\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_application_name() {
    let broken = format!("{}{}", app("a", "same"), app("b", "same"));
    // Either of the two may have won the name: the fix renames both, so that no ordering of the
    // next apply's rename and create can collide again.
    let fixed = format!("{}{}", app("a", "first"), app("b", "other"));
    fails_then_converges(
        &broken,
        &["\"same\" is already used by application"],
        &fixed,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_group_id() {
    let broken = format!(
        "resource \"izuma_application\" \"a\" {{\n  name = \"a\"\n  groups = [\"{}\"]\n}}\n",
        "e".repeat(32)
    );
    fails_then_converges(&broken, &["eeeeeeee"], &app("a", "a")).await;
}

fn access_key(label: &str) -> String {
    format!("resource \"izuma_access_key\" \"{label}\" {{\n  application_id = izuma_application.a.id\n  name = \"{label}\"\n  depends_on = [izuma_access_key.k1]\n}}\n")
}

#[tokio::test(flavor = "multi_thread")]
async fn third_access_key() {
    let first = "resource \"izuma_access_key\" \"k1\" {\n  application_id = izuma_application.a.id\n  name = \"k1\"\n}\n";
    let broken = format!(
        "{}{first}{}{}",
        app("a", "a"),
        access_key("k2"),
        access_key("k3")
    );
    let fixed = format!("{}{first}{}", app("a", "a"), access_key("k2"));
    fails_then_converges(&broken, &["already has 2 access keys"], &fixed).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn unknown_application_id() {
    let missing = "d".repeat(32);
    let broken = format!(
        "resource \"izuma_access_key\" \"k\" {{\n  application_id = \"{missing}\"\n  name = \"k\"\n}}\n"
    );
    let fixed = format!(
        "{}resource \"izuma_access_key\" \"k\" {{\n  application_id = izuma_application.a.id\n  name = \"k\"\n}}\n",
        app("a", "a")
    );
    fails_then_converges(&broken, &[&missing], &fixed).await;
}

fn verification_key(label: &str, name: &str, certificate: &str) -> String {
    format!(
        "resource \"izuma_jwt_verification_key\" \"{label}\" {{\n  application_id = izuma_application.a.id\n  name = \"{name}\"\n  certificate = {}\n}}\n",
        heredoc(certificate)
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn duplicate_verification_key_name_and_certificate() {
    let (one, two) = (
        certs::ec_p256("CN=one").certificate_pem,
        certs::ec_p256("CN=two").certificate_pem,
    );
    let first = verification_key("v1", "v1", &one);
    let same_name = format!(
        "{}{first}{}",
        app("a", "a"),
        verification_key("v2", "v1", &two).replace(
            "certificate",
            "depends_on = [izuma_jwt_verification_key.v1]\n  certificate"
        )
    );
    let fixed = format!(
        "{}{first}{}",
        app("a", "a"),
        verification_key("v2", "v2", &two)
    );
    fails_then_converges(
        &same_name,
        &["\"v1\" is already used by verification key"],
        &fixed,
    )
    .await;
    let same_certificate = format!(
        "{}{first}{}",
        app("a", "a"),
        verification_key("v2", "v2", &one).replace(
            "certificate",
            "depends_on = [izuma_jwt_verification_key.v1]\n  certificate"
        )
    );
    fails_then_converges(&same_certificate, &["already"], &fixed).await;
}

/// A certificate known only at apply (here passed through `terraform_data`) passes plan and is
/// judged when the key is created: the same message, and nothing created.
#[tokio::test(flavor = "multi_thread")]
async fn a_bad_certificate_known_only_at_apply_fails_at_apply() {
    let weak = certs::rsa(1024, "CN=weak");
    let good = certs::ec_p256("CN=good");
    let config = |pem: &str| {
        format!(
            "{}resource \"terraform_data\" \"pem\" {{\n  input = {}\n}}\nresource \"izuma_jwt_verification_key\" \"k\" {{\n  application_id = izuma_application.a.id\n  name = \"k\"\n  certificate = terraform_data.pem.output\n}}\n",
            app("a", "a"),
            heredoc(pem)
        )
    };
    let ws = Workspace::new();
    ws.write_config(&format!(
        "{}{}",
        ws.local_provider(),
        config(&weak.certificate_pem)
    ));
    let plan = ws.ok(&["plan", "-no-color"]);
    assert!(plan.stdout.contains("certificate") && plan.stdout.contains("(known after apply)"));
    fails_then_converges(
        &config(&weak.certificate_pem),
        &["1024 bits"],
        &config(&good.certificate_pem),
    )
    .await;
}
