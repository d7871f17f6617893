//! `izuma_access_key` through the real terraform.

use crate::application::{backend, managed_applications};
use crate::common::{Mode, Workspace};
use izuma::backend::Backend;

fn config(ws: &Workspace, key_name: &str) -> String {
    format!(
        r#"{}
resource "izuma_application" "app" {{
  name = "ci"
}}

resource "izuma_access_key" "ci" {{
  application_id = izuma_application.app.id
  name           = "{key_name}"
  description    = "pipeline key"
}}

output "secret" {{
  value     = izuma_access_key.ci.secret
  sensitive = true
}}
"#,
        ws.provider_block()
    )
}

async fn access_key_lifecycle_secret_import_and_out_of_band_delete(mode: Mode) {
    let ws = Workspace::new_in(mode);
    ws.write_config(&config(&ws, "ci-key"));
    let applied = ws.apply();
    let secret = ws.output_raw("secret");
    assert!(
        secret.starts_with("ak_"),
        "secret output is {} chars",
        secret.len()
    );
    assert!(
        !applied.all().contains(&secret),
        "the secret was printed by apply"
    );
    ws.assert_no_changes();

    let created = ws.resource("izuma_access_key.ci");
    let app_id = created["application_id"].as_str().unwrap().to_owned();
    let key_id = created["id"].as_str().unwrap().to_owned();
    // The secret is in state (sensitive) but the engine only holds a hash.
    let db = std::fs::read(ws.db_path()).unwrap();
    assert!(
        !db.windows(secret.len()).any(|w| w == secret.as_bytes()),
        "plaintext secret in the database"
    );
    let state = ws.state();
    let sensitive = &state["values"]["root_module"]["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["address"] == "izuma_access_key.ci")
        .unwrap()["sensitive_values"];
    assert_eq!(sensitive["secret"], true, "secret must be marked sensitive");

    // In-place update keeps the key and its secret.
    ws.write_config(&config(&ws, "ci-key-renamed"));
    let plan = ws.assert_changes();
    assert!(plan.contains("update in-place"), "{plan}");
    ws.apply();
    assert_eq!(ws.output_raw("secret"), secret);
    let updated = ws.resource("izuma_access_key.ci");
    assert_eq!(updated["id"], key_id.as_str());

    // Import: everything but the secret, which the service cannot give back.
    ws.ok(&["state", "rm", "izuma_access_key.ci"]);
    // A malformed import id gets a message that says the format.
    let output = ws.fails(&["import", "-no-color", "izuma_access_key.ci", "nonsense"]);
    assert!(
        output.all().contains("<application_id>/<key_id>"),
        "{}",
        output.all()
    );
    ws.ok(&[
        "import",
        "-no-color",
        "izuma_access_key.ci",
        &format!("{app_id}/{key_id}"),
    ]);
    let imported = ws.resource("izuma_access_key.ci");
    let mut expected = updated.clone();
    expected["secret"] = serde_json::Value::Null;
    assert_eq!(imported, expected);
    ws.assert_no_changes();

    // Deleted outside Terraform: re-created with a new secret.
    backend(&ws)
        .delete_access_key(&app_id, &key_id)
        .await
        .unwrap();
    let plan = ws.assert_changes();
    assert!(plan.contains("will be created"), "{plan}");
    ws.apply();
    let new_secret = ws.output_raw("secret");
    assert!(new_secret.starts_with("ak_") && new_secret != secret);

    ws.destroy();
    assert!(managed_applications(&ws).await.is_empty());
    assert!(backend(&ws).list_access_keys(&app_id, None).await.is_err());
}

crate::in_both_modes!(access_key_lifecycle_secret_import_and_out_of_band_delete);
