//! The verification engine: every acceptance and refusal, each with its specific reason.

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use serde_json::json;
use time::{Duration, OffsetDateTime};

use super::super::*;
use super::{PublicKey, Refusal};
use crate::api::{
    AccessKeyUpdate, ApplicationStatus, ApplicationUpdate, NewAccessKey, NewApplication,
    NewVerificationKey, VerificationKeyUpdate,
};
use crate::testutil::certs::{self, TestCertificate};

const LOCAL: &Actor = &Actor::Local;

fn open() -> (tempfile::TempDir, Engine) {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(&dir.path().join("izuma.db"), None).unwrap();
    (dir, engine)
}

fn app(engine: &Engine, name: &str) -> String {
    let new = NewApplication {
        name: name.into(),
        ..Default::default()
    };
    engine.create_application(LOCAL, &new).unwrap().id
}

fn verification_key(
    engine: &Engine,
    app: &str,
    name: &str,
    cert: &str,
    kid: Option<&str>,
) -> String {
    let new = NewVerificationKey {
        name: name.into(),
        certificate: cert.into(),
        kid: kid.map(str::to_owned),
        ..Default::default()
    };
    engine.create_verification_key(LOCAL, app, &new).unwrap().id
}

fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

fn sign(
    signer: &TestCertificate,
    algorithm: Algorithm,
    kid: Option<&str>,
    claims: serde_json::Value,
) -> String {
    let key = match algorithm {
        Algorithm::RS256 | Algorithm::RS384 | Algorithm::RS512 => {
            EncodingKey::from_rsa_pem(signer.private_key_pem.as_bytes())
        }
        _ => EncodingKey::from_ec_pem(signer.private_key_pem.as_bytes()),
    }
    .unwrap();
    let mut header = Header::new(algorithm);
    header.kid = kid.map(str::to_owned);
    encode(&header, &claims, &key).unwrap()
}

fn valid_claims() -> serde_json::Value {
    json!({"sub": "device", "iat": now(), "exp": now() + 300})
}

/// A token with a hand-made header and signature part.
fn raw_token(header: serde_json::Value, claims: serde_json::Value, signature: &[u8]) -> String {
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    format!(
        "{}.{}.{}",
        b64(header.to_string().as_bytes()),
        b64(claims.to_string().as_bytes()),
        b64(signature)
    )
}

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine as _;

#[test]
fn access_key_accepted_and_each_refusal_has_its_reason() {
    let (_dir, engine) = open();
    let app_id = app(&engine, "ci");
    let new = NewAccessKey {
        name: "k".into(),
        ..Default::default()
    };
    let key = engine.create_access_key(LOCAL, &app_id, &new).unwrap();
    let secret = key.key.clone().unwrap();
    let secret = secret.expose();

    let verified = engine.verify_access_key(secret).unwrap();
    assert_eq!(
        (verified.application_id.as_str(), verified.key_id.as_str()),
        (app_id.as_str(), key.id.as_str())
    );

    assert_eq!(
        engine.verify_access_key("ak_short"),
        Err(Refusal::MalformedAccessKey)
    );
    assert_eq!(
        engine.verify_access_key(""),
        Err(Refusal::MalformedAccessKey)
    );
    let mut forged = secret.to_owned();
    forged.replace_range(
        forged.len() - 1..,
        if secret.ends_with('0') { "1" } else { "0" },
    );
    assert_eq!(
        engine.verify_access_key(&forged),
        Err(Refusal::UnknownAccessKey)
    );

    let deactivate = |status| AccessKeyUpdate {
        status: Some(status),
        ..Default::default()
    };
    engine
        .update_access_key(LOCAL, &app_id, &key.id, &deactivate(KeyStatus::Inactive))
        .unwrap();
    assert_eq!(engine.verify_access_key(secret), Err(Refusal::KeyInactive));
    engine
        .update_access_key(LOCAL, &app_id, &key.id, &deactivate(KeyStatus::Active))
        .unwrap();

    let app_status = |status| ApplicationUpdate {
        status: Some(status),
        ..Default::default()
    };
    engine
        .update_application(LOCAL, &app_id, &app_status(ApplicationStatus::Inactive))
        .unwrap();
    assert_eq!(
        engine.verify_access_key(secret),
        Err(Refusal::ApplicationInactive)
    );
    engine
        .update_application(LOCAL, &app_id, &app_status(ApplicationStatus::Active))
        .unwrap();

    let past = AccessKeyUpdate {
        expiration: Some("2020-01-01T00:00:00Z".into()),
        ..Default::default()
    };
    engine
        .update_access_key(LOCAL, &app_id, &key.id, &past)
        .unwrap();
    assert_eq!(engine.verify_access_key(secret), Err(Refusal::KeyExpired));

    engine.delete_access_key(LOCAL, &app_id, &key.id).unwrap();
    assert_eq!(
        engine.verify_access_key(secret),
        Err(Refusal::UnknownAccessKey)
    );

    // The audit log holds every verification, in order, and never the secret.
    let log = engine.audit_log().unwrap();
    let verdicts: Vec<&str> = log
        .iter()
        .filter(|e| e.action == "verify")
        .map(|e| e.detail.as_str())
        .collect();
    assert_eq!(
        verdicts,
        [
            "accepted",
            "refused: malformed_access_key",
            "refused: malformed_access_key",
            "refused: unknown_access_key",
            "refused: key_inactive",
            "refused: application_inactive",
            "refused: key_expired",
            "refused: unknown_access_key",
        ]
    );
    let text = serde_json::to_string(&log).unwrap();
    assert!(!text.contains(&secret[35..]), "secret in the audit log");
}

