//! Self-signed certificates with fresh keys, made with `rcgen` (and `rsa` for RSA keys, which
//! rcgen's ring backend cannot generate).

use rcgen::{
    CertificateParams, DistinguishedName, DnType, KeyPair, PublicKeyData, SignatureAlgorithm,
};
use rsa::pkcs1::EncodeRsaPublicKey;
use rsa::pkcs8::EncodePrivateKey;
use time::{Duration, OffsetDateTime};

/// A certificate and the private key that signs JWTs for it.
#[derive(Clone)]
pub struct TestCertificate {
    pub certificate_pem: String,
    pub private_key_pem: String,
}

fn params(
    subject: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> CertificateParams {
    let mut params = CertificateParams::default();
    let mut dn = DistinguishedName::new();
    let common_name = subject.strip_prefix("CN=").unwrap_or(subject);
    dn.push(DnType::CommonName, common_name);
    params.distinguished_name = dn;
    params.not_before = not_before;
    params.not_after = not_after;
    params
}

fn default_validity() -> (OffsetDateTime, OffsetDateTime) {
    let now = OffsetDateTime::now_utc();
    (now - Duration::days(1), now + Duration::days(365))
}

/// A certificate for a key of `algorithm` (any that rcgen can generate: P-256, P-384, Ed25519).
pub fn with_algorithm(algorithm: &'static SignatureAlgorithm, subject: &str) -> TestCertificate {
    let (from, to) = default_validity();
    with_algorithm_valid(algorithm, subject, from, to)
}

pub fn with_algorithm_valid(
    algorithm: &'static SignatureAlgorithm,
    subject: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> TestCertificate {
    let key = KeyPair::generate_for(algorithm).expect("generate key");
    let cert = params(subject, not_before, not_after)
        .self_signed(&key)
        .expect("self-sign certificate");
    TestCertificate {
        certificate_pem: cert.pem(),
        private_key_pem: key.serialize_pem(),
    }
}

pub fn ec_p256(subject: &str) -> TestCertificate {
    with_algorithm(&rcgen::PKCS_ECDSA_P256_SHA256, subject)
}

pub fn ec_p384(subject: &str) -> TestCertificate {
    with_algorithm(&rcgen::PKCS_ECDSA_P384_SHA384, subject)
}

pub fn ec_p256_valid(
    subject: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> TestCertificate {
    with_algorithm_valid(
        &rcgen::PKCS_ECDSA_P256_SHA256,
        subject,
        not_before,
        not_after,
    )
}

/// An RSA certificate of `bits`. Keys under 2048 bits cannot sign with ring, so such a
/// certificate is signed by a throw-away P-256 issuer: only its public key matters to the tests.
pub fn rsa(bits: usize, subject: &str) -> TestCertificate {
    let (from, to) = default_validity();
    rsa_valid(bits, subject, from, to)
}

pub fn rsa_valid(
    bits: usize,
    subject: &str,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
) -> TestCertificate {
    let mut rng = rand::thread_rng();
    let private = rsa::RsaPrivateKey::new(&mut rng, bits).expect("generate RSA key");
    let private_key_pem = private
        .to_pkcs8_pem(rsa::pkcs8::LineEnding::LF)
        .expect("encode RSA key")
        .to_string();
    let params = params(subject, not_before, not_after);
    let certificate_pem = if bits >= 2048 {
        let key = KeyPair::from_pem(&private_key_pem).expect("load RSA key");
        params.self_signed(&key).expect("self-sign").pem()
    } else {
        struct RsaPublic(Vec<u8>);
        impl PublicKeyData for RsaPublic {
            fn der_bytes(&self) -> &[u8] {
                &self.0
            }
            fn algorithm(&self) -> &SignatureAlgorithm {
                &rcgen::PKCS_RSA_SHA256
            }
        }
        let public = RsaPublic(
            private
                .to_public_key()
                .to_pkcs1_der()
                .expect("encode RSA public key")
                .into_vec(),
        );
        let issuer_key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("issuer key");
        let issuer = params_for_issuer()
            .self_signed(&issuer_key)
            .expect("issuer certificate");
        params
            .signed_by(&public, &issuer, &issuer_key)
            .expect("sign RSA certificate")
            .pem()
    };
    TestCertificate {
        certificate_pem,
        private_key_pem,
    }
}

fn params_for_issuer() -> CertificateParams {
    let (from, to) = default_validity();
    params("CN=test issuer", from, to)
}

/// Key kinds rcgen cannot generate, made with the `openssl` command line at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpensslKey {
    EcP192,
    EcSecp256k1,
    Dsa,
}

/// A self-signed certificate for a key of `kind`, made by the `openssl` CLI in a scratch
/// directory. Panics with instructions when `openssl` is missing: tests never skip silently.
pub fn openssl_self_signed(kind: OpensslKey, subject: &str) -> TestCertificate {
    use std::process::Command;
    static COUNTER: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "izuma-openssl-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("scratch directory");
    let run = |args: &[&str]| {
        let output = Command::new("openssl")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap_or_else(|e| {
                panic!("the `openssl` command is needed for {kind:?} test certificates: {e}")
            });
        assert!(
            output.status.success(),
            "openssl {args:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let newkey = match kind {
        OpensslKey::EcP192 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime192v1"],
        OpensslKey::EcSecp256k1 => vec!["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
        OpensslKey::Dsa => {
            run(&[
                "genpkey",
                "-genparam",
                "-algorithm",
                "DSA",
                "-pkeyopt",
                "dsa_paramgen_bits:1024",
                "-out",
                "params.pem",
            ]);
            vec!["-newkey", "dsa:params.pem"]
        }
    };
    let subject = format!("/{subject}");
    let mut args = vec!["req", "-x509", "-nodes", "-sha256", "-days", "30"];
    args.extend(newkey);
    args.extend(["-keyout", "key.pem", "-out", "cert.pem", "-subj", &subject]);
    run(&args);
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).expect("openssl output");
    let certificate = TestCertificate {
        certificate_pem: read("cert.pem"),
        private_key_pem: read("key.pem"),
    };
    let _ = std::fs::remove_dir_all(&dir);
    certificate
}
