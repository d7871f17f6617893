# The module under test of the `terraform test` suite (rotation.tftest.hcl): an application with
# an access key that rotates when `rotation` changes. Local mode, on a throw-away database.

terraform {
  required_providers {
    izuma = {
      source = "izuma/izuma"
    }
  }
}

variable "rotation" {
  type    = string
  default = "1"
}

variable "status" {
  type    = string
  default = "ACTIVE"
}

provider "izuma" {
  local {
    path         = "izuma-test.db"
    account_type = "free"
  }
}

data "izuma_policy_group" "developers" {
  name = "Developers"
}

resource "izuma_application" "app" {
  name        = "tftest-app"
  description = "terraform test suite"
  status      = var.status
  groups      = [data.izuma_policy_group.developers.id]
}

resource "izuma_access_key" "key" {
  application_id    = izuma_application.app.id
  name              = "tftest-key"
  rotation_triggers = { rotation = var.rotation }

  lifecycle {
    create_before_destroy = true
  }
}

output "access_key_id" {
  value = izuma_access_key.key.id
}

# A digest, so runs can compare secrets without handling the secret itself.
output "secret_sha256" {
  value = nonsensitive(sha256(izuma_access_key.key.secret))
}
