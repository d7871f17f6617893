# A JWT verification key is imported by <application_id>/<key_id>.
terraform import izuma_jwt_verification_key.signer 0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210
