//! `izuma_application` through the real terraform.

use crate::common::{local_provider_block, Mode, Workspace};
use izuma::api::ApplicationStatus;
use izuma::backend::Backend;

fn config(ws: &Workspace, name: &str, status: &str) -> String {
    format!(
        "{}\nresource \"izuma_application\" \"web\" {{\n  name        = \"{name}\"\n  description = \"front end\"\n  status      = \"{status}\"\n}}\n",
        ws.provider_block()
    )
}

/// The applications Terraform manages: all but the remote server's own administrator.
pub async fn managed_applications(ws: &Workspace) -> Vec<izuma::api::Application> {
    let all = backend(ws).list_applications(None).await.unwrap();
    all.into_iter()
        .filter(|a| a.name != izuma::server::ADMIN_APPLICATION_NAME)
        .collect()
}

pub fn backend(ws: &Workspace) -> izuma::backend::local::LocalBackend {
    let engine = izuma::engine::Engine::open(&ws.db_path(), None).expect("open engine");
    izuma::backend::local::LocalBackend::new(std::sync::Arc::new(engine))
}

async fn application_lifecycle_import_and_out_of_band_delete(mode: Mode) {
    let ws = Workspace::new_in(mode);
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
    let left = managed_applications(&ws).await;
    assert!(left.is_empty(), "engine still holds {left:?}");
}

async fn the_fifth_application_of_a_free_account_fails_cleanly(mode: Mode) {
    let ws = Workspace::new_in(mode);
    // In remote mode the server's administrator application holds one of the four places.
    let room = 4 - ws.preexisting_applications();
    let provider = match mode {
        Mode::Local => local_provider_block("izuma.db", "free"),
        Mode::Remote => ws.provider_block(),
    };
    let mut config = provider.clone();
    for i in 0..=room {
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
    // Four exist, in the engine; those Terraform made are in state.
    let in_engine = backend(&ws).list_applications(None).await.unwrap();
    assert_eq!(in_engine.len(), 4);
    let state = ws.state();
    assert_eq!(
        state["values"]["root_module"]["resources"]
            .as_array()
            .unwrap()
            .len(),
        room
    );

    // Fixing the account (commercial) converges.
    match mode {
        Mode::Local => ws.write_config(&config.replace("\"free\"", "\"commercial\"")),
        Mode::Remote => {
            izuma::engine::Engine::open(&ws.db_path(), Some(izuma::api::AccountTier::Commercial))
                .expect("upgrade the account");
        }
    }
    ws.apply();
    ws.assert_no_changes();
    ws.destroy();
}

crate::in_both_modes!(
    application_lifecycle_import_and_out_of_band_delete,
    the_fifth_application_of_a_free_account_fails_cleanly
);
