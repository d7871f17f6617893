use std::path::Path;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use rusqlite::types::Value;
use rusqlite::Connection;
use tempfile::TempDir;
use time::{Duration, OffsetDateTime};

use super::*;
use crate::api::{
    AccessKey, AccessKeyUpdate, ApplicationStatus, ApplicationUpdate, NewAccessKey, NewApplication,
    NewVerificationKey, VerificationKeyUpdate,
};
use crate::testutil::certs;

const LOCAL: &Actor = &Actor::Local;

fn open(tier: Option<AccountTier>) -> (TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(&dir.path().join("izuma.db"), tier).unwrap();
    (dir, engine)
}

fn create_app(engine: &Engine, name: &str) -> crate::api::Application {
    engine
        .create_application(
            LOCAL,
            &NewApplication {
                name: name.into(),
                ..Default::default()
            },
        )
        .unwrap()
}

fn create_key(engine: &Engine, application_id: &str, name: &str) -> crate::api::AccessKey {
    engine
        .create_access_key(
            LOCAL,
            application_id,
            &NewAccessKey {
                name: name.into(),
                ..Default::default()
            },
        )
        .unwrap()
}

fn new_verification_key(name: &str, certificate_pem: &str) -> NewVerificationKey {
    NewVerificationKey {
        name: name.into(),
        certificate: certificate_pem.into(),
        ..Default::default()
    }
}

fn group_id(engine: &Engine, name: &str) -> String {
    let groups = engine.list_policy_groups(&ListQuery::default()).unwrap();
    groups
        .data
        .into_iter()
        .find(|group| group.name == name)
        .unwrap()
        .id
}

/// Asserts the error's status, type and a fragment of its message.
#[track_caller]
fn assert_error<T: std::fmt::Debug>(
    result: ApiResult<T>,
    code: u16,
    kind: &str,
    fragment: &str,
) -> ApiError {
    let error = result.expect_err("the call should have been refused");
    assert_eq!((error.code, error.kind.as_str()), (code, kind), "{error:?}");
    assert!(
        error.message.contains(fragment),
        "{:?} does not contain {fragment:?}",
        error.message
    );
    error
}

#[track_caller]
fn assert_field(error: &ApiError, field: &str) {
    assert!(
        error.fields.iter().any(|f| f.name == field),
        "{error:?} does not name {field}"
    );
}

/// Every row of every table (and the schema version), read through a second connection.
fn dump(path: &Path) -> String {
    let conn = Connection::open(path).unwrap();
    let version: i64 = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    let mut out = format!("user_version {version}\n");
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for table in tables {
        out.push_str(&format!("table {table}\n"));
        let mut statement = conn
            .prepare(&format!("SELECT * FROM {table} ORDER BY rowid"))
            .unwrap();
        let columns = statement.column_count();
        let mut rows = statement.query([]).unwrap();
        while let Some(row) = rows.next().unwrap() {
            let values: Vec<Value> = (0..columns).map(|i| row.get(i).unwrap()).collect();
            out.push_str(&format!("{values:?}\n"));
        }
    }
    out
}

/// Lets a test move the engine's clock forward; returns the offset in seconds.
fn movable_clock(engine: &mut Engine) -> Arc<AtomicI64> {
    let offset = Arc::new(AtomicI64::new(0));
    let shared = Arc::clone(&offset);
    engine.set_clock(move || {
        OffsetDateTime::now_utc() + Duration::seconds(shared.load(Ordering::SeqCst))
    });
    offset
}

#[test]
fn a_new_file_gets_one_account_and_the_two_groups() {
    let (_dir, engine) = open(None);
    let account = engine.account().unwrap();
    assert_eq!(account.object, "account");
    assert!(rules::is_valid_id(&account.id));
    assert_eq!(account.tier, Some(AccountTier::Free));
    let groups = engine.list_policy_groups(&ListQuery::default()).unwrap();
    let names: Vec<&str> = groups.data.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["Administrators", "Developers"]);
    for group in &groups.data {
        assert_eq!(group.object, "policy-group");
        assert!(rules::is_valid_id(&group.id));
        assert_eq!(group.account_id, account.id);
    }
}

#[test]
fn reopening_keeps_the_data_and_does_not_reseed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("izuma.db");
    let engine = Engine::open(&path, None).unwrap();
    let account = engine.account().unwrap();
    let app = create_app(&engine, "kept");
    drop(engine);

    let engine = Engine::open(&path, Some(AccountTier::Commercial)).unwrap();
    assert_eq!(engine.path(), path);
    let reopened = engine.account().unwrap();
    assert_eq!(reopened.id, account.id);
    assert_eq!(reopened.tier, Some(AccountTier::Commercial));
    assert_ne!(reopened.etag, account.etag);
    assert_eq!(engine.get_application(&app.id).unwrap(), app);
    let groups = engine.list_policy_groups(&ListQuery::default()).unwrap();
    assert_eq!(groups.data.len(), 2);
    drop(engine);

    // Opening without a tier leaves the recorded one alone.
    let engine = Engine::open(&path, None).unwrap();
    assert_eq!(
        engine.account().unwrap().tier,
        Some(AccountTier::Commercial)
    );
}

