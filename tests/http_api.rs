//! `izuma-local serve` at the HTTP level: a real listener on 127.0.0.1:0, driven with reqwest.

#[path = "common/mod.rs"]
mod common;

use common::Server;
use reqwest::{Client, Method, StatusCode};
use serde_json::{json, Value};

struct Api {
    _dir: tempfile::TempDir,
    server: Server,
    client: Client,
}

impl Api {
    fn start(extra_args: &[&str]) -> Api {
        let dir = tempfile::tempdir().unwrap();
        let server = Server::start(&dir.path().join("izuma.db"), extra_args);
        Api {
            _dir: dir,
            server,
            client: Client::new(),
        }
    }

    async fn call_as(
        &self,
        key: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, format!("{}{path}", self.server.url));
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (StatusCode, Value) {
        let key = self.server.admin_key.clone();
        self.call_as(Some(&key), method, path, body).await
    }
}

/// The documented error body, with `type` `kind` and `code` `status`.
fn assert_error(status: StatusCode, body: &Value, expected: u16, kind: &str) {
    assert_eq!(status.as_u16(), expected, "{body}");
    assert_eq!(body["object"], "error", "{body}");
    assert_eq!(body["code"], expected, "{body}");
    assert_eq!(body["type"], kind, "{body}");
    assert!(
        body["message"].as_str().is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert!(body["fields"].is_array(), "{body}");
    let request_id = body["request_id"].as_str().unwrap();
    assert!(
        request_id.len() == 32 && request_id.bytes().all(|b| b.is_ascii_hexdigit()),
        "{body}"
    );
}

fn field_names(body: &Value) -> Vec<String> {
    body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn credentials_401_and_403() {
    let api = Api::start(&[]);
    let (status, me) = api.call(Method::GET, "/v3/accounts/me", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(me["object"], "account");
    for key in [
        None,
        Some("ak_nonsense"),
        Some(&*format!("ak_{}", "0".repeat(96))),
        Some("eyJhbGciOi.x.y"),
    ] {
        let (status, body) = api.call_as(key, Method::GET, "/v3/accounts/me", None).await;
        assert_error(status, &body, 401, "invalid_token");
        let (status, body) = api
            .call_as(key, Method::GET, "/v3/applications", None)
            .await;
        assert_error(status, &body, 401, "invalid_token");
    }
    // A key of an application outside Administrators: /me works, management is 403.
    let (_, app) = api
        .call(
            Method::POST,
            "/v3/applications",
            Some(json!({"name": "plain"})),
        )
        .await;
    let path = format!(
        "/v3/applications/{}/access-keys",
        app["id"].as_str().unwrap()
    );
    let (status, key) = api
        .call(Method::POST, &path, Some(json!({"name": "k"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let plain = key["key"].as_str().unwrap().to_owned();
    let (status, _) = api
        .call_as(Some(&plain), Method::GET, "/v3/accounts/me", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = api
        .call_as(Some(&plain), Method::GET, "/v3/applications", None)
        .await;
    assert_error(status, &body, 403, "access_denied");
    let (status, body) = api
        .call_as(
            Some(&plain),
            Method::POST,
            "/v3/applications",
            Some(json!({"name": "x"})),
        )
        .await;
    assert_error(status, &body, 403, "access_denied");
    // The credential is judged before the request itself: 401, then 403, then any 400 or 404.
    for (key, expected, kind) in [
        (None, 401, "invalid_token"),
        (Some(plain.as_str()), 403, "access_denied"),
    ] {
        for path in [
            "/v3/applications?limit=0",
            "/v3/applications/not-an-id",
            "/v3/access-keys?application_id__eq=x",
        ] {
            let (status, body) = api.call_as(key, Method::GET, path, None).await;
            assert_error(status, &body, expected, kind);
        }
        let mut request = api
            .client
            .post(format!("{}/v3/applications", api.server.url))
            .body("not json");
        if let Some(key) = key {
            request = request.bearer_auth(key);
        }
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
        assert_error(status, &body, expected, kind);
    }
    // Membership is read on every request: added, the next call manages; removed, the next is 403.
    let (_, groups) = api.call(Method::GET, "/v3/policy-groups", None).await;
    let administrators = groups["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Administrators")
        .unwrap()["id"]
        .clone();
    let app_path = format!("/v3/applications/{}", app["id"].as_str().unwrap());
    for (change, expected) in [("add", 200), ("remove", 403)] {
        let (status, _) = api
            .call(
                Method::POST,
                &format!("{app_path}/groups/{change}"),
                Some(json!([administrators])),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
        let (status, _) = api
            .call_as(Some(&plain), Method::GET, "/v3/applications", None)
            .await;
        assert_eq!(status.as_u16(), expected, "after groups/{change}");
    }
    // A deactivated application is refused on its next request, and reactivated accepted again.
    for (state, expected) in [("INACTIVE", 401), ("ACTIVE", 200)] {
        let (status, _) = api
            .call(Method::PUT, &app_path, Some(json!({"status": state})))
            .await;
        assert_eq!(status, StatusCode::OK);
        let (status, _) = api
            .call_as(Some(&plain), Method::GET, "/v3/accounts/me", None)
            .await;
        assert_eq!(status.as_u16(), expected, "application {state}");
    }
    // An inactive key is refused like an unknown one.
    let key_path = format!("{path}/{}", key["id"].as_str().unwrap());
    api.call(Method::PUT, &key_path, Some(json!({"status": "INACTIVE"})))
        .await;
    let (status, body) = api
        .call_as(Some(&plain), Method::GET, "/v3/accounts/me", None)
        .await;
    assert_error(status, &body, 401, "invalid_token");
}

#[tokio::test]
async fn applications_crud_groups_and_refusals() {
    let api = Api::start(&[]);
    let (status, app) = api
        .call(
            Method::POST,
            "/v3/applications",
            Some(json!({"name": "web", "description": "d"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(
        (app["object"].as_str(), app["status"].as_str()),
        (Some("application"), Some("ACTIVE"))
    );
    let id = app["id"].as_str().unwrap();
    let path = format!("/v3/applications/{id}");
    let (status, got) = api.call(Method::GET, &path, None).await;
    assert_eq!((status, &got), (StatusCode::OK, &app));
    let (status, updated) = api
        .call(Method::PUT, &path, Some(json!({"status": "INACTIVE"})))
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        (updated["status"].as_str(), updated["name"].as_str()),
        (Some("INACTIVE"), Some("web"))
    );
    assert_ne!(updated["etag"], app["etag"]);
    let (_, list) = api
        .call(Method::GET, "/v3/applications?status__eq=INACTIVE", None)
        .await;
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let (status, body) = api
        .call(
            Method::POST,
            "/v3/applications",
            Some(json!({"name": "web"})),
        )
        .await;
    assert_error(status, &body, 409, "duplicate");
    let (status, body) = api
        .call(
            Method::POST,
            "/v3/applications",
            Some(json!({"name": "x", "colour": 1})),
        )
        .await;
    assert_error(status, &body, 400, "validation_error");
    assert_eq!(field_names(&body), ["colour"]);
    let (status, body) = api
        .call(
            Method::POST,
            "/v3/applications",
            Some(json!({"description": "no name"})),
        )
        .await;
    assert_error(status, &body, 400, "validation_error");
    assert_eq!(field_names(&body), ["name"]);
    let (status, body) = api
        .call(Method::PUT, &path, Some(json!({"status": "ASLEEP"})))
        .await;
    assert_error(status, &body, 400, "validation_error");
    assert_eq!(field_names(&body), ["status"]);
    let raw = |body: &'static str, content_type: &'static str| {
        api.client
            .post(format!("{}/v3/applications", api.server.url))
            .bearer_auth(&api.server.admin_key)
            .header("content-type", content_type)
            .body(body)
    };
    for (request, field) in [
        (raw("{\"name\": ", "application/json"), "name"),
        (raw("{\"name\": \"t\"}", "text/plain"), "Content-Type"),
    ] {
        let response = request.send().await.unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_error(status, &body, 400, "validation_error");
        assert_eq!(field_names(&body), [field]);
    }
    let huge = json!({"name": "big", "description": "x".repeat(izuma::server::MAX_BODY_BYTES)});
    let (status, body) = api.call(Method::POST, "/v3/applications", Some(huge)).await;
    assert_error(status, &body, 400, "validation_error");
    assert_eq!(field_names(&body), ["body"]);
    let (status, body) = api
        .call(Method::GET, "/v3/applications/not-an-id", None)
        .await;
    assert_error(status, &body, 404, "not_found");
    let (status, body) = api
        .call(
            Method::GET,
            &format!("/v3/applications/{}", "a".repeat(32)),
            None,
        )
        .await;
    assert_error(status, &body, 404, "not_found");

    // Groups: list, add, 409 on a second add, remove.
    let (_, groups) = api.call(Method::GET, "/v3/policy-groups", None).await;
    let developers = groups["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["name"] == "Developers")
        .unwrap()["id"]
        .clone();
    let (status, _) = api
        .call(
            Method::POST,
            &format!("{path}/groups/add"),
            Some(json!([developers])),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api
        .call(
            Method::POST,
            &format!("{path}/groups/add"),
            Some(json!([developers])),
        )
        .await;
    assert_error(status, &body, 409, "duplicate");
    let (_, listed) = api.call(Method::GET, &format!("{path}/groups"), None).await;
    assert_eq!(listed["data"][0]["id"], developers);
    let (status, _) = api
        .call(
            Method::POST,
            &format!("{path}/groups/remove"),
            Some(json!([developers])),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    let (status, body) = api.call(Method::DELETE, &path, None).await;
    assert_eq!((status, body), (StatusCode::NO_CONTENT, Value::Null));
    let (status, body) = api.call(Method::GET, &path, None).await;
    assert_error(status, &body, 404, "not_found");
}

#[tokio::test]
async fn lists_page_filter_and_refuse_bad_queries() {
    let api = Api::start(&["--account-type", "commercial"]);
    for i in 0..6 {
        let (status, _) = api
            .call(
                Method::POST,
                "/v3/applications",
                Some(json!({"name": format!("app-{i}")})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED);
    }
    // 7 applications (with the administrator) over pages of 2, in creation order.
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let query = match &after {
            Some(after) => format!("?limit=2&include=total_count&after={after}"),
            None => "?limit=2&include=total_count".to_owned(),
        };
        let (status, page) = api
            .call(Method::GET, &format!("/v3/applications{query}"), None)
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        assert_eq!(
            (
                page["object"].as_str(),
                page["limit"].as_u64(),
                page["order"].as_str()
            ),
            (Some("list"), Some(2), Some("ASC"))
        );
        assert_eq!(page["total_count"], 7);
        let data = page["data"].as_array().unwrap();
        seen.extend(data.iter().map(|a| a["name"].as_str().unwrap().to_owned()));
        if !page["has_more"].as_bool().unwrap() {
            break;
        }
        after = Some(data.last().unwrap()["id"].as_str().unwrap().to_owned());
    }
    assert_eq!(seen.len(), 7);
    assert_eq!(
        seen[1..],
        (0..6).map(|i| format!("app-{i}")).collect::<Vec<_>>()[..]
    );
    let (_, desc) = api
        .call(Method::GET, "/v3/applications?order=DESC&limit=2", None)
        .await;
    assert_eq!(desc["data"][0]["name"], "app-5");

    for (query, field) in [
        ("limit=1", "limit"),
        ("limit=1001", "limit"),
        ("limit=x", "limit"),
        ("order=UP", "order"),
        ("after=zz", "after"),
        ("include=all", "include"),
        ("status__eq=ON", "status__eq"),
    ] {
        let (status, body) = api
            .call(Method::GET, &format!("/v3/applications?{query}"), None)
            .await;
        assert_error(status, &body, 400, "validation_error");
        assert_eq!(field_names(&body), [field], "{query}");
    }
}

#[tokio::test]
async fn access_keys_and_verification_keys() {
    let api = Api::start(&[]);
    let (_, app) = api
        .call(
            Method::POST,
            "/v3/applications",
            Some(json!({"name": "svc"})),
        )
        .await;
    let app_id = app["id"].as_str().unwrap();
    let keys = format!("/v3/applications/{app_id}/access-keys");
    let (status, key) = api
        .call(Method::POST, &keys, Some(json!({"name": "one"})))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert!(key["key"].as_str().unwrap().starts_with("ak_"));
    assert_eq!(key["object"], "access-key");
    let key_path = format!("{keys}/{}", key["id"].as_str().unwrap());
    let (status, read) = api.call(Method::GET, &key_path, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(read.get("key").is_none(), "{read}");
    api.call(
        Method::POST,
        &keys,
        Some(json!({"name": "two", "status": "INACTIVE"})),
    )
    .await;
    let (status, body) = api
        .call(Method::POST, &keys, Some(json!({"name": "three"})))
        .await;
    assert_error(status, &body, 403, "account_limit_exceeded");
    let (_, inactive) = api
        .call(Method::GET, &format!("{keys}?status__eq=INACTIVE"), None)
        .await;
    assert_eq!(inactive["data"].as_array().unwrap().len(), 1);
    let (_, all) = api.call(Method::GET, "/v3/access-keys", None).await;
    assert_eq!(
        all["data"].as_array().unwrap().len(),
        3,
        "the administrator's key and these two"
    );
    let (_, of_app) = api
        .call(
            Method::GET,
            &format!("/v3/access-keys?application_id__eq={app_id}"),
            None,
        )
        .await;
    assert_eq!(of_app["data"].as_array().unwrap().len(), 2);
    let (status, one) = api
        .call(
            Method::GET,
            &format!("/v3/access-keys/{}", key["id"].as_str().unwrap()),
            None,
        )
        .await;
    assert_eq!(
        (status, one["name"].as_str()),
        (StatusCode::OK, Some("one"))
    );
    let (status, body) = api
        .call(Method::PUT, &key_path, Some(json!({"status": "EXPIRED"})))
        .await;
    assert_error(status, &body, 400, "validation_error");
    let (status, _) = api.call(Method::DELETE, &key_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = api.call(Method::DELETE, &key_path, None).await;
    assert_error(status, &body, 404, "not_found");

    let cert = izuma::testutil::certs::ec_p256("CN=http signer");
    let vkeys = format!("/v3/applications/{app_id}/verification-keys");
    let (status, vkey) = api
        .call(
            Method::POST,
            &vkeys,
            Some(json!({"name": "signer", "certificate": cert.certificate_pem, "kid": "k1"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{vkey}");
    assert_eq!(vkey["object"], "verification-key");
    let fingerprint = vkey["fingerprint"].as_str().unwrap();
    let (_, found) = api
        .call(
            Method::GET,
            &format!("{vkeys}?fingerprint__eq={fingerprint}"),
            None,
        )
        .await;
    assert_eq!(found["data"].as_array().unwrap().len(), 1);
    let (_, none) = api
        .call(
            Method::GET,
            &format!("{vkeys}?fingerprint__eq={}", "0".repeat(64)),
            None,
        )
        .await;
    assert!(none["data"].as_array().unwrap().is_empty());
    let (status, body) = api
        .call(
            Method::POST,
            &vkeys,
            Some(json!({"name": "signer", "certificate": cert.certificate_pem})),
        )
        .await;
    assert_error(status, &body, 409, "duplicate");
    let vkey_path = format!("{vkeys}/{}", vkey["id"].as_str().unwrap());
    let (status, renamed) = api
        .call(Method::PUT, &vkey_path, Some(json!({"name": "renamed"})))
        .await;
    assert_eq!(
        (status, renamed["name"].as_str()),
        (StatusCode::OK, Some("renamed"))
    );
    let (status, _) = api.call(Method::DELETE, &vkey_path, None).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn injected_faults_carry_the_error_body_and_retry_after() {
    let api = Api::start(&["--inject-faults", "429=1"]);
    let response = api
        .client
        .get(format!("{}/v3/accounts/me", api.server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(response.headers().contains_key("retry-after"));
    let body: Value = response.json().await.unwrap();
    assert_error(
        StatusCode::TOO_MANY_REQUESTS,
        &body,
        429,
        "rate_limit_exceeded",
    );
    let health = api
        .client
        .get(format!("{}/health", api.server.url))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status(), StatusCode::OK);
}

/// A JWT signed by an application's own private key authenticates with `X-Application-ID`;
/// without the header, or for another application, it does not.
#[tokio::test]
async fn jwt_credentials_with_x_application_id() {
    use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};

    let api = Api::start(&[]);
    let (_, apps) = api.call(Method::GET, "/v3/applications", None).await;
    let admin_id = apps["data"][0]["id"].as_str().unwrap().to_owned();
    let cert = izuma::testutil::certs::ec_p256("CN=admin signer");
    let (status, body) = api
        .call(
            Method::POST,
            &format!("/v3/applications/{admin_id}/verification-keys"),
            Some(json!({"name": "admin-signer", "certificate": cert.certificate_pem})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 300;
    let token = encode(
        &Header::new(Algorithm::ES256),
        &json!({"exp": exp, "sub": "ci"}),
        &EncodingKey::from_ec_pem(cert.private_key_pem.as_bytes()).unwrap(),
    )
    .unwrap();
    let send = |application_id: Option<String>, path: &'static str| {
        let mut request = api
            .client
            .get(format!("{}{path}", api.server.url))
            .bearer_auth(&token);
        if let Some(id) = application_id {
            request = request.header("X-Application-ID", id);
        }
        request.send()
    };
    let me = send(Some(admin_id.clone()), "/v3/accounts/me")
        .await
        .unwrap();
    assert_eq!(me.status(), StatusCode::OK);
    let manage = send(Some(admin_id.clone()), "/v3/applications")
        .await
        .unwrap();
    assert_eq!(manage.status(), StatusCode::OK);
    let no_header = send(None, "/v3/accounts/me").await.unwrap();
    assert_eq!(no_header.status(), StatusCode::UNAUTHORIZED);
    let other = send(Some("0".repeat(32)), "/v3/accounts/me").await.unwrap();
    assert_eq!(other.status(), StatusCode::UNAUTHORIZED);
}

/// A first start that cannot hand the administrator key over (unwritable key file, busy port)
/// creates no administrator, so the next start can.
#[test]
fn a_failed_first_start_leaves_no_administrator_behind() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("izuma.db");
    let serve = |key_file: &std::path::Path, listen: &str| {
        Command::new(common::izuma_local_binary())
            .args(["serve", "--listen", listen, "--db"])
            .arg(&db)
            .arg("--admin-key-file")
            .arg(key_file)
            .output()
            .unwrap()
    };
    let unwritable = serve(&dir.path().join("missing/dir/key"), "127.0.0.1:0");
    assert!(!unwritable.status.success());
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let busy_addr = busy.local_addr().unwrap().to_string();
    let on_busy_port = serve(&dir.path().join("key"), &busy_addr);
    assert!(!on_busy_port.status.success());
    assert!(!dir.path().join("key").exists());

    let engine = izuma::engine::Engine::open(&db, None).unwrap();
    let apps = engine
        .list_applications(&izuma::engine::ListQuery::default(), None)
        .unwrap();
    assert!(apps.data.is_empty(), "an administrator was left behind");
    drop(engine);
    let server = common::Server::start(&db, &[]);
    assert!(server.admin_key.starts_with("ak_"));
}

/// Malformed bodies name `body` and speak in API terms, never in Rust type names.
#[tokio::test]
async fn malformed_bodies_are_named_in_api_terms() {
    let api = Api::start(&[]);
    for raw in ["[]", "{bad", "\"text\""] {
        let response = api
            .client
            .post(format!("{}/v3/applications", api.server.url))
            .bearer_auth(&api.server.admin_key)
            .header("Content-Type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body: Value = response.json().await.unwrap();
        assert_error(status, &body, 400, "validation_error");
        assert_eq!(field_names(&body), vec!["body".to_owned()], "{raw}: {body}");
        let message = body["message"].as_str().unwrap();
        assert!(!message.contains("struct"), "{raw}: {message}");
    }
}
