resource "izuma_application" "signer" {
  name = "token-signer"
}

# Only the certificate: the private key that signs the JWTs stays with you.
# `izuma-local keygen --out-dir . --name signer` makes a test pair.
resource "izuma_jwt_verification_key" "signer" {
  application_id     = izuma_application.signer.id
  name               = "signer-2026"
  kid                = "signer-2026"
  certificate        = file("${path.module}/signer-cert.pem")
  early_renewal_days = 30
}

output "signer_fingerprint" {
  value = izuma_jwt_verification_key.signer.fingerprint
}
