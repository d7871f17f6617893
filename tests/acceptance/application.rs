//! `izuma_application` through the real terraform.

use crate::common::{local_provider_block, Workspace};
use izuma::api::ApplicationStatus;
use izuma::backend::Backend;

fn config(ws: &Workspace, name: &str, status: &str) -> String {
    format!(
        "{}\nresource \"izuma_application\" \"web\" {{\n  name        = \"{name}\"\n  description = \"front end\"\n  status      = \"{status}\"\n}}\n",
        ws.local_provider()
    )
}

pub fn backend(ws: &Workspace) -> izuma::backend::local::LocalBackend {
    let engine = izuma::engine::Engine::open(&ws.db_path(), None).expect("open engine");
    izuma::backend::local::LocalBackend::new(std::sync::Arc::new(engine))
}

#[tokio::test(flavor = "multi_thread")]
async fn application_lifecycle_import_and_out_of_band_delete() {
    let ws = Workspace::new();
    ws.write_config(&config(&ws, "web", "ACTIVE"));
    ws.apply();
    ws.assert_no_changes();
    let created = ws.resource("izuma_application.web");
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(created["status"], "ACTIVE");

    // In-place update: the id stays.
    ws.write_config(&config(&ws, "web-renamed", "INACTIVE"));
    let plan = ws.assert_changes();
    assert!(plan.contains("update in-place"), "{plan}");
    ws.apply();
    let updated = ws.resource("izuma_application.web");
    assert_eq!(updated["id"], id.as_str());
    assert_eq!(updated["name"], "web-renamed");
    let engine_view = backend(&ws).get_application(&id).await.unwrap();
    assert_eq!(engine_view.status, ApplicationStatus::Inactive);
    ws.assert_no_changes();

    // Import with the command: the imported state equals what apply produced.
    ws.ok(&["state", "rm", "izuma_application.web"]);
    ws.ok(&["import", "-no-color", "izuma_application.web", &id]);
    assert_eq!(ws.resource("izuma_application.web"), updated);
    ws.assert_no_changes();

    // Import with an import block.
    ws.ok(&["state", "rm", "izuma_application.web"]);
    ws.write_file(
        "import.tf",
        &format!("import {{\n  to = izuma_application.web\n  id = \"{id}\"\n}}\n"),
    );
    ws.apply();
    ws.remove_file("import.tf");
    assert_eq!(ws.resource("izuma_application.web"), updated);

    // Deleted outside Terraform: the next plan re-creates it, it does not fail.
    backend(&ws).delete_application(&id).await.unwrap();
    let plan = ws.assert_changes();
    assert!(plan.contains("will be created"), "{plan}");
    ws.apply();
    let recreated = ws.resource("izuma_application.web");
    assert_ne!(recreated["id"], id.as_str());

    ws.destroy();
    let left = backend(&ws).list_applications(None).await.unwrap();
    assert!(left.is_empty(), "engine still holds {left:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_fifth_application_of_a_free_account_fails_cleanly() {
    let ws = Workspace::new();
    let mut config = local_provider_block("izuma.db", "free");
    for i in 0..5 {
        config.push_str(&format!(
            "resource \"izuma_application\" \"a{i}\" {{\n  name = \"app-{i}\"\n}}\n"
        ));
    }
    ws.write_config(&config);
    let output = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        output
            .stderr
            .contains("a free account holds at most 4 applications"),
        "{}",
        output.all()
    );
    assert!(
        !output.all().contains("stack backtrace"),
        "{}",
        output.all()
    );
    // Four exist, in the engine and in state alike.
    let in_engine = backend(&ws).list_applications(None).await.unwrap();
    assert_eq!(in_engine.len(), 4);
    let state = ws.state();
    assert_eq!(
        state["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .len(),
        4
    );

    // Fixing the configuration (commercial account) converges.
    ws.write_config(&config.replace("\"free\"", "\"commercial\""));
    ws.apply();
    ws.assert_no_changes();
    ws.destroy();
}
