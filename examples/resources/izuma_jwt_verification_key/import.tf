import {
  to = izuma_jwt_verification_key.signer
  id = "0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210"
}
