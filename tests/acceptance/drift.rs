//! Drift: changes made outside Terraform (through the engine, on the same database file) show up in
//! the next plan as the right update or re-create, never an error, and one apply restores the
//! configuration.

use crate::application::backend;
use crate::common::{heredoc, Workspace};
use izuma::api::{ApplicationStatus, ApplicationUpdate};
use izuma::backend::Backend;
use izuma::testutil::certs;

fn config(ws: &Workspace, certificate: &str) -> String {
    format!(
        r#"{}
resource "izuma_application" "app" {{
  name        = "drifty"
  description = "as configured"
}}

resource "izuma_access_key" "key" {{
  application_id = izuma_application.app.id
  name           = "ci"
}}

resource "izuma_jwt_verification_key" "jwt" {{
  application_id = izuma_application.app.id
  name           = "signer"
  certificate    = {}
}}
"#,
        ws.local_provider(),
        heredoc(certificate)
    )
}

fn id_of(ws: &Workspace, address: &str) -> String {
    ws.resource(address)["id"].as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_changes_are_planned_and_one_apply_restores_the_configuration() {
    let ws = Workspace::new();
    let certificate = certs::ec_p256("CN=drift").certificate_pem;
    ws.write_config(&config(&ws, &certificate));
    ws.apply();
    ws.assert_no_changes();
    let engine = backend(&ws);
    let app = id_of(&ws, "izuma_application.app");

    // Renamed and deactivated: an in-place update back to the configuration.
    engine
        .update_application(
            &app,
            &ApplicationUpdate {
                name: Some("renamed".into()),
                description: Some(String::new()),
                status: Some(ApplicationStatus::Inactive),
            },
        )
        .await
        .unwrap();
    let plan = ws.assert_changes();
    assert!(
        plan.contains("izuma_application.app will be updated in-place"),
        "{plan}"
    );
    assert!(plan.contains("\"renamed\" -> \"drifty\""), "{plan}");
    assert!(plan.contains("\"INACTIVE\" -> \"ACTIVE\""), "{plan}");
    assert!(
        plan.contains("0 to add, 1 to change, 0 to destroy"),
        "{plan}"
    );
    ws.apply();
    ws.assert_no_changes();
    let restored = engine.get_application(&app).await.unwrap();
    assert_eq!(
        (restored.name.as_str(), restored.status),
        ("drifty", ApplicationStatus::Active)
    );

    // Verification key and access key deleted: both re-created, the application kept.
    let jwt = id_of(&ws, "izuma_jwt_verification_key.jwt");
    let key = id_of(&ws, "izuma_access_key.key");
    engine.delete_verification_key(&app, &jwt).await.unwrap();
    engine.delete_access_key(&app, &key).await.unwrap();
    let plan = ws.assert_changes();
    assert!(
        plan.contains("izuma_jwt_verification_key.jwt will be created"),
        "{plan}"
    );
    assert!(
        plan.contains("izuma_access_key.key will be created"),
        "{plan}"
    );
    assert!(
        plan.contains("2 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    ws.apply();
    ws.assert_no_changes();
    assert_eq!(engine.list_verification_keys(&app).await.unwrap().len(), 1);

    // The application deleted (its keys with it): everything re-created.
    engine.delete_application(&app).await.unwrap();
    let plan = ws.assert_changes();
    assert!(
        plan.contains("3 to add, 0 to change, 0 to destroy"),
        "{plan}"
    );
    ws.apply();
    ws.assert_no_changes();
    assert_ne!(id_of(&ws, "izuma_application.app"), app);
    ws.destroy();
    assert!(engine.list_applications(None).await.unwrap().is_empty());
}
