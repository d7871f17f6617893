//! Certificate intake: one X.509 certificate in PEM, parsed with `x509-parser`, checked against
//! the service's strength rules. Used at plan time by the resource logic and at create time by the
//! local engine, so both judge a certificate the same way.
//!
//! Messages never quote the input: a private key pasted by mistake must not be echoed back.

use ::time::OffsetDateTime;
use base64::Engine as _;
use sha2::{Digest, Sha256};
use x509_parser::pem::Pem;
use x509_parser::prelude::{FromDer, SubjectPublicKeyInfo, X509Certificate};

use crate::rules::format_time;

/// The curves the service accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Curve {
    P256,
    P384,
    P521,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PublicKeyKind {
    Rsa { bits: usize },
    Ec { curve: Curve },
}

/// What the service and the provider need to know about an accepted certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateInfo {
    /// DER bytes of the certificate.
    pub der: Vec<u8>,
    /// The certificate re-armoured canonically (64-column base64, `\n` line ends, final newline).
    pub canonical_pem: String,
    /// SHA-256 of `der`, 64 lowercase hex.
    pub fingerprint: String,
    pub issuer: String,
    pub subject: String,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    pub key: PublicKeyKind,
    /// The subjectPublicKey bits: PKCS#1 `RSAPublicKey` for RSA, the SEC1 point for EC.
    pub public_key: Vec<u8>,
}

const OID_P256: &str = "1.2.840.10045.3.1.7";
const OID_P384: &str = "1.3.132.0.34";
const OID_P521: &str = "1.3.132.0.35";
const OID_P192: &str = "1.2.840.10045.3.1.1";
const OID_SECP256K1: &str = "1.3.132.0.10";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";
const OID_DSA: &str = "1.2.840.10040.4.1";

const RULE: &str =
    "the service accepts RSA keys of at least 2048 bits or EC keys on P-256, P-384 or P-521";

/// Parses `pem` and applies the format and strength rules. Validity dates are checked separately
/// by [`CertificateInfo::check_validity`], since a stored certificate may expire later.
pub fn parse_certificate(pem: &str) -> Result<CertificateInfo, String> {
    let trimmed = pem.trim();
    if trimmed.is_empty() {
        return Err(
            "is empty: give one X.509 certificate in PEM (-----BEGIN CERTIFICATE----- ...)".into(),
        );
    }
    // Checked before parsing: legacy encrypted keys carry PEM headers the parser refuses.
    if trimmed.contains("PRIVATE KEY-----") {
        return Err("holds a private key; upload only the certificate: the private key must never leave your machine".into());
    }
    let mut certificates = Vec::new();
    let mut others = Vec::new();
    for block in Pem::iter_from_buffer(trimmed.as_bytes()) {
        match block {
            Ok(block) if block.label == "CERTIFICATE" => certificates.push(block),
            Ok(block) => others.push(block.label),
            Err(_) => {
                return Err(
                    "holds a malformed PEM block: give one X.509 certificate in PEM (-----BEGIN CERTIFICATE----- ...)"
                        .into(),
                )
            }
        }
    }
    if let Some(label) = others.iter().find(|label| label.contains("REQUEST")) {
        return Err(format!(
            "holds a certificate signing request ({label} block), not a certificate; give the signed X.509 certificate"
        ));
    }
    if let Some(label) = others.first() {
        return Err(format!(
            "holds a {label} block; give exactly one CERTIFICATE block"
        ));
    }
    match certificates.len() {
        0 if looks_like_base64(trimmed) => {
            return Err("is bare base64 (DER) without PEM armour; give the certificate in PEM (-----BEGIN CERTIFICATE----- ...), for example with `openssl x509 -inform der`".into())
        }
        0 => {
            return Err(
                "is not a PEM certificate: expected one block starting with -----BEGIN CERTIFICATE-----"
                    .into(),
            )
        }
        1 => {}
        n => {
            return Err(format!(
                "holds {n} certificates; give exactly one (the application's own certificate, not a chain)"
            ))
        }
    }
    let der = certificates.remove(0).contents;
    let (rest, cert) = X509Certificate::from_der(&der).map_err(|_| {
        "holds a CERTIFICATE block that is not a valid X.509 certificate".to_string()
    })?;
    if !rest.is_empty() {
        return Err("holds trailing bytes after the X.509 certificate".into());
    }
    let key = public_key_kind(cert.public_key())?;
    let public_key = cert.public_key().subject_public_key.data.to_vec();
    let info = CertificateInfo {
        canonical_pem: to_pem(&der),
        fingerprint: hex::encode(Sha256::digest(&der)),
        issuer: cert.issuer().to_string(),
        subject: cert.subject().to_string(),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        key,
        public_key,
        der: der.clone(),
    };
    Ok(info)
}

