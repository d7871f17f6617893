//! The bad-input catalog: one line per bad input (name, HCL, expected message fragment), across the
//! provider configuration, every resource and every data source. Each case runs `terraform plan`
//! through the real terraform in its own directory against one shared engine database, which must
//! be byte-for-byte the same (every table, every row) after all of them.

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use izuma::testutil::certs::{self, OpensslKey};
use time::{Duration, OffsetDateTime};

use crate::common::{heredoc, local_provider_block, Workspace};

const TERRAFORM_BLOCK: &str =
    "terraform {\n  required_providers {\n    izuma = { source = \"izuma/izuma\" }\n  }\n}\n";

/// Every table of the engine's database, schema and rows, as text.
fn dump(db: &Path) -> String {
    let connection = rusqlite::Connection::open(db).expect("open engine database");
    let mut tables = connection
        .prepare("SELECT name, sql FROM sqlite_master ORDER BY name")
        .unwrap();
    let tables: Vec<(String, Option<String>)> = tables
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut out = String::new();
    for (name, sql) in tables {
        out.push_str(&format!("== {name}: {}\n", sql.unwrap_or_default()));
        let Ok(mut rows) = connection.prepare(&format!("SELECT * FROM \"{name}\" ORDER BY 1"))
        else {
            continue; // indexes
        };
        let columns = rows.column_count();
        let rows: Vec<String> = rows
            .query_map([], |row| {
                (0..columns)
                    .map(|i| {
                        row.get::<_, rusqlite::types::Value>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .collect::<Result<Vec<_>, _>>()
                    .map(|cells| cells.join(" | "))
            })
            .unwrap()
            .map(Result::unwrap)
            .collect();
        for row in rows {
            out.push_str(&row);
            out.push('\n');
        }
    }
    out
}

fn verification_key(application_id: &str, certificate: &str) -> String {
    format!(
        "resource \"izuma_jwt_verification_key\" \"k\" {{\n  application_id = \"{application_id}\"\n  name = \"k\"\n  certificate = {}\n}}\n",
        heredoc(certificate)
    )
}

/// The catalog: (name, HCL after the `terraform` block, expected fragment). Cases without a
/// `provider "izuma"` block get the workspace's local provider; `DB` stands for the database path.
fn catalog(app: &str, missing: &str) -> Vec<(&'static str, String, &'static str)> {
    let now = OffsetDateTime::now_utc();
    let good = certs::ec_p256("CN=good");
    let der_base64: String = good
        .certificate_pem
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    let csr = rcgen::KeyPair::generate()
        .and_then(|key| rcgen::CertificateParams::default().serialize_request(&key))
        .and_then(|request| request.pem())
        .expect("certificate signing request");
    let vk = |certificate: &str| verification_key(app, certificate);
    let vk_with = |extra: &str| {
        format!(
            "resource \"izuma_jwt_verification_key\" \"k\" {{\n  application_id = \"{app}\"\n  name = \"k\"\n  certificate = {}\n  {extra}\n}}\n",
            heredoc(&good.certificate_pem)
        )
    };
    let application =
        |body: &str| format!("resource \"izuma_application\" \"a\" {{\n  {body}\n}}\n");
    let access_key = |body: &str| {
        format!(
            "resource \"izuma_access_key\" \"k\" {{\n  application_id = \"{app}\"\n  {body}\n}}\n"
        )
    };
    let provider = |body: &str| {
        format!("provider \"izuma\" {{\n  {body}\n}}\nresource \"izuma_application\" \"a\" {{\n  name = \"a\"\n}}\n")
    };
    let long = |n: usize| "x".repeat(n);
    vec![
        // Provider configuration.
        ("provider account_type", provider("local {\n    path = \"DB\"\n    account_type = \"gold\"\n  }"), "allowed values are \"free\""),
        ("provider empty path", provider("local {\n    path = \"\"\n  }"), "must name the engine's database file"),
        ("provider api_key format", provider("api_key = \"secret\""), "starts with \"ak_\""),
        ("provider local and api_key", provider("api_key = \"ak_x\"\n  local {\n    path = \"DB\"\n  }"), "configure one of them"),
        ("provider api_host", provider("api_key = \"ak_x\"\n  api_host = \"ftp://example.com\""), "Invalid api_host"),
        ("provider timeout", provider("api_key = \"ak_x\"\n  request_timeout_seconds = 0"), "whole number from 1 to 600"),
        ("provider retries", provider("api_key = \"ak_x\"\n  max_retries = 11"), "whole number from 0 to 10"),
        ("provider unknown argument", provider("region = \"eu\""), "An argument named \"region\" is not expected"),
        // izuma_application.
        ("application empty name", application("name = \"\""), "must not be empty"),
        ("application long name", application(&format!("name = \"{}\"", long(101))), "101 characters long"),
        ("application long description", application(&format!("name = \"a\"\n  description = \"{}\"", long(501))), "a description is at most 500"),
        ("application status EXPIRED", application("name = \"a\"\n  status = \"EXPIRED\""), "derives it from the expiration"),
        ("application status enum", application("name = \"a\"\n  status = \"active\""), "allowed values are \"ACTIVE\" and \"INACTIVE\""),
        ("application group id", application("name = \"a\"\n  groups = [\"admins\"]"), "Invalid policy-group id"),
        ("application id set", application("name = \"a\"\n  id = \"0123\""), "`id` is read-only"),
        ("application created_at set", application("name = \"a\"\n  created_at = \"2020-01-01T00:00:00Z\""), "`created_at` is read-only"),
        ("application name missing", application("description = \"d\""), "The argument \"name\" is required"),
        // izuma_access_key.
        ("access key application_id", "resource \"izuma_access_key\" \"k\" {\n  application_id = \"abc\"\n  name = \"k\"\n}\n".to_owned(), "Invalid application_id"),
        ("access key empty name", access_key("name = \"\""), "must not be empty"),
        ("access key long name", access_key(&format!("name = \"{}\"", long(101))), "101 characters long"),
        ("access key long description", access_key(&format!("name = \"k\"\n  description = \"{}\"", long(501))), "a description is at most 500"),
        ("access key status EXPIRED", access_key("name = \"k\"\n  status = \"EXPIRED\""), "derives it from the expiration"),
        ("access key status enum", access_key("name = \"k\"\n  status = \"DISABLED\""), "allowed values are \"ACTIVE\" and \"INACTIVE\""),
        ("access key expiration format", access_key("name = \"k\"\n  expiration = \"tomorrow\""), "Invalid expiration"),
        ("access key expiration past", access_key("name = \"k\"\n  expiration = \"2020-01-01T00:00:00Z\""), "has already passed"),
        ("access key secret set", access_key("name = \"k\"\n  secret = \"ak_mine\""), "`secret` is read-only"),
        ("access key triggers type", access_key("name = \"k\"\n  rotation_triggers = \"x\""), "Inappropriate value for attribute \"rotation_triggers\""),
        // izuma_jwt_verification_key.
        ("certificate empty", vk(""), "is empty"),
        ("certificate garbage", vk("hello world"), "is not a PEM certificate"),
        ("certificate private key", vk(&good.private_key_pem), "holds a private key"),
        ("certificate request", vk(&csr), "certificate signing request"),
        ("certificate chain", vk(&format!("{}{}", good.certificate_pem, good.certificate_pem)), "holds 2 certificates"),
        ("certificate bare DER base64", vk(&der_base64), "bare base64"),
        ("certificate RSA 1024", vk(&certs::rsa(1024, "CN=weak").certificate_pem), "RSA key of 1024 bits"),
        ("certificate EC P-192", vk(&certs::openssl_self_signed(OpensslKey::EcP192, "CN=p192").certificate_pem), "EC key on P-192"),
        ("certificate secp256k1", vk(&certs::openssl_self_signed(OpensslKey::EcSecp256k1, "CN=k1").certificate_pem), "EC key on secp256k1"),
        ("certificate Ed25519", vk(&certs::with_algorithm(&rcgen::PKCS_ED25519, "CN=ed").certificate_pem), "Ed25519 key"),
        ("certificate DSA", vk(&certs::openssl_self_signed(OpensslKey::Dsa, "CN=dsa").certificate_pem), "DSA key"),
        ("certificate expired", vk(&certs::ec_p256_valid("CN=old", now - Duration::days(30), now - Duration::days(1)).certificate_pem), "expired on"),
        ("certificate not yet valid", vk(&certs::ec_p256_valid("CN=new", now + Duration::days(1), now + Duration::days(30)).certificate_pem), "is not valid yet: it is valid from"),
        ("verification key long kid", vk_with(&format!("kid = \"{}\"", long(101))), "a kid is at most 100"),
        ("verification key empty kid", vk_with("kid = \"\""), "must not be empty"),
        ("verification key status EXPIRED", vk_with("status = \"EXPIRED\""), "derives it from the expiration"),
        ("verification key fingerprint set", vk_with("fingerprint = \"00\""), "`fingerprint` is read-only"),
        ("verification key renewal days", vk_with("early_renewal_days = -1"), "from 0 to 3650"),
        // Data sources.
        ("application lookup without key", "data \"izuma_application\" \"a\" {}\n".to_owned(), "exactly one of `id` and `name`"),
        ("application lookup both keys", format!("data \"izuma_application\" \"a\" {{\n  id = \"{app}\"\n  name = \"existing\"\n}}\n"), "Both `id` and `name`"),
        ("application lookup unknown name", "data \"izuma_application\" \"a\" {\n  name = \"nobody\"\n}\n".to_owned(), "no application named \"nobody\""),
        ("application lookup unknown id", format!("data \"izuma_application\" \"a\" {{\n  id = \"{missing}\"\n}}\n"), "no application with id"),
        ("applications status", "data \"izuma_applications\" \"all\" {\n  status = \"EXPIRED\"\n}\n".to_owned(), "derives it from the expiration"),
        ("access keys bad id", "data \"izuma_access_keys\" \"k\" {\n  application_id = \"zz\"\n}\n".to_owned(), "Invalid application_id"),
        ("access keys unknown application", format!("data \"izuma_access_keys\" \"k\" {{\n  application_id = \"{missing}\"\n}}\n"), "no application with id"),
        ("policy group unknown", "data \"izuma_policy_group\" \"g\" {\n  name = \"Owners\"\n}\n".to_owned(), "no policy group named \"Owners\""),
    ]
}

#[test]
fn every_bad_input_fails_at_plan_with_its_message_and_changes_nothing() {
    let started = std::time::Instant::now();
    // The shared database holds one application, so cases can name a real application id.
    let base = Workspace::new();
    base.write_config(&format!(
        "{}resource \"izuma_application\" \"existing\" {{\n  name = \"existing\"\n}}\n",
        base.local_provider()
    ));
    base.apply();
    let app = base.resource("izuma_application.existing")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let db = base.db_path();
    let db_text = db.to_str().unwrap().to_owned();
    let before = dump(&db);

    let cases = catalog(&app, &"f".repeat(32));
    assert!(cases.len() >= 40, "only {} cases", cases.len());
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    // Cases are independent (own directory, read-only on the database): run a few at a time.
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                while let Some((name, hcl, expected)) =
                    cases.get(next.fetch_add(1, Ordering::SeqCst))
                {
                    let ws = Workspace::new();
                    let hcl = hcl.replace("\"DB\"", &format!("{db_text:?}"));
                    let provider = if hcl.contains("provider \"izuma\"") {
                        TERRAFORM_BLOCK.to_owned()
                    } else {
                        local_provider_block(&db_text, "free")
                    };
                    ws.write_config(&format!("{provider}\n{hcl}"));
                    let output = ws.run(&["plan", "-no-color"]);
                    let text = output.all();
                    // Terraform wraps long messages: compare with whitespace collapsed.
                    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
                    let problem = if output.status == 0 {
                        Some("plan succeeded".to_owned())
                    } else if !flat.contains(expected) {
                        Some(format!("message lacks {expected:?}"))
                    } else if text.contains("panicked") || text.contains("stack backtrace") {
                        Some("panic or backtrace in the output".to_owned())
                    } else if text.contains("PRIVATE KEY-----\nMI") || text.contains("\nMIG") {
                        Some("key or certificate material echoed".to_owned())
                    } else {
                        None
                    };
                    if let Some(problem) = problem {
                        failures
                            .lock()
                            .unwrap()
                            .push(format!("{name}: {problem}\n{text}"));
                    }
                }
            });
        }
    });
    let failures = failures.into_inner().unwrap();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n----\n")
    );
    assert_eq!(dump(&db), before, "a bad input changed the engine database");
    eprintln!(
        "bad-input catalog: {} cases in {:.1}s",
        cases.len(),
        started.elapsed().as_secs_f64()
    );
}
