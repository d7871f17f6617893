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

/// Nothing listening (refused) or a service that accepts but never answers (timeout): terraform
/// fails within the configured timeout and retries, with a message that says which.
#[test]
fn with_the_service_down_terraform_fails_quickly_and_says_why() {
    let refused_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    fails_within_the_timeout(
        refused_port,
        "cannot connect to the Izuma API at http://127.0.0.1:{port}",
    );
    // Accepted by the kernel's backlog, never answered.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let silent_port = silent.local_addr().unwrap().port();
    fails_within_the_timeout(silent_port, "did not answer within the 2s request timeout");
    drop(silent);
}

fn fails_within_the_timeout(port: u16, expected: &str) {
    let expected = expected.replace("{port}", &port.to_string());
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
    // Three attempts of at most 2 s plus backoff, for plan's read and apply's create at most.
    assert!(
        started.elapsed() < Duration::from_secs(40),
        "took {:?}",
        started.elapsed()
    );
    let text = output.folded();
    assert!(text.contains(&expected), "{text}");
    assert!(!text.contains(&"0".repeat(96)), "the key was shown: {text}");
}