fn public_key_kind(spki: &SubjectPublicKeyInfo) -> Result<PublicKeyKind, String> {
    let algorithm = spki.algorithm.algorithm.to_id_string();
    match spki.parsed() {
        Ok(x509_parser::public_key::PublicKey::RSA(rsa)) => {
            let bits = rsa.key_size();
            if bits < 2048 {
                Err(format!(
                    "has an RSA key of {bits} bits, which is too weak: {RULE}"
                ))
            } else {
                Ok(PublicKeyKind::Rsa { bits })
            }
        }
        Ok(x509_parser::public_key::PublicKey::EC(_)) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string())
                .unwrap_or_default();
            match curve.as_str() {
                OID_P256 => Ok(PublicKeyKind::Ec { curve: Curve::P256 }),
                OID_P384 => Ok(PublicKeyKind::Ec { curve: Curve::P384 }),
                OID_P521 => Ok(PublicKeyKind::Ec { curve: Curve::P521 }),
                OID_P192 => Err(format!("has an EC key on P-192, which is too weak: {RULE}")),
                OID_SECP256K1 => Err(format!(
                    "has an EC key on secp256k1, which the service does not accept: {RULE}"
                )),
                "" => Err(format!("has an EC key without a named curve: {RULE}")),
                other => Err(format!(
                    "has an EC key on curve {other}, which the service does not accept: {RULE}"
                )),
            }
        }
        _ => match algorithm.as_str() {
            OID_ED25519 => Err(format!(
                "has an Ed25519 key, which the service does not accept: {RULE}"
            )),
            OID_ED448 => Err(format!(
                "has an Ed448 key, which the service does not accept: {RULE}"
            )),
            OID_DSA => Err(format!(
                "has a DSA key, which the service does not accept: {RULE}"
            )),
            other => Err(format!(
                "has a public key of algorithm {other}, which the service does not accept: {RULE}"
            )),
        },
    }
}

impl CertificateInfo {
    /// Refuses a certificate that is not valid at `now`, quoting its dates.
    pub fn check_validity(&self, now: OffsetDateTime) -> Result<(), String> {
        if now > self.not_after {
            return Err(format!(
                "expired on {} (it was valid from {} to {}); issue a new certificate",
                format_time(self.not_after),
                format_time(self.not_before),
                format_time(self.not_after)
            ));
        }
        if now < self.not_before {
            return Err(format!(
                "is not valid yet: it is valid from {} to {}",
                format_time(self.not_before),
                format_time(self.not_after)
            ));
        }
        Ok(())
    }
}

/// Whether two PEM texts hold the same certificate (line endings, wrapping and surrounding
/// whitespace aside). Unparseable input compares as text.
pub fn same_certificate(a: &str, b: &str) -> bool {
    match (der_of(a), der_of(b)) {
        (Some(a), Some(b)) => a == b,
        _ => a.trim() == b.trim(),
    }
}

fn der_of(pem: &str) -> Option<Vec<u8>> {
    let mut blocks = Pem::iter_from_buffer(pem.trim().as_bytes());
    let first = blocks.next()?.ok()?;
    if first.label != "CERTIFICATE" || blocks.next().is_some() {
        return None;
    }
    Some(first.contents)
}

