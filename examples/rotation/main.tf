# Rotation without downtime, for both kinds of credential.
#
# Run it locally (`make install`, then in this directory):
#   ../../target/debug/izuma-local keygen --out-dir . --name signer-1
#   terraform apply -var generation=1
#   ../../target/debug/izuma-local keygen --out-dir . --name signer-2
#   terraform apply -var generation=2     # rotates both; nothing stops working
#   ../../target/debug/izuma-local audit --db izuma.db
#
# Order of events in a create_before_destroy replacement (the audit log shows it):
#   1. the new key is created, while the old one still exists and keeps working;
#   2. everything that uses the key (here terraform_data.deploy, your rollout step, itself
#      create_before_destroy so the old rollout stays until the new one has run) is replaced
#      and picks up the new credential;
#   3. only then is the old key deleted.
# An application holds at most 2 access keys, so step 1 needs a free slot: with two keys
# in use the new access key is not created, the apply stops there, and both old keys keep
# working (resources that do not depend on it, such as the JWT key, may already be replaced).

terraform {
  required_providers {
    izuma = { source = "izuma/izuma" }
  }
}

provider "izuma" {
  local {
    path = "izuma.db"
  }
}

variable "generation" {
  description = "Bump to rotate: a new access key, and a new JWT key from signer-<generation>-cert.pem."
  type        = number
  default     = 1
}

resource "izuma_application" "service" {
  name = "rotating-service"
}

# Access key: the service generates the secret, so a rotation is a replacement.
resource "izuma_access_key" "service" {
  application_id = izuma_application.service.id
  name           = "service"
  # Any change here replaces the key: a new secret.
  rotation_triggers = {
    generation = var.generation
  }
  lifecycle {
    create_before_destroy = true # step 1 before step 3
  }
}

# JWT verification key: the certificate comes from your own key pair.
resource "izuma_jwt_verification_key" "signer" {
  application_id = izuma_application.service.id
  # Names and certificates are unique in the account and both keys exist at once during a
  # rotation: name_prefix gives each generation a fresh unique name.
  name_prefix = "signer-"
  certificate = file("${path.module}/signer-${var.generation}-cert.pem")
  rotation_triggers = {
    generation = var.generation
  }
  # Once the certificate expires within 30 days, the plan replaces the key (ready_for_renewal
  # turns true): a regularly running pipeline notices in time to supply a renewed certificate.
  early_renewal_days = 30
  lifecycle {
    create_before_destroy = true
  }
}

# Step 2: roll the new credentials out. It runs after the new keys exist and before the old ones
# are deleted; replace the command with your deployment (here it only checks the new access key).
resource "terraform_data" "deploy" {
  triggers_replace = [izuma_access_key.service.id, izuma_jwt_verification_key.signer.id]
  provisioner "local-exec" {
    command = "../../target/debug/izuma-local verify --db izuma.db"
    environment = {
      IZUMA_ACCESS_KEY = izuma_access_key.service.secret
    }
  }
  lifecycle {
    create_before_destroy = true
  }
}

output "access_key_secret" {
  value     = izuma_access_key.service.secret
  sensitive = true
}
