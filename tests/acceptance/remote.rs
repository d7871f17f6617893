//! Remote mode under stress: a flaky service and a missing one.

use std::time::{Duration, Instant};

use crate::application::{backend, managed_applications};
use crate::common::{Mode, Workspace};
use izuma::backend::Backend;
use izuma::testutil::certs;

/// With 30% of requests answered 429 or 503 (half of the 503s after the call ran), a full apply
/// and destroy still succeed and leave no duplicate behind.
#[tokio::test(flavor = "multi_thread")]
async fn apply_and_destroy_succeed_through_injected_faults_without_duplicates() {
    let ws = Workspace::with_server_args(Mode::Remote, &["--inject-faults", "429=0.15,503=0.15"]);
    ws.write_file("cert.pem", &certs::ec_p256("CN=flaky").certificate_pem);
    ws.write_config(&format!(
        r#"{}
resource "izuma_application" "app" {{
  count = 2
  name  = "flaky-${{count.index}}"
}}

resource "izuma_access_key" "key" {{
  application_id = izuma_application.app[0].id
  name           = "flaky-key"
}}

resource "izuma_jwt_verification_key" "signer" {{
  application_id = izuma_application.app[1].id
  name           = "flaky-signer"
  certificate    = file("${{path.module}}/cert.pem")
}}
"#,
        ws.provider_block()
    ));
    ws.apply();
    let applications = managed_applications(&ws).await;
    assert_eq!(applications.len(), 2, "{applications:?}");
    let engine = backend(&ws);
    let mut keys = 0;
    let mut verification_keys = 0;
    for application in &applications {
        keys += engine
            .list_access_keys(&application.id, None)
            .await
            .unwrap()
            .len();
        verification_keys += engine
            .list_verification_keys(&application.id)
            .await
            .unwrap()
            .len();
    }
    assert_eq!((keys, verification_keys), (1, 1));
    ws.destroy();
    assert!(managed_applications(&ws).await.is_empty());
}

/// Nothing listening: terraform fails soon with a message that names the host and the timeout.
#[test]
fn with_the_service_down_terraform_fails_quickly_and_says_why() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let ws = Workspace::new();
    ws.write_config(&format!(
        r#"terraform {{
  required_providers {{
    izuma = {{ source = "izuma/izuma" }}
  }}
}}

provider "izuma" {{
  api_host                = "http://127.0.0.1:{port}"
  api_key                 = "ak_{}"
  request_timeout_seconds = 2
  max_retries             = 2
}}

resource "izuma_application" "a" {{
  name = "a"
}}
"#,
        "0".repeat(96)
    ));
    let started = Instant::now();
    let output = ws.fails(&["apply", "-auto-approve", "-no-color"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    // Terraform wraps long lines.
    let text = output
        .all()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        text.contains(&format!(
            "127.0.0.1:{port} could not be reached within the 2s request timeout"
        )),
        "{text}"
    );
    assert!(!text.contains(&"0".repeat(96)), "the key was shown: {text}");
}
