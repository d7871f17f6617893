//! The provider's log lines: shown by Terraform under TF_LOG, with the resource type, the
//! operation and the ids of created objects, and never a secret.

use crate::common::{Mode, Workspace};

crate::in_both_modes!(trace_logs_show_operations_and_ids_but_no_secret);

/// A real HS256 JWT, signed with a throw-away key: what a token pasted into a configuration
/// looks like.
fn throwaway_jwt() -> String {
    use rand::RngCore;
    let mut key = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut key);
    let claims = serde_json::json!({ "sub": "log-test", "exp": 4_102_444_800u64 });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(&key),
    )
    .unwrap()
}

async fn trace_logs_show_operations_and_ids_but_no_secret(mode: Mode) {
    let jwt = throwaway_jwt();
    let mut workspace = Workspace::new_in(mode);
    workspace.extra_env.push(("TF_LOG".into(), "TRACE".into()));
    workspace
        .extra_env
        .push(("TF_VAR_token".into(), jwt.clone()));
    workspace.write_config(&format!(
        r#"{provider}
variable "token" {{
  type      = string
  sensitive = true
}}

resource "izuma_application" "logged" {{
  name        = "logged"
  description = var.token
}}

resource "izuma_access_key" "logged" {{
  application_id = izuma_application.logged.id
  name           = "logged"
}}

output "secret" {{
  value     = izuma_access_key.logged.secret
  sensitive = true
}}
"#,
        provider = workspace.provider_block()
    ));
    let apply = workspace.apply().all();
    let secret = workspace.output_raw("secret");
    assert!(secret.starts_with("ak_"), "{secret}");
    let key_id = workspace.resource("izuma_access_key.logged")["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert!(
        apply.contains("tf_resource_type=izuma_access_key")
            && apply.contains("tf_operation=create"),
        "the provider's log lines should be in the TRACE output"
    );
    assert!(
        apply.contains(&format!("done: id {key_id}")),
        "the created key's id should be logged"
    );

    let replan = workspace.ok(&["plan", "-no-color"]).all();
    let destroy = workspace.destroy().all();
    for (step, text) in [("apply", &apply), ("plan", &replan), ("destroy", &destroy)] {
        assert!(
            !text.contains(&secret),
            "the access key's secret appears in the TRACE output of {step}"
        );
        assert!(
            !text.contains(&jwt),
            "the JWT appears in the TRACE output of {step}"
        );
        if let Some(server) = &workspace.server {
            assert!(
                !text.contains(&server.admin_key),
                "the provider's API key appears in the TRACE output of {step}"
            );
        }
    }
}
