import {
  to = izuma_access_key.ci
  id = "0123456789abcdef0123456789abcdef/fedcba9876543210fedcba9876543210"
}
