//! `izuma_jwt_verification_key` through the real terraform.

use crate::application::{backend, managed_applications};
use crate::common::{Mode, Workspace};
use izuma::backend::Backend;
use izuma::testutil::certs;

fn config(ws: &Workspace, name: &str) -> String {
    format!(
        r#"{}
resource "izuma_application" "app" {{
  name = "signer"
}}

resource "izuma_jwt_verification_key" "signer" {{
  application_id = izuma_application.app.id
  name           = "{name}"
  kid            = "signer-1"
  certificate    = file("${{path.module}}/cert.pem")
}}

output "fingerprint" {{
  value = izuma_jwt_verification_key.signer.fingerprint
}}
"#,
        ws.provider_block()
    )
}

async fn verification_key_lifecycle_normalisation_import_and_drift(mode: Mode) {
    let ws = Workspace::new_in(mode);
    let cert = certs::ec_p256("CN=signer");
    ws.write_file("cert.pem", &cert.certificate_pem);
    ws.write_config(&config(&ws, "signer"));

    // The plan already knows the fingerprint: it comes from the certificate.
    let plan = ws.plan_json();
    let planned = &plan["planned_values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "izuma_jwt_verification_key.signer")
        .unwrap()["values"];
    let fingerprint = planned["fingerprint"]
        .as_str()
        .expect("fingerprint known at plan")
        .to_owned();
    assert_eq!(fingerprint.len(), 64);

    ws.apply();
    ws.assert_no_changes();
    assert_eq!(ws.output_raw("fingerprint"), fingerprint);
    let created = ws.resource("izuma_jwt_verification_key.signer");
    assert!(created["subject"].as_str().unwrap().contains("signer"));

    // CRLF line endings and a trailing blank line: no diff at all.
    ws.write_file(
        "cert.pem",
        &(cert.certificate_pem.replace('\n', "\r\n") + "\r\n"),
    );
    ws.assert_no_changes();

    // In-place rename.
    ws.write_config(&config(&ws, "signer-renamed"));
    let plan = ws.assert_changes();
    assert!(plan.contains("update in-place"), "{plan}");
    ws.apply();
    let updated = ws.resource("izuma_jwt_verification_key.signer");
    assert_eq!(updated["id"], created["id"]);

    // Import with a block: same state as apply made (the certificate text aside, which comes
    // back in the service's canonical PEM and is equivalent).
    let app_id = updated["application_id"].as_str().unwrap().to_owned();
    let key_id = updated["id"].as_str().unwrap().to_owned();
    ws.ok(&["state", "rm", "izuma_jwt_verification_key.signer"]);
    ws.write_file(
        "import.tf",
        &format!("import {{\n  to = izuma_jwt_verification_key.signer\n  id = \"{app_id}/{key_id}\"\n}}\n"),
    );
    ws.apply();
    ws.remove_file("import.tf");
    let imported = ws.resource("izuma_jwt_verification_key.signer");
    for (name, value) in updated.as_object().unwrap() {
        if name != "certificate" {
            assert_eq!(&imported[name], value, "{name}");
        }
    }
    ws.assert_no_changes();

    // A new certificate replaces the key.
    let other = certs::ec_p256("CN=signer two");
    ws.write_file("cert.pem", &other.certificate_pem);
    let plan = ws.assert_changes();
    assert!(plan.contains("must be replaced"), "{plan}");
    ws.apply();

    // Deleted outside Terraform: planned for creation again.
    let current = ws.resource("izuma_jwt_verification_key.signer");
    backend(&ws)
        .delete_verification_key(&app_id, current["id"].as_str().unwrap())
        .await
        .unwrap();
    let plan = ws.assert_changes();
    assert!(plan.contains("will be created"), "{plan}");
    ws.apply();

    ws.destroy();
    assert!(managed_applications(&ws).await.is_empty());
}

async fn a_bad_certificate_fails_at_plan_time_and_creates_nothing(mode: Mode) {
    let ws = Workspace::new_in(mode);
    let cert = certs::ec_p256("CN=x");
    ws.write_file("cert.pem", &cert.private_key_pem);
    ws.write_config(&config(&ws, "signer"));
    let output = ws.fails(&["plan", "-no-color"]);
    let text = output.all();
    assert!(text.contains("holds a private key"), "{text}");
    assert!(
        !text.contains("BEGIN PRIVATE KEY"),
        "the private key was echoed: {text}"
    );
    assert!(
        !text.contains("stack backtrace") && !text.contains("rust_begin_unwind"),
        "{text}"
    );
    assert!(!ws.db_path().exists() || std::fs::metadata(ws.db_path()).is_ok());
}

crate::in_both_modes!(
    verification_key_lifecycle_normalisation_import_and_drift,
    a_bad_certificate_fails_at_plan_time_and_creates_nothing
);
