# An access key is imported by <application_id>/<key_id>. The service keeps only a hash of the
# secret, so an imported key has no `secret` in state.
terraform import izuma_access_key.ci 0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210