#[test]
fn accepted_verification_sets_last_used_at_once_flushed() {
    let (_dir, engine) = open();
    let app_id = app(&engine, "ci");
    let new = NewAccessKey {
        name: "k".into(),
        ..Default::default()
    };
    let key = engine.create_access_key(LOCAL, &app_id, &new).unwrap();
    engine
        .verify_access_key(key.key.as_ref().unwrap().expose())
        .unwrap();
    engine.flush().unwrap();
    assert!(engine
        .get_access_key(None, &key.id)
        .unwrap()
        .last_used_at
        .is_some());
    assert!(engine
        .get_application(&app_id)
        .unwrap()
        .last_used_at
        .is_some());
}

#[test]
fn queued_verifications_are_written_on_drop() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("izuma.db");
    {
        let engine = Engine::open(&path, None).unwrap();
        for _ in 0..3 {
            let _ = engine.verify_access_key("ak_nope");
        }
    }
    let engine = Engine::open(&path, None).unwrap();
    let verifications = engine
        .audit_log()
        .unwrap()
        .into_iter()
        .filter(|e| e.action == "verify")
        .count();
    assert_eq!(verifications, 3);
}

#[test]
fn jwt_accepted_for_each_algorithm_with_and_without_kid() {
    let (_dir, engine) = open();
    let app_id = app(&engine, "devices");
    let p256 = certs::ec_p256("CN=p256");
    let p384 = certs::ec_p384("CN=p384");
    let rsa = certs::rsa(2048, "CN=rsa");
    let p256_id = verification_key(
        &engine,
        &app_id,
        "p256",
        &p256.certificate_pem,
        Some("k256"),
    );
    let p384_id = verification_key(&engine, &app_id, "p384", &p384.certificate_pem, None);
    let rsa_id = verification_key(&engine, &app_id, "rsa", &rsa.certificate_pem, None);

    let cases = [
        (&p256, Algorithm::ES256, Some("k256"), &p256_id),
        (&p256, Algorithm::ES256, None, &p256_id),
        (&p384, Algorithm::ES384, None, &p384_id),
        (&rsa, Algorithm::RS256, None, &rsa_id),
        (&rsa, Algorithm::RS384, None, &rsa_id),
        (&rsa, Algorithm::RS512, None, &rsa_id),
    ];
    for (signer, algorithm, kid, key_id) in cases {
        let token = sign(signer, algorithm, kid, valid_claims());
        let verified = engine
            .verify_jwt(&token, &app_id)
            .unwrap_or_else(|r| panic!("{algorithm:?}: {r}"));
        assert_eq!(&verified.key_id, key_id, "{algorithm:?}");
    }
}

