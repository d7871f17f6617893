//! Property tests for JWT intake. This tree has no verifier of its own yet (`src/engine/verify.rs`
//! lives on another branch), so this targets what a verifier builds on: `jsonwebtoken`'s header
//! parsing and signature check with a verification key made from one of our test certificates,
//! under the service's algorithm rules. No input may panic.

use std::sync::OnceLock;

use izuma::certificate::parse_certificate;
use izuma::testutil::certs;
use jsonwebtoken::{decode, decode_header, Algorithm, DecodingKey, Validation};
use proptest::prelude::*;

fn key() -> &'static DecodingKey {
    static KEY: OnceLock<DecodingKey> = OnceLock::new();
    KEY.get_or_init(|| {
        let pem = certs::ec_p256("CN=jwt").certificate_pem;
        let info = parse_certificate(&pem).expect("valid certificate");
        DecodingKey::from_ec_der(&info.public_key)
    })
}

/// Runs the header and the full decode; neither may panic, and only ES256 can ever verify.
fn check(token: &str) {
    let _ = decode_header(token);
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_required_spec_claims(&["exp"]);
    let _ = decode::<serde_json::Value>(token, key(), &validation);
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_tokens_never_panic(token in any::<String>()) {
        check(&token);
    }

    #[test]
    fn three_part_tokens_never_panic(
        header in "\\{\"alg\":\"(ES256|RS256|HS256|none|ES512|)\"(,\"kid\":\"[a-z]{0,4}\")?\\}",
        claims in "\\{(\"exp\":-?[0-9]{0,12})?\\}",
        signature in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        let token = format!("{}.{}.{}", b64(header.as_bytes()), b64(claims.as_bytes()), b64(&signature));
        check(&token);
        let validation = Validation::new(Algorithm::ES256);
        prop_assert!(decode::<serde_json::Value>(&token, key(), &validation).is_err());
    }
}