#[test]
fn two_engines_on_one_file_see_each_others_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("izuma.db");
    let first = Engine::open(&path, None).unwrap();
    let second = Engine::open(&path, None).unwrap();
    assert_eq!(first.account().unwrap().id, second.account().unwrap().id);
    let from_first = create_app(&first, "one");
    assert_eq!(second.get_application(&from_first.id).unwrap(), from_first);
    let from_second = create_app(&second, "two");
    let key = create_key(&second, &from_second.id, "k");
    assert_eq!(first.get_application(&from_second.id).unwrap(), from_second);
    assert_eq!(first.get_access_key(None, &key.id).unwrap().name, key.name);
}

#[test]
fn two_engines_can_write_at_the_same_time() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("izuma.db");
    let writers: Vec<_> = ["a", "b"]
        .into_iter()
        .map(|prefix| {
            let path = path.clone();
            std::thread::spawn(move || {
                // Each thread opens the new file with its own connection, as a second
                // process would; only one of them seeds it.
                let engine = Engine::open(&path, Some(AccountTier::Commercial)).unwrap();
                for i in 0..10 {
                    create_app(&engine, &format!("{prefix}{i}"));
                }
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    let engine = Engine::open(&path, None).unwrap();
    let all = engine
        .list_applications(
            &ListQuery {
                include_total: true,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert_eq!(all.total_count, Some(20));
    assert_eq!(engine.audit_log().unwrap().len(), 20);
    let groups = engine.list_policy_groups(&ListQuery::default()).unwrap();
    assert_eq!(groups.data.len(), 2);
}

#[test]
fn applications_are_created_read_updated_and_deleted() {
    let (_dir, engine) = open(None);
    let admins = group_id(&engine, "Administrators");
    let created = engine
        .create_application(
            LOCAL,
            &NewApplication {
                name: "ci".into(),
                description: Some("the CI pipeline".into()),
                status: None,
                groups: Some(vec![admins.clone(), admins.clone()]),
            },
        )
        .unwrap();
    assert_eq!(created.object, "application");
    assert!(rules::is_valid_id(&created.id));
    assert_eq!(created.account_id, engine.account().unwrap().id);
    assert_eq!(created.description.as_deref(), Some("the CI pipeline"));
    assert_eq!(created.groups, std::slice::from_ref(&admins));
    assert_eq!(created.status, ApplicationStatus::Active);
    assert!(rules::parse_time(&created.created_at).is_ok());
    assert!(created.created_at.ends_with('Z'));
    assert_eq!(engine.get_application(&created.id).unwrap(), created);

    let updated = engine
        .update_application(
            LOCAL,
            &created.id,
            &ApplicationUpdate {
                name: Some("ci-2".into()),
                description: Some(String::new()),
                status: Some(ApplicationStatus::Inactive),
            },
        )
        .unwrap();
    assert_eq!(updated.name, "ci-2");
    assert_eq!(updated.description, None);
    assert_eq!(updated.status, ApplicationStatus::Inactive);
    assert_eq!(updated.groups, created.groups);
    assert_ne!(updated.etag, created.etag);
    let unchanged = engine
        .update_application(LOCAL, &created.id, &ApplicationUpdate::default())
        .unwrap();
    assert_ne!(
        unchanged.etag, updated.etag,
        "every update is a new version"
    );

    let inactive = engine
        .list_applications(&ListQuery::default(), Some(ApplicationStatus::Inactive))
        .unwrap();
    assert_eq!(inactive.data.len(), 1);
    let active = engine
        .list_applications(&ListQuery::default(), Some(ApplicationStatus::Active))
        .unwrap();
    assert!(active.data.is_empty());

    engine.delete_application(LOCAL, &created.id).unwrap();
    assert_error(
        engine.get_application(&created.id),
        404,
        "not_found",
        &format!("application {} not found", created.id),
    );
    assert_error(
        engine.delete_application(LOCAL, &created.id),
        404,
        "not_found",
        "not found",
    );

    let log = engine.audit_log().unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.object.as_str()))
        .collect();
    assert_eq!(
        actions,
        [
            ("create", "application"),
            ("create", "group-membership"),
            ("update", "application"),
            ("update", "application"),
            ("delete", "application"),
        ]
    );
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq));
    assert_eq!(log[0].actor, "local");
    assert_eq!(log[1].object_id, admins);
    assert_eq!(log[2].detail, "changed name, description, status");
}

#[test]
fn the_actor_is_recorded() {
    let (_dir, engine) = open(None);
    let admin = create_app(&engine, "admin");
    let actor = Actor::Application(admin.id.clone());
    let app = engine
        .create_application(
            &actor,
            &NewApplication {
                name: "made by admin".into(),
                ..Default::default()
            },
        )
        .unwrap();
    let last = engine.audit_log().unwrap().pop().unwrap();
    assert_eq!(last.actor, format!("application:{}", admin.id));
    assert_eq!(last.object_id, app.id);
}

#[test]
fn application_fields_are_validated() {
    let (_dir, engine) = open(None);
    let cases = [
        (
            NewApplication {
                name: String::new(),
                ..Default::default()
            },
            "name",
            "must not be empty",
        ),
        (
            NewApplication {
                name: "n".repeat(101),
                ..Default::default()
            },
            "name",
            "101 characters",
        ),
        (
            NewApplication {
                name: "ok".into(),
                description: Some("d".repeat(501)),
                ..Default::default()
            },
            "description",
            "501 characters",
        ),
        (
            NewApplication {
                name: "ok".into(),
                groups: Some(vec!["0123456789abcdef0123456789abcdef".into()]),
                ..Default::default()
            },
            "groups",
            "is not the id of a policy group",
        ),
    ];
    for (new, field, fragment) in cases {
        let error = assert_error(
            engine.create_application(LOCAL, &new),
            400,
            "validation_error",
            fragment,
        );
        assert_field(&error, field);
    }
    assert!(engine
        .list_applications(&ListQuery::default(), None)
        .unwrap()
        .data
        .is_empty());
}

#[test]
fn application_names_are_unique_in_the_account() {
    let (_dir, engine) = open(None);
    let first = create_app(&engine, "x");
    let second = create_app(&engine, "y");
    let error = assert_error(
        engine.create_application(
            LOCAL,
            &NewApplication {
                name: "x".into(),
                ..Default::default()
            },
        ),
        409,
        "duplicate",
        &format!("name \"x\" is already used by application {}", first.id),
    );
    assert_field(&error, "name");
    assert_error(
        engine.update_application(
            LOCAL,
            &second.id,
            &ApplicationUpdate {
                name: Some("x".into()),
                ..Default::default()
            },
        ),
        409,
        "duplicate",
        &first.id,
    );
    // Keeping one's own name is no clash.
    engine
        .update_application(
            LOCAL,
            &first.id,
            &ApplicationUpdate {
                name: Some("x".into()),
                ..Default::default()
            },
        )
        .unwrap();
}

#[test]
fn a_free_account_holds_four_applications() {
    let (_dir, engine) = open(None);
    for i in 0..4 {
        create_app(&engine, &format!("app {i}"));
    }
    assert_error(
        engine.create_application(
            LOCAL,
            &NewApplication {
                name: "fifth".into(),
                ..Default::default()
            },
        ),
        403,
        "account_limit_exceeded",
        "a free account holds at most 4 applications",
    );
}

#[test]
fn a_commercial_account_holds_twenty_five_applications() {
    let (_dir, engine) = open(Some(AccountTier::Commercial));
    for i in 0..25 {
        create_app(&engine, &format!("app {i}"));
    }
    assert_error(
        engine.create_application(
            LOCAL,
            &NewApplication {
                name: "one more".into(),
                ..Default::default()
            },
        ),
        403,
        "account_limit_exceeded",
        "a commercial account holds at most 25 applications",
    );
}

#[test]
fn group_memberships_are_added_listed_and_removed() {
    let (_dir, engine) = open(None);
    let admins = group_id(&engine, "Administrators");
    let developers = group_id(&engine, "Developers");
    let app = create_app(&engine, "app");
    assert!(app.groups.is_empty());

    engine
        .add_application_groups(LOCAL, &app.id, &[developers.clone(), admins.clone()])
        .unwrap();
    let after_add = engine.get_application(&app.id).unwrap();
    let mut both = vec![admins.clone(), developers.clone()];
    both.sort();
    assert_eq!(after_add.groups, both);
    assert_ne!(after_add.etag, app.etag);
    let listed = engine
        .list_application_groups(&app.id, &ListQuery::default())
        .unwrap();
    assert_eq!(listed.data.len(), 2);
    assert_eq!(listed.data[0].name, "Administrators");

    let error = assert_error(
        engine.add_application_groups(LOCAL, &app.id, std::slice::from_ref(&admins)),
        409,
        "duplicate",
        "is already in policy group \"Administrators\"",
    );
    assert_field(&error, "groups");

    engine
        .remove_application_groups(LOCAL, &app.id, std::slice::from_ref(&admins))
        .unwrap();
    assert_eq!(
        engine.get_application(&app.id).unwrap().groups,
        std::slice::from_ref(&developers)
    );
    assert_error(
        engine.remove_application_groups(LOCAL, &app.id, std::slice::from_ref(&admins)),
        404,
        "not_found",
        "is not in policy group",
    );
    let error = assert_error(
        engine.add_application_groups(LOCAL, &app.id, &["nope".into()]),
        400,
        "validation_error",
        "groups",
    );
    assert_field(&error, "groups");
    assert_error(
        engine.list_application_groups("0123456789abcdef0123456789abcdef", &ListQuery::default()),
        404,
        "not_found",
        "application 0123456789abcdef0123456789abcdef not found",
    );
}

#[test]
fn access_keys_are_created_read_updated_and_deleted() {
    let (_dir, engine) = open(None);
    let app = create_app(&engine, "app");
    let created = engine
        .create_access_key(
            LOCAL,
            &app.id,
            &NewAccessKey {
                name: "deploy".into(),
                description: Some("for deploys".into()),
                status: Some(KeyStatus::Active),
                expiration: Some("2099-01-02T04:04:05.250+01:00".into()),
            },
        )
        .unwrap();
    assert_eq!(created.object, "access-key");
    assert_eq!(created.application_id, app.id);
    assert_eq!(created.status, KeyStatus::Active);
    assert_eq!(created.expiration.as_deref(), Some("2099-01-02T03:04:05Z"));
    assert!(created.key.is_some());

    let read = engine.get_access_key(Some(&app.id), &created.id).unwrap();
    assert_eq!(read.key, None, "the secret is shown once");
    assert_eq!(
        read,
        AccessKey {
            key: None,
            ..created.clone()
        }
    );
    assert_eq!(engine.get_access_key(None, &created.id).unwrap(), read);

    let updated = engine
        .update_access_key(
            LOCAL,
            &app.id,
            &created.id,
            &AccessKeyUpdate {
                name: Some("deploy-2".into()),
                description: Some(String::new()),
                status: Some(KeyStatus::Inactive),
                expiration: Some(String::new()),
            },
        )
        .unwrap();
    assert_eq!(updated.name, "deploy-2");
    assert_eq!(updated.description, None);
    assert_eq!(updated.status, KeyStatus::Inactive);
    assert_eq!(updated.expiration, None);
    assert_ne!(updated.etag, read.etag);

    let listed = engine
        .list_access_keys(&ListQuery::default(), Some(&app.id), None)
        .unwrap();
    assert_eq!(listed.data, std::slice::from_ref(&updated));

    engine
        .delete_access_key(LOCAL, &app.id, &created.id)
        .unwrap();
    assert_error(
        engine.get_access_key(Some(&app.id), &created.id),
        404,
        "not_found",
        &format!("access key {} not found", created.id),
    );
}

#[test]
fn the_secret_is_returned_once_and_only_its_hash_is_stored() {
    let (dir, engine) = open(None);
    let app = create_app(&engine, "app");
    let key = create_key(&engine, &app.id, "k");
    let secret = key.key.as_ref().unwrap().expose().to_string();

    let tail = secret
        .strip_prefix(&format!("ak_{}", key.id))
        .expect("the secret is ak_ + the key id + random");
    assert_eq!(tail.len(), 64);
    assert!(tail
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
    assert_eq!(access_key_id_of_secret(&secret), Some(key.id.as_str()));
    assert_eq!(access_key_id_of_secret("ak_short"), None);

    let stored: String = Connection::open(engine.path())
        .unwrap()
        .query_row(
            "SELECT secret_hash FROM access_keys WHERE id = ?",
            [&key.id],
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(stored, secret_hash(&secret));

    // Neither the database nor its WAL holds the secret, nor does the audit log.
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert!(!text.contains(tail), "the secret's random part is on disk");
    }
    let audit = serde_json::to_string(&engine.audit_log().unwrap()).unwrap();
    assert!(!audit.contains(tail));
    assert_eq!(format!("{:?}", key.key), "Some(Secret(<redacted>))");
}

#[test]
fn an_application_holds_two_access_keys() {
    let (_dir, engine) = open(None);
    let app = create_app(&engine, "app");
    create_key(&engine, &app.id, "old");
    create_key(&engine, &app.id, "new");
    assert_error(
        engine.create_access_key(
            LOCAL,
            &app.id,
            &NewAccessKey {
                name: "third".into(),
                ..Default::default()
            },
        ),
        403,
        "account_limit_exceeded",
        &format!(
            "application {} already has 2 access keys, the most an application may hold; delete one before creating another",
            app.id
        ),
    );
}

#[test]
fn access_key_fields_are_validated() {
    let (_dir, engine) = open(None);
    let app = create_app(&engine, "app");
    let cases = [
        (
            NewAccessKey {
                name: String::new(),
                ..Default::default()
            },
            "name",
            "must not be empty",
        ),
        (
            NewAccessKey {
                name: "k".into(),
                status: Some(KeyStatus::Expired),
                ..Default::default()
            },
            "status",
            "EXPIRED cannot be written",
        ),
        (
            NewAccessKey {
                name: "k".into(),
                expiration: Some("next tuesday".into()),
                ..Default::default()
            },
            "expiration",
            "is not an RFC 3339 timestamp",
        ),
        (
            NewAccessKey {
                name: "k".into(),
                expiration: Some("2001-01-01T00:00:00Z".into()),
                ..Default::default()
            },
            "expiration",
            "is not in the future",
        ),
    ];
    for (new, field, fragment) in cases {
        let error = assert_error(
            engine.create_access_key(LOCAL, &app.id, &new),
            400,
            "validation_error",
            fragment,
        );
        assert_field(&error, field);
    }
    let key = create_key(&engine, &app.id, "k");
    let error = assert_error(
        engine.update_access_key(
            LOCAL,
            &app.id,
            &key.id,
            &AccessKeyUpdate {
                status: Some(KeyStatus::Expired),
                ..Default::default()
            },
        ),
        400,
        "validation_error",
        "status",
    );
    assert_field(&error, "status");
}

#[test]
fn an_access_key_is_only_found_under_its_own_application() {
    let (_dir, engine) = open(None);
    let owner = create_app(&engine, "owner");
    let other = create_app(&engine, "other");
    let key = create_key(&engine, &owner.id, "k");
    let fragment = format!(
        "access key {} not found in application {}",
        key.id, other.id
    );
    assert_error(
        engine.get_access_key(Some(&other.id), &key.id),
        404,
        "not_found",
        &fragment,
    );
    assert_error(
        engine.update_access_key(LOCAL, &other.id, &key.id, &AccessKeyUpdate::default()),
        404,
        "not_found",
        &fragment,
    );
    assert_error(
        engine.delete_access_key(LOCAL, &other.id, &key.id),
        404,
        "not_found",
        &fragment,
    );
    let missing = "0123456789abcdef0123456789abcdef";
    assert_error(
        engine.create_access_key(
            LOCAL,
            missing,
            &NewAccessKey {
                name: "k".into(),
                ..Default::default()
            },
        ),
        404,
        "not_found",
        &format!("application {missing} not found"),
    );
    assert_error(
        engine.list_access_keys(&ListQuery::default(), Some(missing), None),
        404,
        "not_found",
        "not found",
    );
    // The account-wide list holds every application's keys.
    let other_key = create_key(&engine, &other.id, "k2");
    let all = engine
        .list_access_keys(&ListQuery::default(), None, None)
        .unwrap();
    let ids: Vec<&str> = all.data.iter().map(|k| k.id.as_str()).collect();
    assert_eq!(ids, [key.id.as_str(), other_key.id.as_str()]);
}

#[test]
fn an_access_key_reads_as_expired_once_its_expiration_passes() {
    let (_dir, mut engine) = open(None);
    let clock = movable_clock(&mut engine);
    let app = create_app(&engine, "app");
    let soon = rules::format_time(OffsetDateTime::now_utc() + Duration::hours(1));
    let expiring = engine
        .create_access_key(
            LOCAL,
            &app.id,
            &NewAccessKey {
                name: "expiring".into(),
                expiration: Some(soon),
                ..Default::default()
            },
        )
        .unwrap();
    let lasting = create_key(&engine, &app.id, "lasting");
    assert_eq!(expiring.status, KeyStatus::Active);

    clock.store(2 * 3600, Ordering::SeqCst);
    let read = engine.get_access_key(Some(&app.id), &expiring.id).unwrap();
    assert_eq!(read.status, KeyStatus::Expired);
    let ids_with = |status| {
        engine
            .list_access_keys(&ListQuery::default(), Some(&app.id), Some(status))
            .unwrap()
            .data
            .into_iter()
            .map(|k| k.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids_with(KeyStatus::Expired),
        std::slice::from_ref(&expiring.id)
    );
    assert_eq!(
        ids_with(KeyStatus::Active),
        std::slice::from_ref(&lasting.id)
    );
    assert!(ids_with(KeyStatus::Inactive).is_empty());
    // An expired key can still be renamed; its status stays derived.
    let renamed = engine
        .update_access_key(
            LOCAL,
            &app.id,
            &expiring.id,
            &AccessKeyUpdate {
                name: Some("old".into()),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(renamed.status, KeyStatus::Expired);
}

#[test]
fn verification_keys_are_created_read_updated_and_deleted() {
    let (_dir, engine) = open(None);
    let app = create_app(&engine, "app");
    let cert = certs::ec_p256("CN=signer one");
    let info = crate::certificate::parse_certificate(&cert.certificate_pem).unwrap();
    let crlf = cert.certificate_pem.replace('\n', "\r\n");
    let created = engine
        .create_verification_key(
            LOCAL,
            &app.id,
            &NewVerificationKey {
                name: "signer".into(),
                certificate: crlf,
                description: Some("laptop".into()),
                kid: Some("k1".into()),
                status: None,
            },
        )
        .unwrap();
    assert_eq!(created.object, "verification-key");
    assert_eq!(created.application_id, app.id);
    assert_eq!(created.certificate, info.canonical_pem);
    assert_eq!(created.fingerprint, info.fingerprint);
    assert_eq!(created.subject, info.subject);
    assert_eq!(created.issuer, info.issuer);
    assert_eq!(created.expiration, rules::format_time(info.not_after));
    assert_eq!(created.status, KeyStatus::Active);
    assert_eq!(created.kid.as_deref(), Some("k1"));
    assert_eq!(
        engine.get_verification_key(&app.id, &created.id).unwrap(),
        created
    );

    let updated = engine
        .update_verification_key(
            LOCAL,
            &app.id,
            &created.id,
            &VerificationKeyUpdate {
                name: Some("signer-2".into()),
                description: Some(String::new()),
                kid: Some(String::new()),
                status: Some(KeyStatus::Inactive),
            },
        )
        .unwrap();
    assert_eq!(updated.name, "signer-2");
    assert_eq!(updated.description, None);
    assert_eq!(updated.kid, None);
    assert_eq!(updated.status, KeyStatus::Inactive);
    assert_eq!(updated.fingerprint, created.fingerprint);
    assert_ne!(updated.etag, created.etag);

    let filtered = |filters: VerificationKeyFilter| {
        engine
            .list_verification_keys(&ListQuery::default(), &app.id, &filters)
            .unwrap()
            .data
            .len()
    };
    assert_eq!(filtered(VerificationKeyFilter::default()), 1);
    assert_eq!(
        filtered(VerificationKeyFilter {
            fingerprint: Some(info.fingerprint.to_uppercase()),
            subject: Some(info.subject.clone()),
            issuer: Some(info.issuer.clone()),
            status: Some(KeyStatus::Inactive),
        }),
        1
    );
    assert_eq!(
        filtered(VerificationKeyFilter {
            status: Some(KeyStatus::Active),
            ..Default::default()
        }),
        0
    );

    engine
        .delete_verification_key(LOCAL, &app.id, &created.id)
        .unwrap();
    assert_error(
        engine.get_verification_key(&app.id, &created.id),
        404,
        "not_found",
        &format!("verification key {} not found", created.id),
    );
}

#[test]
fn verification_key_names_certificates_and_kids_are_unique() {
    let (_dir, engine) = open(None);
    let first_app = create_app(&engine, "first");
    let second_app = create_app(&engine, "second");
    let cert = certs::ec_p256("CN=one");
    let other_cert = certs::ec_p256("CN=two");
    let first = engine
        .create_verification_key(
            LOCAL,
            &first_app.id,
            &NewVerificationKey {
                kid: Some("k".into()),
                ..new_verification_key("signer", &cert.certificate_pem)
            },
        )
        .unwrap();

    let error = assert_error(
        engine.create_verification_key(
            LOCAL,
            &second_app.id,
            &new_verification_key("signer", &other_cert.certificate_pem),
        ),
        409,
        "duplicate",
        &format!(
            "name \"signer\" is already used by verification key {}",
            first.id
        ),
    );
    assert_field(&error, "name");
    let error = assert_error(
        engine.create_verification_key(
            LOCAL,
            &second_app.id,
            &new_verification_key("again", &cert.certificate_pem),
        ),
        409,
        "duplicate",
        &format!("is already used by verification key {}", first.id),
    );
    assert_field(&error, "certificate");
    let error = assert_error(
        engine.create_verification_key(
            LOCAL,
            &first_app.id,
            &NewVerificationKey {
                kid: Some("k".into()),
                ..new_verification_key("other", &other_cert.certificate_pem)
            },
        ),
        409,
        "duplicate",
        &format!("kid \"k\" is already used by verification key {}", first.id),
    );
    assert_field(&error, "kid");
    // The same kid under another application is fine.
    engine
        .create_verification_key(
            LOCAL,
            &second_app.id,
            &NewVerificationKey {
                kid: Some("k".into()),
                ..new_verification_key("other", &other_cert.certificate_pem)
            },
        )
        .unwrap();
}

#[test]
fn verification_key_fields_and_certificates_are_validated() {
    let (_dir, engine) = open(None);
    let app = create_app(&engine, "app");
    let now = OffsetDateTime::now_utc();
    let good = certs::ec_p256("CN=ok").certificate_pem;
    let expired = certs::ec_p256_valid("CN=old", now - Duration::days(30), now - Duration::days(1))
        .certificate_pem;
    let private_key = certs::ec_p256("CN=x").private_key_pem;
    let cases = [
        (
            new_verification_key("v", "hello"),
            "certificate",
            "certificate is not a PEM certificate",
        ),
        (
            new_verification_key("v", &private_key),
            "certificate",
            "certificate holds a private key",
        ),
        (
            new_verification_key("v", &expired),
            "certificate",
            "certificate expired on",
        ),
        (
            new_verification_key("", &good),
            "name",
            "name must not be empty",
        ),
        (
            NewVerificationKey {
                kid: Some("k".repeat(101)),
                ..new_verification_key("v", &good)
            },
            "kid",
            "kid is 101 characters long",
        ),
        (
            NewVerificationKey {
                description: Some("d".repeat(501)),
                ..new_verification_key("v", &good)
            },
            "description",
            "description is 501 characters long",
        ),
        (
            NewVerificationKey {
                status: Some(KeyStatus::Expired),
                ..new_verification_key("v", &good)
            },
            "status",
            "EXPIRED cannot be written",
        ),
    ];
    for (new, field, fragment) in cases {
        let error = assert_error(
            engine.create_verification_key(LOCAL, &app.id, &new),
            400,
            "validation_error",
            fragment,
        );
        assert_field(&error, field);
    }
}

#[test]
fn a_verification_key_reads_as_expired_once_its_certificate_expires() {
    let (_dir, mut engine) = open(None);
    let clock = movable_clock(&mut engine);
    let app = create_app(&engine, "app");
    let now = OffsetDateTime::now_utc();
    let cert = certs::ec_p256_valid("CN=short", now - Duration::days(1), now + Duration::days(1));
    let key = engine
        .create_verification_key(
            LOCAL,
            &app.id,
            &new_verification_key("v", &cert.certificate_pem),
        )
        .unwrap();
    assert_eq!(key.status, KeyStatus::Active);
    clock.store(2 * 86_400, Ordering::SeqCst);
    assert_eq!(
        engine
            .get_verification_key(&app.id, &key.id)
            .unwrap()
            .status,
        KeyStatus::Expired
    );
    let expired = engine
        .list_verification_keys(
            &ListQuery::default(),
            &app.id,
            &VerificationKeyFilter {
                status: Some(KeyStatus::Expired),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(expired.data.len(), 1);
}

#[test]
fn deleting_an_application_deletes_its_keys() {
    let (_dir, engine) = open(None);
    let app = create_app(&engine, "doomed");
    let kept = create_app(&engine, "kept");
    let developers = group_id(&engine, "Developers");
    engine
        .add_application_groups(LOCAL, &app.id, std::slice::from_ref(&developers))
        .unwrap();
    let first = create_key(&engine, &app.id, "a");
    let second = create_key(&engine, &app.id, "b");
    let kept_key = create_key(&engine, &kept.id, "c");
    let verification = engine
        .create_verification_key(
            LOCAL,
            &app.id,
            &new_verification_key("v", &certs::ec_p256("CN=v").certificate_pem),
        )
        .unwrap();

    engine.delete_application(LOCAL, &app.id).unwrap();

    assert_error(
        engine.get_access_key(None, &first.id),
        404,
        "not_found",
        "not found",
    );
    let remaining = engine
        .list_access_keys(&ListQuery::default(), None, None)
        .unwrap();
    assert_eq!(remaining.data.len(), 1);
    assert_eq!(remaining.data[0].id, kept_key.id);
    let conn = Connection::open(engine.path()).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [&app.id], |row| row.get(0)).unwrap() };
    assert_eq!(
        count("SELECT COUNT(*) FROM access_keys WHERE application_id = ?"),
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM verification_keys WHERE application_id = ?"),
        0
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM application_groups WHERE application_id = ?"),
        0
    );

    let deleted: Vec<(String, String)> = engine
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "delete")
        .map(|e| (e.object, e.object_id))
        .collect();
    assert_eq!(
        deleted,
        [
            ("access-key".to_string(), first.id),
            ("access-key".to_string(), second.id),
            ("verification-key".to_string(), verification.id),
            ("application".to_string(), app.id),
        ]
    );
}

#[test]
fn a_refused_call_leaves_the_database_unchanged() {
    let (_dir, engine) = open(None);
    let admins = group_id(&engine, "Administrators");
    let developers = group_id(&engine, "Developers");
    let app = create_app(&engine, "app");
    engine
        .add_application_groups(LOCAL, &app.id, std::slice::from_ref(&admins))
        .unwrap();
    let other = create_app(&engine, "other");
    let cert = certs::ec_p256("CN=v");
    engine
        .create_verification_key(
            LOCAL,
            &app.id,
            &new_verification_key("v", &cert.certificate_pem),
        )
        .unwrap();
    create_key(&engine, &app.id, "a");
    create_key(&engine, &app.id, "b");
    create_app(&engine, "third");
    create_app(&engine, "fourth");
    let before = dump(engine.path());

    let refusals: Vec<ApiResult<()>> = vec![
        // Developers would be added before the clash with Administrators is found.
        engine.add_application_groups(LOCAL, &app.id, &[developers.clone(), admins.clone()]),
        engine.remove_application_groups(LOCAL, &app.id, &[admins.clone(), developers.clone()]),
        engine
            .create_application(
                LOCAL,
                &NewApplication {
                    name: "fifth".into(),
                    ..Default::default()
                },
            )
            .map(drop),
        engine
            .update_application(
                LOCAL,
                &other.id,
                &ApplicationUpdate {
                    name: Some("app".into()),
                    ..Default::default()
                },
            )
            .map(drop),
        engine
            .create_access_key(
                LOCAL,
                &app.id,
                &NewAccessKey {
                    name: "c".into(),
                    ..Default::default()
                },
            )
            .map(drop),
        engine
            .create_verification_key(
                LOCAL,
                &other.id,
                &new_verification_key("w", &cert.certificate_pem),
            )
            .map(drop),
        engine.delete_application(LOCAL, "0123456789abcdef0123456789abcdef"),
    ];
    for refusal in refusals {
        assert!(refusal.is_err());
    }
    assert_eq!(dump(engine.path()), before);
}

#[test]
fn lists_page_in_both_orders_with_a_total() {
    let (_dir, engine) = open(Some(AccountTier::Commercial));
    let ids: Vec<String> = (0..7)
        .map(|i| create_app(&engine, &format!("app {i}")).id)
        .collect();

    for order in [Order::Asc, Order::Desc] {
        let mut expected = ids.clone();
        if order == Order::Desc {
            expected.reverse();
        }
        let mut query = ListQuery {
            limit: 3,
            order,
            include_total: true,
            ..Default::default()
        };
        let mut seen = Vec::new();
        let mut has_more_flags = Vec::new();
        loop {
            let page = engine.list_applications(&query, None).unwrap();
            assert_eq!(page.object, "list");
            assert_eq!(page.limit, 3);
            assert_eq!(page.order, order.as_str());
            assert_eq!(page.after, query.after);
            assert_eq!(page.total_count, Some(7));
            has_more_flags.push(page.has_more);
            seen.extend(page.data.iter().map(|a| a.id.clone()));
            if !page.has_more {
                break;
            }
            query.after = page.data.last().map(|a| a.id.clone());
        }
        assert_eq!(has_more_flags, [true, true, false]);
        assert_eq!(seen, expected);
    }

    let without_total = engine
        .list_applications(&ListQuery::default(), None)
        .unwrap();
    assert_eq!(without_total.total_count, None);
    assert!(!without_total.has_more);
    let exact = engine
        .list_applications(
            &ListQuery {
                limit: 7,
                ..Default::default()
            },
            None,
        )
        .unwrap();
    assert!(!exact.has_more, "a full last page has nothing after it");
}

#[test]
fn bad_paging_is_refused() {
    let (_dir, engine) = open(None);
    for limit in [0, 1, 1001] {
        let error = assert_error(
            engine.list_applications(
                &ListQuery {
                    limit,
                    ..Default::default()
                },
                None,
            ),
            400,
            "validation_error",
            "give 2 to 1000",
        );
        assert_field(&error, "limit");
    }
    for limit in [2, 1000] {
        let query = ListQuery {
            limit,
            ..Default::default()
        };
        engine.list_applications(&query, None).unwrap();
    }
    let error = assert_error(
        engine.list_policy_groups(&ListQuery {
            after: Some("0123456789abcdef0123456789abcdef".into()),
            ..Default::default()
        }),
        400,
        "validation_error",
        "after",
    );
    assert_field(&error, "after");
}

#[test]
fn secret_hash_is_sha256_hex() {
    assert_eq!(
        secret_hash("abc"),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
}
