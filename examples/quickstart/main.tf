# Quickstart: an application with an access key and a JWT verification key, on the embedded
# local engine (no Izuma account needed). Run it with `make demo` from the repository root.

terraform {
  required_providers {
    izuma = {
      source = "izuma/izuma"
    }
  }
}

provider "izuma" {
  local {
    path         = "izuma.db" # the engine's database, next to this file
    account_type = "free"
  }
}

data "izuma_policy_group" "developers" {
  name = "Developers"
}

resource "izuma_application" "service" {
  name        = "quickstart-service"
  description = "Backend service that calls the Izuma API"
  groups      = [data.izuma_policy_group.developers.id]
}

resource "izuma_access_key" "service" {
  application_id = izuma_application.service.id
  name           = "service-key"
  description    = "Used by the service's deployment"
}

# `make demo` creates signer-cert.pem (and signer-key.pem, which stays on your machine) with
# `izuma-local keygen`.
resource "izuma_jwt_verification_key" "service" {
  application_id = izuma_application.service.id
  name           = "service-signer"
  kid            = "service-signer-1"
  certificate    = file("${path.module}/signer-cert.pem")
}

output "application_id" {
  value = izuma_application.service.id
}

output "access_key_id" {
  value = izuma_access_key.service.id
}

output "access_key_secret" {
  value     = izuma_access_key.service.secret
  sensitive = true
}

output "verification_key_fingerprint" {
  value = izuma_jwt_verification_key.service.fingerprint
}
