//! Rotation without downtime, proven through the real terraform: a `terraform_data` "deploy"
//! step between the new key's creation and the old key's deletion runs `izuma-local verify`
//! on both credentials (the hook a real pipeline uses to roll the new credential out). The audit
//! log then shows create(new) < both verified < delete(old).

use std::process::{Command, Stdio};

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::Value as Json;

use crate::common::{izuma_local_binary, Workspace};
use izuma::testutil::certs;

/// Runs `izuma-local verify` on the workspace database, the credential on stdin.
fn verify(ws: &Workspace, args: &[&str], credential: &str) -> (bool, String) {
    let mut child = Command::new(izuma_local_binary())
        .args(["verify", "--db"])
        .arg(ws.db_path())
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .env_remove("IZUMA_ACCESS_KEY")
        .env_remove("IZUMA_JWT")
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(credential.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn verify_key(ws: &Workspace, secret: &str) -> (bool, String) {
    verify(ws, &["--access-key", "-"], secret)
}

fn verify_jwt(ws: &Workspace, token: &str, app: &str) -> (bool, String) {
    verify(ws, &["--jwt", "-", "--application-id", app], token)
}

fn audit(ws: &Workspace) -> Vec<Json> {
    let out = Command::new(izuma_local_binary())
        .args(["audit", "--db"])
        .arg(ws.db_path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn seq_of(log: &[Json], action: &str, object_id: &str, detail: Option<&str>) -> Vec<i64> {
    log.iter()
        .filter(|e| e["action"] == action && e["object_id"] == object_id)
        .filter(|e| detail.is_none_or(|d| e["detail"] == d))
        .map(|e| e["seq"].as_i64().unwrap())
        .collect()
}

/// create(new) < an accepted verification of each key < delete(old).
fn assert_rotation_order(log: &[Json], old_id: &str, new_id: &str) {
    let created = seq_of(log, "create", new_id, None)[0];
    let deleted = seq_of(log, "delete", old_id, None)[0];
    assert!(
        created < deleted,
        "new key created at {created}, old deleted at {deleted}"
    );
    for id in [old_id, new_id] {
        let verified = seq_of(log, "verify", id, Some("accepted"));
        assert!(
            verified.iter().any(|s| created < *s && *s < deleted),
            "key {id} was not verified between {created} and {deleted}: {verified:?}"
        );
    }
}

fn plan_actions(ws: &Workspace, address: &str) -> Json {
    let plan = ws.plan_json();
    let change = plan["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == address)
        .cloned();
    change.unwrap_or_else(|| panic!("{address} not in plan"))["change"]["actions"].clone()
}

fn access_key_config(ws: &Workspace, generation: u32) -> String {
    let bin = izuma_local_binary();
    format!(
        r#"{provider}
resource "izuma_application" "app" {{
  name = "rotating"
}}

resource "izuma_access_key" "ci" {{
  application_id    = izuma_application.app.id
  name              = "ci"
  rotation_triggers = {{ generation = "{generation}" }}
  lifecycle {{
    create_before_destroy = true
  }}
}}

# The deploy step: runs after the new key exists and before the old one is deleted.
resource "terraform_data" "deploy" {{
  triggers_replace = izuma_access_key.ci.id
  provisioner "local-exec" {{
    command     = "'{bin}' verify --db izuma.db && if [ -f old.secret ]; then '{bin}' verify --db izuma.db --access-key - < old.secret; fi"
    environment = {{ IZUMA_ACCESS_KEY = izuma_access_key.ci.secret }}
  }}
}}

output "secret" {{
  value     = izuma_access_key.ci.secret
  sensitive = true
}}
"#,
        provider = ws.local_provider(),
        bin = bin.display()
    )
}

#[test]
fn access_key_rotation_keeps_both_secrets_working_until_the_old_is_deleted() {
    let ws = Workspace::new();
    ws.write_config(&access_key_config(&ws, 1));
    ws.apply();
    let old_secret = ws.output_raw("secret");
    let old_id = ws.resource("izuma_access_key.ci")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ok, text) = verify_key(&ws, &old_secret);
    let app_id = ws.resource("izuma_application.app")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(ok && text.trim() == app_id, "{text}");

    ws.write_file("old.secret", &old_secret);
    ws.write_config(&access_key_config(&ws, 2));
    assert_eq!(
        plan_actions(&ws, "izuma_access_key.ci"),
        serde_json::json!(["create", "delete"])
    );
    ws.ok(&["apply", "-auto-approve", "-no-color", "tfplan"]);
    let new_secret = ws.output_raw("secret");
    let new_id = ws.resource("izuma_access_key.ci")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_id, old_id);

    assert_rotation_order(&audit(&ws), &old_id, &new_id);
    assert!(verify_key(&ws, &new_secret).0);
    let (ok, text) = verify_key(&ws, &old_secret);
    assert!(!ok && text.contains("unknown_access_key"), "{text}");
    let log = serde_json::to_string(&audit(&ws)).unwrap();
    assert!(
        !log.contains(&new_secret[35..]) && !log.contains(&old_secret[35..]),
        "a secret in the audit log"
    );
}

#[test]
fn rotation_with_both_key_slots_in_use_fails_cleanly() {
    let ws = Workspace::new();
    let config = |generation: u32| {
        format!(
            r#"{}
resource "izuma_application" "app" {{
  name = "full"
}}

resource "izuma_access_key" "a" {{
  application_id    = izuma_application.app.id
  name              = "a"
  rotation_triggers = {{ generation = "{generation}" }}
  lifecycle {{
    create_before_destroy = true
  }}
}}

resource "izuma_access_key" "b" {{
  application_id = izuma_application.app.id
  name           = "b"
}}

output "a" {{
  value     = izuma_access_key.a.secret
  sensitive = true
}}

output "b" {{
  value     = izuma_access_key.b.secret
  sensitive = true
}}
"#,
            ws.local_provider()
        )
    };
    ws.write_config(&config(1));
    ws.apply();
    let ids = |ws: &Workspace| {
        ["a", "b"].map(|k| ws.resource(&format!("izuma_access_key.{k}"))["id"].clone())
    };
    let before = ids(&ws);
    let secrets = [ws.output_raw("a"), ws.output_raw("b")];

    ws.write_config(&config(2));
    let failed = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        failed
            .folded()
            .contains("already has 2 access keys, the most an application may hold"),
        "{}",
        failed.all()
    );
    assert!(
        failed.folded().contains("This key was not created"),
        "{}",
        failed.all()
    );
    assert_eq!(ids(&ws), before, "state changed");
    for secret in &secrets {
        assert!(verify_key(&ws, secret).0, "an old key stopped working");
    }
    let log = audit(&ws);
    let key_creations = log
        .iter()
        .filter(|e| e["action"] == "create" && e["object"] == "access-key")
        .count();
    assert_eq!(key_creations, 2, "a third key was created");
}

fn jwt_config(ws: &Workspace, generation: u32) -> String {
    let bin = izuma_local_binary();
    format!(
        r#"{provider}
resource "izuma_application" "app" {{
  name = "devices"
}}

resource "izuma_jwt_verification_key" "signer" {{
  application_id    = izuma_application.app.id
  name_prefix       = "signer-"
  certificate       = file("signer-{generation}.pem")
  rotation_triggers = {{ generation = "{generation}" }}
  lifecycle {{
    create_before_destroy = true
  }}
}}

resource "terraform_data" "deploy" {{
  triggers_replace = izuma_jwt_verification_key.signer.id
  provisioner "local-exec" {{
    command     = "for f in previous.jwt current.jwt; do [ -f $f ] || continue; '{bin}' verify --db izuma.db --jwt - --application-id $APP < $f || exit 1; done"
    environment = {{ APP = izuma_application.app.id }}
  }}
}}
"#,
        provider = ws.local_provider(),
        bin = bin.display()
    )
}

fn token(signer: &certs::TestCertificate) -> String {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    let key = EncodingKey::from_ec_pem(signer.private_key_pem.as_bytes()).unwrap();
    encode(
        &Header::new(Algorithm::ES256),
        &serde_json::json!({"sub": "device", "exp": exp}),
        &key,
    )
    .unwrap()
}

#[test]
fn jwt_key_rotation_accepts_old_tokens_until_the_old_key_is_deleted() {
    let ws = Workspace::new();
    let first = certs::ec_p256("CN=signer one");
    let second = certs::ec_p256("CN=signer two");
    let (old_token, new_token) = (token(&first), token(&second));
    ws.write_file("signer-1.pem", &first.certificate_pem);
    ws.write_file("signer-2.pem", &second.certificate_pem);
    ws.write_file("current.jwt", &old_token);
    ws.write_config(&jwt_config(&ws, 1));
    ws.apply();
    let app = ws.resource("izuma_application.app")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let old_id = ws.resource("izuma_jwt_verification_key.signer")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(verify_jwt(&ws, &old_token, &app).0);
    let (ok, text) = verify_jwt(&ws, &new_token, &app);
    assert!(!ok && text.contains("bad_signature"), "{text}");

    ws.write_file("previous.jwt", &old_token);
    ws.write_file("current.jwt", &new_token);
    ws.write_config(&jwt_config(&ws, 2));
    assert_eq!(
        plan_actions(&ws, "izuma_jwt_verification_key.signer"),
        serde_json::json!(["create", "delete"])
    );
    ws.ok(&["apply", "-auto-approve", "-no-color", "tfplan"]);
    let new_id = ws.resource("izuma_jwt_verification_key.signer")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_rotation_order(&audit(&ws), &old_id, &new_id);
    assert!(verify_jwt(&ws, &new_token, &app).0);
    let (ok, text) = verify_jwt(&ws, &old_token, &app);
    assert!(!ok && text.contains("bad_signature"), "{text}");
}

#[test]
fn early_renewal_days_replaces_a_certificate_inside_the_window_only() {
    let ws = Workspace::new();
    let now = time::OffsetDateTime::now_utc();
    let cert = certs::ec_p256_valid(
        "CN=short lived",
        now - time::Duration::days(1),
        now + time::Duration::days(10),
    );
    ws.write_file("signer.pem", &cert.certificate_pem);
    let config = |days: u32| {
        format!(
            r#"{}
resource "izuma_application" "app" {{
  name = "renewing"
}}

resource "izuma_jwt_verification_key" "signer" {{
  application_id     = izuma_application.app.id
  name               = "signer"
  certificate        = file("signer.pem")
  early_renewal_days = {days}
  lifecycle {{
    create_before_destroy = true
  }}
}}
"#,
            ws.local_provider()
        )
    };
    ws.write_config(&config(5));
    ws.apply();
    ws.assert_no_changes();
    ws.write_config(&config(30));
    assert_eq!(
        plan_actions(&ws, "izuma_jwt_verification_key.signer"),
        serde_json::json!(["create", "delete"])
    );
}
