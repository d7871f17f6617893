//! `make bench-verify`: verifications per second through the engine against their floor, in one
//! run. Access keys: the floor is one indexed read of the key row from the same database plus the
//! hash compare. JWTs: the floor is jsonwebtoken's own `decode` (signature and exp) of the same
//! token with a ready-made key. Run in release mode; the figures are for comparison, not a test.

use std::time::{Duration, Instant};

use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rusqlite::Connection;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use izuma::api::{NewAccessKey, NewApplication, NewVerificationKey};
use izuma::certificate::parse_certificate;
use izuma::engine::{access_key_id_of_secret, Actor, Engine};
use izuma::testutil::certs::{self, TestCertificate};

const RUN_FOR: Duration = Duration::from_secs(3);
const SLICE: Duration = Duration::from_millis(50);

/// Calls per second of `engine` and of `floor` (each must return true: a verification that
/// succeeded), measured in alternating 50 ms slices so a busy shared machine slows both alike.
fn rates(mut engine: impl FnMut() -> bool, mut floor: impl FnMut() -> bool) -> (f64, f64) {
    let mut totals = [(0u64, Duration::ZERO); 2];
    let start = Instant::now();
    while start.elapsed() < RUN_FOR {
        for (which, total) in totals.iter_mut().enumerate() {
            let slice = Instant::now();
            while slice.elapsed() < SLICE {
                for _ in 0..16 {
                    let ok = if which == 0 { engine() } else { floor() };
                    assert!(ok, "a verification failed during the benchmark");
                }
                total.0 += 16;
            }
            total.1 += slice.elapsed();
        }
    }
    let per_second = |(calls, time): (u64, Duration)| calls as f64 / time.as_secs_f64();
    (per_second(totals[0]), per_second(totals[1]))
}

fn report(name: &str, engine: f64, floor: f64, goal: f64) {
    let ratio = engine / floor;
    let verdict = if ratio >= goal { "meets" } else { "MISSES" };
    println!("{name:<12} {engine:>12.0}/s {floor:>12.0}/s {ratio:>7.2}  {verdict} goal {goal}");
}

fn token(signer: &TestCertificate, algorithm: Algorithm) -> String {
    let key = match algorithm {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(signer.private_key_pem.as_bytes()),
        _ => EncodingKey::from_ec_pem(signer.private_key_pem.as_bytes()),
    }
    .unwrap();
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 3600;
    encode(
        &Header::new(algorithm),
        &serde_json::json!({"sub": "bench", "exp": exp}),
        &key,
    )
    .unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("izuma.db");
    let engine = Engine::open(&path, None).unwrap();
    let local = &Actor::Local;
    let new_app = NewApplication {
        name: "bench".into(),
        ..Default::default()
    };
    let app = engine.create_application(local, &new_app).unwrap().id;
    let new_key = NewAccessKey {
        name: "bench".into(),
        ..Default::default()
    };
    let key = engine.create_access_key(local, &app, &new_key).unwrap();
    let secret = key.key.unwrap().expose().to_owned();

    let floor_conn = Connection::open(&path).unwrap();
    let floor = || {
        let id = access_key_id_of_secret(&secret).unwrap();
        let stored: String = floor_conn
            .prepare_cached("SELECT secret_hash FROM access_keys WHERE id = ?1")
            .unwrap()
            .query_row([id], |row| row.get(0))
            .unwrap();
        let hash = hex::encode(Sha256::digest(secret.as_bytes()));
        hash.as_bytes().ct_eq(stored.as_bytes()).into()
    };
    let (access_engine, access_floor) = rates(|| engine.verify_access_key(&secret).is_ok(), floor);

    let mut jwt_rows = Vec::new();
    for (name, signer, algorithm) in [
        (
            "JWT RS256",
            certs::rsa(2048, "CN=bench rsa"),
            Algorithm::RS256,
        ),
        (
            "JWT ES256",
            certs::ec_p256("CN=bench p256"),
            Algorithm::ES256,
        ),
    ] {
        let new = NewVerificationKey {
            name: name.into(),
            certificate: signer.certificate_pem.clone(),
            ..Default::default()
        };
        engine.create_verification_key(local, &app, &new).unwrap();
        let token = token(&signer, algorithm);
        let public_key = parse_certificate(&signer.certificate_pem)
            .unwrap()
            .public_key;
        let bare_key = match algorithm {
            Algorithm::RS256 => DecodingKey::from_rsa_der(&public_key),
            _ => DecodingKey::from_ec_der(&public_key),
        };
        let validation = Validation::new(algorithm);
        let (through_engine, bare) = rates(
            || engine.verify_jwt(&token, &app).is_ok(),
            || decode::<serde_json::Value>(&token, &bare_key, &validation).is_ok(),
        );
        jwt_rows.push((name, through_engine, bare));
    }
    engine.flush().unwrap();

    println!("{:<12} {:>14} {:>14} {:>7}", "", "engine", "floor", "ratio");
    report("access key", access_engine, access_floor, 0.5);
    for (name, through_engine, bare) in jwt_rows {
        report(name, through_engine, bare, 0.8);
    }
    let verifications = engine
        .audit_log()
        .unwrap()
        .iter()
        .filter(|e| e.action == "verify")
        .count();
    println!("audit rows written for verifications: {verifications}");
}