/// PEM armour for DER bytes, 64 columns.
pub fn to_pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

fn looks_like_base64(text: &str) -> bool {
    text.len() > 100
        && text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'/' | b'=' | b'\n' | b'\r'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::certs;

    #[test]
    fn accepts_ec_p256_and_reads_its_fields() {
        let cert = certs::ec_p256("CN=app one");
        let info = parse_certificate(&cert.certificate_pem).unwrap();
        assert_eq!(info.key, PublicKeyKind::Ec { curve: Curve::P256 });
        assert_eq!(info.fingerprint.len(), 64);
        assert!(info.subject.contains("app one"), "{}", info.subject);
        assert!(info.check_validity(OffsetDateTime::now_utc()).is_ok());
    }

    #[test]
    fn line_endings_do_not_change_the_certificate() {
        let cert = certs::ec_p256("CN=x");
        let crlf = cert.certificate_pem.replace('\n', "\r\n") + "\r\n\r\n";
        assert!(same_certificate(&cert.certificate_pem, &crlf));
        assert_eq!(
            parse_certificate(&crlf).unwrap().fingerprint,
            parse_certificate(&cert.certificate_pem)
                .unwrap()
                .fingerprint
        );
    }

    #[test]
    fn refuses_what_is_not_one_certificate_without_echoing_it() {
        let cert = certs::ec_p256("CN=x");
        let cases = [
            ("", "is empty"),
            ("hello world", "is not a PEM certificate"),
            (cert.private_key_pem.as_str(), "holds a private key"),
        ];
        for (input, expected) in cases {
            let err = parse_certificate(input).unwrap_err();
            assert!(err.contains(expected), "{input:?}: {err}");
            assert!(
                !err.contains("MII") && !err.contains("BEGIN PRIVATE"),
                "{err}"
            );
        }
        // A legacy encrypted key has headers the PEM parser refuses: still named a private key.
        let encrypted = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert!(parse_certificate(encrypted)
            .unwrap_err()
            .contains("holds a private key"));
        let two = format!("{}{}", cert.certificate_pem, cert.certificate_pem);
        assert!(parse_certificate(&two)
            .unwrap_err()
            .contains("holds 2 certificates"));
    }

    #[test]
    fn refuses_weak_and_foreign_keys() {
        let ed = certs::with_algorithm(&rcgen::PKCS_ED25519, "CN=ed");
        assert!(parse_certificate(&ed.certificate_pem)
            .unwrap_err()
            .contains("Ed25519"));
        let rsa1024 = certs::rsa(1024, "CN=weak");
        let err = parse_certificate(&rsa1024.certificate_pem).unwrap_err();
        assert!(err.contains("1024 bits"), "{err}");
        let rsa2048 = certs::rsa(2048, "CN=ok");
        assert_eq!(
            parse_certificate(&rsa2048.certificate_pem).unwrap().key,
            PublicKeyKind::Rsa { bits: 2048 }
        );
    }

    #[test]
    fn refuses_keys_rcgen_cannot_make_naming_them() {
        use certs::OpensslKey;
        for (kind, named) in [
            (OpensslKey::EcP192, "P-192"),
            (OpensslKey::EcSecp256k1, "secp256k1"),
            (OpensslKey::Dsa, "DSA key"),
        ] {
            let cert = certs::openssl_self_signed(kind, "CN=weak");
            let err = parse_certificate(&cert.certificate_pem).unwrap_err();
            assert!(err.contains(named), "{kind:?}: {err}");
        }
    }

    #[test]
    fn an_expired_certificate_is_refused_with_its_dates() {
        let now = OffsetDateTime::now_utc();
        let cert = certs::ec_p256_valid(
            "CN=old",
            now - time::Duration::days(30),
            now - time::Duration::days(1),
        );
        let info = parse_certificate(&cert.certificate_pem).unwrap();
        let err = info.check_validity(now).unwrap_err();
        assert!(err.starts_with("expired on"), "{err}");
    }
}
