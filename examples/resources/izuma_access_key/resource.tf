resource "izuma_application" "ci" {
  name = "ci-pipeline"
}

resource "izuma_access_key" "ci" {
  application_id = izuma_application.ci.id
  name           = "ci"
  description    = "Used by the deployment pipeline"

  # Change a value to rotate: with create_before_destroy the new key exists before the old one
  # is deleted (an application may hold two access keys).
  rotation_triggers = {
    rotated = "2026-12"
  }

  lifecycle {
    create_before_destroy = true
  }
}

output "ci_access_key" {
  value     = izuma_access_key.ci.secret
  sensitive = true
}
