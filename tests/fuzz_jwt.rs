//! Property tests for the JWT verifier (`Engine::verify_jwt`): arbitrary and JWT-shaped tokens
//! against an application with real verification keys. No input may panic, and nothing that was
//! not signed by the application's private key may be accepted.

use std::sync::OnceLock;

use izuma::api::{NewApplication, NewVerificationKey};
use izuma::engine::{Actor, Engine};
use izuma::testutil::certs;
use proptest::prelude::*;

struct Fixture {
    _dir: tempfile::TempDir,
    engine: Engine,
    application_id: String,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let engine = Engine::open(&dir.path().join("fuzz.db"), None).unwrap();
        let app = engine
            .create_application(
                &Actor::Local,
                &NewApplication {
                    name: "fuzz".into(),
                    ..Default::default()
                },
            )
            .unwrap();
        for (name, kid) in [("es256", Some("k1")), ("es256-nokid", None)] {
            let cert = certs::ec_p256(&format!("CN={name}"));
            engine
                .create_verification_key(
                    &Actor::Local,
                    &app.id,
                    &NewVerificationKey {
                        name: name.into(),
                        certificate: cert.certificate_pem,
                        kid: kid.map(str::to_owned),
                        ..Default::default()
                    },
                )
                .unwrap();
        }
        Fixture {
            _dir: dir,
            engine,
            application_id: app.id,
        }
    })
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn refused(token: &str) -> bool {
    let fixture = fixture();
    fixture
        .engine
        .verify_jwt(token, &fixture.application_id)
        .is_err()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_tokens_are_refused_without_panic(token in any::<String>()) {
        prop_assert!(refused(&token));
    }

    #[test]
    fn forged_jwt_shaped_tokens_are_refused(
        header in "\\{\"alg\":\"(ES256|ES384|ES512|RS256|RS512|HS256|none|NONE|)\"(,\"kid\":\"(k1|k2|)\")?(,\"typ\":\"JWT\")?\\}",
        claims in "\\{(\"exp\":-?[0-9]{0,12})?(,\"nbf\":[0-9]{0,11})?\\}",
        signature in proptest::collection::vec(any::<u8>(), 0..132),
    ) {
        let token = format!("{}.{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()), b64(&signature));
        prop_assert!(refused(&token));
    }
}

/// Inputs once found interesting, kept as regression cases.
#[test]
fn regression_inputs_are_refused() {
    for token in [
        "",
        ".",
        "..",
        "a.b.c",
        "eyJhbGciOiJub25lIn0.e30.",
        "eyJhbGciOiJFUzI1NiJ9.eyJleHAiOjk5OTk5OTk5OTk5fQ.",
        "eyJhbGciOiJFUzI1NiIsImtpZCI6ImsxIn0.eyJleHAiOjQxMDI0NDQ4MDB9.AAAA",
    ] {
        assert!(refused(token), "{token:?}");
    }
    fixture().engine.flush().unwrap();
}
