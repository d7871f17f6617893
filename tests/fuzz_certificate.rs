//! Property tests ("fuzzing" on stable Rust) for the certificate intake: no input may panic, and
//! no message may echo the input. Bounded so `cargo test` stays quick.

use std::sync::OnceLock;

use izuma::certificate::{parse_certificate, to_pem};
use izuma::testutil::certs;
use proptest::prelude::*;

/// One valid certificate, made once per run (never committed).
fn valid() -> &'static (String, Vec<u8>) {
    static VALID: OnceLock<(String, Vec<u8>)> = OnceLock::new();
    VALID.get_or_init(|| {
        let pem = certs::ec_p256("CN=fuzz").certificate_pem;
        let der = parse_certificate(&pem).expect("valid certificate").der;
        (pem, der)
    })
}

/// Parses and checks the outcome's invariants.
fn check(input: &str) {
    match parse_certificate(input) {
        Ok(info) => assert_eq!(info.fingerprint.len(), 64),
        Err(message) => {
            assert!(!message.is_empty());
            // Never echo key or certificate material back.
            assert!(!message.contains("MII"), "{message}");
        }
    }
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: 2000,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_strings_never_panic(input in any::<String>()) {
        check(&input);
    }

    #[test]
    fn pem_shaped_strings_never_panic(
        body in "[A-Za-z0-9+/=\r\n -]{0,400}",
        label in "(CERTIFICATE|PRIVATE KEY|CERTIFICATE REQUEST|X|)",
    ) {
        check(&format!("-----BEGIN {label}-----\n{body}\n-----END {label}-----\n"));
    }

    #[test]
    fn mutated_der_never_panics(
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let mut der = valid().1.clone();
        for (at, byte) in flips {
            let i = at.index(der.len());
            der[i] = byte;
        }
        if truncate {
            der.truncate(cut.index(der.len()));
        }
        check(&to_pem(&der));
    }

    #[test]
    fn mutated_pem_text_never_panics(
        at in any::<prop::sample::Index>(),
        insert in "[\\PC\r\n]{0,8}",
        delete in 0usize..16,
    ) {
        let pem = &valid().0;
        let mut chars: Vec<char> = pem.chars().collect();
        let i = at.index(chars.len());
        let end = (i + delete).min(chars.len());
        chars.splice(i..end, insert.chars());
        check(&chars.into_iter().collect::<String>());
    }
}

/// Inputs worth keeping as explicit regression cases.
#[test]
fn regression_inputs_are_refused_cleanly() {
    let der = &valid().1;
    let cases = [
        "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n".to_owned(),
        "-----BEGIN CERTIFICATE-----\n".to_owned(),
        "-----END CERTIFICATE-----\n".to_owned(),
        to_pem(&der[..der.len() / 2]),
        to_pem(&der[..1]),
        to_pem(&[der.as_slice(), &[0u8; 4]].concat()),
        "\u{0}\u{feff}-----BEGIN CERTIFICATE-----".to_owned(),
        "=".repeat(200),
    ];
    for case in cases {
        assert!(parse_certificate(&case).is_err(), "{case:?}");
        check(&case);
    }
}