#[test]
fn es512_signature_checks_with_p521() {
    use p521::ecdsa::signature::Signer;
    let signing = p521::ecdsa::SigningKey::random(&mut rand::rngs::OsRng);
    let point = p521::ecdsa::VerifyingKey::from(&signing).to_encoded_point(false);
    let key = PublicKey::P521(Box::new(
        p521::ecdsa::VerifyingKey::from_sec1_bytes(point.as_bytes()).unwrap(),
    ));
    let message = b"header.payload";
    let signature: p521::ecdsa::Signature = signing.sign(message);
    assert!(key.verifies_es512(message, &signature.to_bytes()));
    assert!(!key.verifies_es512(b"header.tampered", &signature.to_bytes()));
    assert!(!key.verifies(Algorithm::ES256, message, "AAAA"));
}

#[test]
fn jwt_attacks_each_refused_with_its_reason() {
    let (_dir, mut engine) = open();
    let app_id = app(&engine, "devices");
    let other_app = app(&engine, "other");
    let signer = certs::ec_p256("CN=signer");
    let key_id = verification_key(
        &engine,
        &app_id,
        "signer",
        &signer.certificate_pem,
        Some("main"),
    );
    let stranger = certs::ec_p256("CN=stranger");
    verification_key(
        &engine,
        &other_app,
        "stranger",
        &stranger.certificate_pem,
        Some("theirs"),
    );
    let good = sign(&signer, Algorithm::ES256, None, valid_claims());
    assert!(engine.verify_jwt(&good, &app_id).is_ok());

    let refused = |token: &str| engine.verify_jwt(token, &app_id).unwrap_err();
    // Algorithms.
    assert_eq!(
        refused(&raw_token(json!({"alg": "none"}), valid_claims(), b"")),
        Refusal::AlgorithmNone
    );
    assert_eq!(
        refused(&raw_token(json!({"alg": "None"}), valid_claims(), b"")),
        Refusal::AlgorithmNone
    );
    let public_pem = signer.certificate_pem.as_bytes();
    for algorithm in [Algorithm::HS256, Algorithm::HS384, Algorithm::HS512] {
        // The classic confusion attack: an HMAC keyed with the (public) certificate.
        let token = encode(
            &Header::new(algorithm),
            &valid_claims(),
            &EncodingKey::from_secret(public_pem),
        )
        .unwrap();
        assert_eq!(refused(&token), Refusal::HmacAlgorithm, "{algorithm:?}");
    }
    assert_eq!(
        refused(&raw_token(json!({"alg": "PS256"}), valid_claims(), b"sig")),
        Refusal::UnsupportedAlgorithm
    );
    // Shape.
    assert_eq!(refused("not-a-jwt"), Refusal::MalformedToken);
    assert_eq!(refused("a.b.c.d"), Refusal::MalformedToken);
    assert_eq!(refused(&format!("{good}x.y")), Refusal::MalformedToken);
    // Signatures.
    let (head, rest) = good.split_once('.').unwrap();
    let (_, signature) = rest.split_once('.').unwrap();
    let forged_claims = json!({"sub": "admin", "exp": now() + 300});
    let tampered = format!(
        "{head}.{}.{signature}",
        URL_SAFE_NO_PAD.encode(forged_claims.to_string())
    );
    assert_eq!(refused(&tampered), Refusal::BadSignature);
    assert_eq!(
        refused(&sign(&stranger, Algorithm::ES256, None, valid_claims())),
        Refusal::BadSignature
    );
    assert_eq!(
        refused(&sign(
            &stranger,
            Algorithm::ES256,
            Some("theirs"),
            valid_claims()
        )),
        Refusal::UnknownKid
    );
    assert_eq!(
        refused(&sign(
            &signer,
            Algorithm::ES256,
            Some("nope"),
            valid_claims()
        )),
        Refusal::UnknownKid
    );
    // An ES256 signature relabelled ES384 does not verify with the P-256 key.
    let (_, payload_and_signature) = good.split_once('.').unwrap();
    let relabelled = format!(
        "{}.{payload_and_signature}",
        URL_SAFE_NO_PAD.encode(r#"{"alg":"ES384"}"#)
    );
    assert_eq!(refused(&relabelled), Refusal::BadSignature);
    // Claims.
    assert_eq!(
        refused(&sign(&signer, Algorithm::ES256, None, json!({"sub": "x"}))),
        Refusal::MissingExpiry
    );
    assert_eq!(
        refused(&sign(
            &signer,
            Algorithm::ES256,
            None,
            json!({"exp": "soon"})
        )),
        Refusal::MissingExpiry
    );
    assert_eq!(
        refused(&sign(
            &signer,
            Algorithm::ES256,
            None,
            json!({"exp": now() - 1})
        )),
        Refusal::TokenExpired
    );
    let early = json!({"exp": now() + 600, "nbf": now() + 300});
    assert_eq!(
        refused(&sign(&signer, Algorithm::ES256, None, early)),
        Refusal::TokenNotYetValid
    );
    let skewed = json!({"exp": now() + 600, "nbf": now() + 30, "iat": now() + 30});
    assert!(
        engine
            .verify_jwt(&sign(&signer, Algorithm::ES256, None, skewed), &app_id)
            .is_ok(),
        "inside the leeway"
    );
    let future = json!({"exp": now() + 600, "iat": now() + 300});
    assert_eq!(
        refused(&sign(&signer, Algorithm::ES256, None, future)),
        Refusal::IssuedInFuture
    );
    // Applications.
    assert_eq!(
        engine.verify_jwt(&good, "0123456789abcdef0123456789abcdef"),
        Err(Refusal::UnknownApplication)
    );
    assert_eq!(
        engine.verify_jwt(&good, &other_app),
        Err(Refusal::BadSignature)
    );
    let status = |status| ApplicationUpdate {
        status: Some(status),
        ..Default::default()
    };
    engine
        .update_application(LOCAL, &app_id, &status(ApplicationStatus::Inactive))
        .unwrap();
    assert_eq!(refused(&good), Refusal::ApplicationInactive);
    engine
        .update_application(LOCAL, &app_id, &status(ApplicationStatus::Active))
        .unwrap();
    // Key state.
    let inactive = VerificationKeyUpdate {
        status: Some(KeyStatus::Inactive),
        ..Default::default()
    };
    engine
        .update_verification_key(LOCAL, &app_id, &key_id, &inactive)
        .unwrap();
    assert_eq!(refused(&good), Refusal::NoActiveKey);
    assert_eq!(
        refused(&sign(
            &signer,
            Algorithm::ES256,
            Some("main"),
            valid_claims()
        )),
        Refusal::KeyInactive
    );
    let active = VerificationKeyUpdate {
        status: Some(KeyStatus::Active),
        ..Default::default()
    };
    engine
        .update_verification_key(LOCAL, &app_id, &key_id, &active)
        .unwrap();
    assert!(engine.verify_jwt(&good, &app_id).is_ok());

    // The certificate expires (the test certificates are valid for a year).
    let later = OffsetDateTime::now_utc() + Duration::days(400);
    engine.set_clock(move || later);
    let claims = json!({"exp": later.unix_timestamp() + 300});
    let refused = |token: &str| engine.verify_jwt(token, &app_id).unwrap_err();
    assert_eq!(
        refused(&sign(&signer, Algorithm::ES256, None, claims.clone())),
        Refusal::NoActiveKey
    );
    assert_eq!(
        refused(&sign(&signer, Algorithm::ES256, Some("main"), claims)),
        Refusal::KeyExpired
    );

    let log = serde_json::to_string(&engine.audit_log().unwrap()).unwrap();
    assert!(!log.contains(signature), "a token in the audit log");
}

#[test]
fn replaced_key_is_reparsed_not_served_from_the_cache() {
    let (_dir, engine) = open();
    let app_id = app(&engine, "devices");
    let first = certs::ec_p256("CN=first");
    let id = verification_key(
        &engine,
        &app_id,
        "signer",
        &first.certificate_pem,
        Some("k"),
    );
    assert!(engine
        .verify_jwt(
            &sign(&first, Algorithm::ES256, Some("k"), valid_claims()),
            &app_id
        )
        .is_ok());
    engine.delete_verification_key(LOCAL, &app_id, &id).unwrap();
    let second = certs::ec_p256("CN=second");
    verification_key(
        &engine,
        &app_id,
        "signer",
        &second.certificate_pem,
        Some("k"),
    );
    let old = sign(&first, Algorithm::ES256, Some("k"), valid_claims());
    assert_eq!(engine.verify_jwt(&old, &app_id), Err(Refusal::BadSignature));
    assert!(engine
        .verify_jwt(
            &sign(&second, Algorithm::ES256, Some("k"), valid_claims()),
            &app_id
        )
        .is_ok());
}

#[test]
fn a_mutation_waits_for_the_batch_the_writer_has_taken() {
    let (_dir, engine) = open();
    let app_id = app(&engine, "ci");
    let shared = &engine.verifier.shared;
    std::thread::scope(|s| {
        // Play the writer thread: take the queued verification, then let a mutation race its
        // commit. The mutation must wait, or it lands in the audit log before the verification.
        let mut conn = super::lock(&shared.conn);
        let _ = engine.verify_access_key("ak_nope");
        let batch = std::mem::take(&mut super::lock(&shared.queue).events);
        assert_eq!(batch.len(), 1);
        let inactive = ApplicationUpdate {
            status: Some(ApplicationStatus::Inactive),
            ..Default::default()
        };
        let (engine, app_id) = (&engine, &app_id);
        let mutation = s.spawn(move || engine.update_application(LOCAL, app_id, &inactive));
        std::thread::sleep(std::time::Duration::from_millis(200));
        super::write_events(&mut conn, &batch, "local").unwrap();
        drop(conn);
        mutation.join().unwrap().unwrap();
    });
    let log = engine.audit_log().unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions[actions.len() - 2..], ["verify", "update"]);
}

#[test]
fn the_writer_thread_writes_within_about_a_second() {
    let (dir, engine) = open();
    let _ = engine.verify_access_key("ak_nope");
    let reader = rusqlite::Connection::open(dir.path().join("izuma.db")).unwrap();
    let written = || -> i64 {
        reader
            .query_row(
                "SELECT count(*) FROM audit_log WHERE action = 'verify'",
                [],
                |r| r.get(0),
            )
            .unwrap()
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while written() == 0 {
        assert!(std::time::Instant::now() < deadline, "not written in 5 s");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn verifications_are_audited_under_the_chosen_actor() {
    let (_dir, engine) = open();
    engine.set_verification_actor("http");
    let _ = engine.verify_access_key("ak_not-a-key");
    let log = engine.audit_log().unwrap();
    let last = log.last().unwrap();
    assert_eq!(
        (last.action.as_str(), last.actor.as_str()),
        ("verify", "http")
    );
}

#[test]
fn verification_says_whether_the_application_is_an_administrator_as_of_now() {
    let (_dir, engine) = open();
    let app_id = app(&engine, "ops");
    let new = NewAccessKey {
        name: "k".into(),
        ..Default::default()
    };
    let key = engine.create_access_key(LOCAL, &app_id, &new).unwrap();
    let secret = key.key.clone().unwrap();
    let signer = certs::ec_p256("CN=ops");
    verification_key(&engine, &app_id, "ops", &signer.certificate_pem, None);
    let token = sign(&signer, Algorithm::ES256, None, valid_claims());
    let groups = engine.list_policy_groups(&ListQuery::default()).unwrap();
    let group = |name: &str| {
        let group = groups.data.iter().find(|g| g.name == name).unwrap();
        vec![group.id.clone()]
    };
    let is_admin = || {
        let by_key = engine.verify_access_key(secret.expose()).unwrap().is_admin;
        let by_jwt = engine.verify_jwt(&token, &app_id).unwrap().is_admin;
        assert_eq!(by_key, by_jwt);
        by_key
    };

    assert!(!is_admin());
    // Another group is not Administrators.
    engine
        .add_application_groups(LOCAL, &app_id, &group("Developers"))
        .unwrap();
    assert!(!is_admin());
    engine
        .add_application_groups(LOCAL, &app_id, &group("Administrators"))
        .unwrap();
    assert!(is_admin());
    engine
        .remove_application_groups(LOCAL, &app_id, &group("Administrators"))
        .unwrap();
    assert!(!is_admin());
}
